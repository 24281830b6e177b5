// Delivers bytes [offset, offset + length) of an object to a sink across the attempts of a
// resumed ranged GET: each attempt asks for the bytes still missing, a 206 must start where
// asked, and what a server ignoring Range (200) repeats is skipped.
#pragma once

#include "http_types.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace hubfs::api {

class RangeReceiver {
public:
    RangeReceiver(uint64_t offset, std::optional<uint64_t> length, BodySink sink, std::string url);

    // Starts an attempt and returns its Range header value ("bytes=a-b" or "bytes=a-").
    std::string begin_attempt();
    void receive(long status, const HeaderMap& headers, std::string_view chunk);

    uint64_t done() const { return done_; }
    bool complete() const { return length_ && done_ >= *length_; }

private:
    uint64_t offset_;
    std::optional<uint64_t> length_;
    BodySink sink_;
    std::string url_;
    uint64_t done_ = 0;
    uint64_t attempt_start_ = 0;
    uint64_t skip_ = 0;
    bool first_chunk_ = true;
};

}  // namespace hubfs::api
