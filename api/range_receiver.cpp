#include "range_receiver.hpp"

#include "errors.hpp"

#include <charconv>

namespace hubfs::api {

namespace {

// "bytes a-b/total" -> a
std::optional<uint64_t> content_range_start(const std::string& value) {
    std::string_view v = value;
    if (!v.starts_with("bytes ")) return std::nullopt;
    v.remove_prefix(6);
    uint64_t start = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), start);
    if (ec != std::errc{} || end == v.data()) return std::nullopt;
    return start;
}

}  // namespace

RangeReceiver::RangeReceiver(uint64_t offset, std::optional<uint64_t> length, BodySink sink, std::string url)
    : offset_(offset), length_(length), sink_(std::move(sink)), url_(url.substr(0, url.find('?'))) {}

std::string RangeReceiver::begin_attempt() {
    attempt_start_ = offset_ + done_;
    skip_ = 0;
    first_chunk_ = true;
    std::string range = "bytes=" + std::to_string(attempt_start_) + "-";
    if (length_) range += std::to_string(offset_ + *length_ - 1);
    return range;
}

void RangeReceiver::receive(long status, const HeaderMap& headers, std::string_view chunk) {
    if (first_chunk_) {
        first_chunk_ = false;
        if (status == 206) {
            if (content_range_start(headers.get_or("Content-Range")) != attempt_start_) {
                throw InvalidResponseError(
                    ErrorDetails{status, "Content-Range does not start at the requested byte", {}, url_});
            }
        } else {
            skip_ = attempt_start_;  // the whole object again: skip what was asked not to send
        }
    }
    uint64_t drop = std::min<uint64_t>(skip_, chunk.size());
    skip_ -= drop;
    chunk.remove_prefix(drop);
    if (length_) chunk = chunk.substr(0, static_cast<size_t>(std::min<uint64_t>(chunk.size(), *length_ - done_)));
    if (chunk.empty()) return;
    sink_(chunk);
    done_ += chunk.size();
}

}  // namespace hubfs::api
