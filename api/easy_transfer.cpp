#include "easy_transfer.hpp"

#include "errors.hpp"

#include <strings.h>

#include <algorithm>
#include <cstdio>
#include <random>
#include <stdexcept>

namespace hubfs::api {

namespace {

constexpr size_t max_buffered_error_body = 1 << 20;

std::string random_request_id() {
    // One seeded generator per thread: a random_device per request cost 1% of a cold read's CPU.
    thread_local std::mt19937_64 device(std::random_device{}());
    std::uniform_int_distribution<unsigned> nibble(0, 15);
    static constexpr char hex[] = "0123456789abcdef";
    std::string id = "hubfs-";
    for (int i = 0; i < 24; ++i) id += hex[nibble(device)];
    return id;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
        s.remove_suffix(1);
    return s;
}

bool is_success(long status) { return status >= 200 && status < 300; }

}  // namespace

EasyTransfer::EasyTransfer(ConnectionPool& pool, const HubConfig& config, TransferSpec spec)
    : pool_(pool), handle_(pool.acquire()), spec_(std::move(spec)), request_id_(random_request_id()) {
    CURL* easy = handle_.get();
    const HttpRequest& request = *spec_.request;
    response_.url = spec_.url;
    pool_.attach(easy);

    if (spec_.with_credentials) {
        if (config.token) headers_.append("Authorization: Bearer " + *config.token);
        for (const auto& [name, value] : config.extra_headers) headers_.append(name + ": " + value);
    }
    headers_.append("X-Amzn-Trace-Id: " + request_id_);
    headers_.append("Expect:");  // no 100-continue round trip on uploads
    for (const auto& [name, value] : request.headers) {
        // A caller's Authorization never travels to a foreign host either.
        if (!spec_.with_credentials && strcasecmp(name.c_str(), "Authorization") == 0) continue;
        headers_.append(name + ": " + value);
    }
    if (!spec_.range.empty()) headers_.append("Range: " + spec_.range);

    curl_easy_setopt(easy, CURLOPT_URL, spec_.url.c_str());
    curl_easy_setopt(easy, CURLOPT_PRIVATE, this);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, error_buffer_);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);  // redirects are the client's: see HttpClient
    curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
    curl_easy_setopt(easy, CURLOPT_USERAGENT, config.user_agent.c_str());
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers_.get());
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(config.timeouts.connect.count()));
    curl_easy_setopt(easy, CURLOPT_LOW_SPEED_LIMIT, config.timeouts.low_speed_bytes);
    curl_easy_setopt(easy, CURLOPT_LOW_SPEED_TIME, static_cast<long>(config.timeouts.low_speed_time.count()));
    curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
    stall_limit_ = config.timeouts.low_speed_time;
    last_progress_ = std::chrono::steady_clock::now();
    curl_easy_setopt(easy, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(easy, CURLOPT_XFERINFOFUNCTION, &EasyTransfer::on_progress);
    curl_easy_setopt(easy, CURLOPT_XFERINFODATA, this);
    curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &EasyTransfer::on_header);
    curl_easy_setopt(easy, CURLOPT_HEADERDATA, this);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &EasyTransfer::on_body);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, this);

    if (spec_.method == "HEAD") {
        curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
    } else if (spec_.method == "GET") {
        curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
        // JSON answers (tree pages, infos) may come compressed; byte downloads never do, so
        // sizes and ranges stay those of the file.
        bool ranged = !spec_.range.empty() || std::any_of(request.headers.begin(), request.headers.end(),
                                  [](const auto& h) { return strcasecmp(h.first.c_str(), "Range") == 0; });
        if (!spec_.sink && !ranged) curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");
        // Big reads mean fewer callbacks per byte on the cold-read path.
        if (spec_.sink) curl_easy_setopt(easy, CURLOPT_BUFFERSIZE, 512L * 1024);
    } else {
        curl_easy_setopt(easy, CURLOPT_POST, 1L);
        if (spec_.send_body && request.reader) {
            curl_easy_setopt(easy, CURLOPT_READFUNCTION, &EasyTransfer::on_read);
            curl_easy_setopt(easy, CURLOPT_READDATA, this);
            curl_easy_setopt(easy, CURLOPT_SEEKFUNCTION, &EasyTransfer::on_seek);
            curl_easy_setopt(easy, CURLOPT_SEEKDATA, this);
            curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.reader_size));
        } else {
            // The request outlives the transfer, so curl may point at its body without a copy.
            const char* body = spec_.send_body ? request.body.c_str() : "";
            size_t body_size = spec_.send_body ? request.body.size() : 0;
            curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body_size));
            curl_easy_setopt(easy, CURLOPT_POSTFIELDS, body);
        }
        if (spec_.method != "POST") curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, spec_.method.c_str());
    }
}

EasyTransfer::~EasyTransfer() { pool_.release(std::move(handle_)); }

void EasyTransfer::perform() { finish(curl_easy_perform(handle_.get())); }

void EasyTransfer::finish(CURLcode code) {
    code_ = code;
    if (stalled_ && code == CURLE_ABORTED_BY_CALLBACK) {
        code_ = CURLE_OPERATION_TIMEDOUT;
        auto seconds = std::chrono::duration_cast<std::chrono::seconds>(stall_limit_).count();
        std::snprintf(error_buffer_, sizeof error_buffer_, "no data for %lld s (stalled)", static_cast<long long>(seconds));
    }
    curl_easy_getinfo(handle_.get(), CURLINFO_RESPONSE_CODE, &response_.status);
    if (code != CURLE_OK) error_text_ = error_buffer_[0] != '\0' ? error_buffer_ : curl_easy_strerror(code);
    response_.request_id =
        response_.headers.get("X-Request-Id").value_or(response_.headers.get_or("X-Amzn-Trace-Id", request_id_));
}

std::exception_ptr EasyTransfer::transport_error() const {
    return std::make_exception_ptr(NetworkError(
        ErrorDetails{0, error_text_, response_.request_id, response_.url.substr(0, response_.url.find('?'))}));
}

size_t EasyTransfer::on_header(char* data, size_t size, size_t count, void* self) {
    auto* transfer = static_cast<EasyTransfer*>(self);
    std::string_view line = trim(std::string_view(data, size * count));
    if (line.starts_with("HTTP/")) {
        transfer->response_.headers.clear();  // a new (possibly interim 1xx) response starts
    } else if (size_t colon = line.find(':'); colon != std::string_view::npos) {
        transfer->response_.headers.add(std::string(trim(line.substr(0, colon))),
                                        std::string(trim(line.substr(colon + 1))));
    }
    return size * count;
}

size_t EasyTransfer::on_body(char* data, size_t size, size_t count, void* self) {
    auto* transfer = static_cast<EasyTransfer*>(self);
    size_t bytes = size * count;
    long status = 0;
    curl_easy_getinfo(transfer->handle_.get(), CURLINFO_RESPONSE_CODE, &status);
    if (is_success(status) && transfer->spec_.sink) {
        try {
            transfer->spec_.sink(status, transfer->response_.headers, std::string_view(data, bytes));
        } catch (...) {
            transfer->callback_error_ = std::current_exception();
            return 0;  // makes curl abort with CURLE_WRITE_ERROR
        }
        transfer->delivered_ += bytes;
        return bytes;
    }
    // Error bodies are kept for their message, within reason.
    std::string& body = transfer->response_.body;
    if (is_success(status) || body.size() < max_buffered_error_body) body.append(data, bytes);
    return bytes;
}

size_t EasyTransfer::on_read(char* buffer, size_t size, size_t count, void* self) {
    auto* transfer = static_cast<EasyTransfer*>(self);
    const HttpRequest& request = *transfer->spec_.request;
    uint64_t remaining = request.reader_size - transfer->read_offset_;
    size_t want = static_cast<size_t>(std::min<uint64_t>(remaining, size * count));
    if (want == 0) return 0;
    try {
        size_t got = request.reader(transfer->read_offset_, buffer, want);
        if (got == 0) throw std::runtime_error("upload body ended early");
        transfer->read_offset_ += got;
        return got;
    } catch (...) {
        transfer->callback_error_ = std::current_exception();
        return CURL_READFUNC_ABORT;
    }
}

int EasyTransfer::on_seek(void* self, curl_off_t offset, int origin) {
    auto* transfer = static_cast<EasyTransfer*>(self);
    if (origin != SEEK_SET || offset < 0) return CURL_SEEKFUNC_CANTSEEK;
    transfer->read_offset_ = static_cast<uint64_t>(offset);
    return CURL_SEEKFUNC_OK;
}

int EasyTransfer::on_progress(void* self, curl_off_t, curl_off_t dlnow, curl_off_t, curl_off_t ulnow) {
    auto* transfer = static_cast<EasyTransfer*>(self);
    if (transfer->spec_.cancel && transfer->spec_.cancel->load()) return 1;
    auto now = std::chrono::steady_clock::now();
    if (dlnow + ulnow != transfer->last_bytes_) {
        transfer->last_bytes_ = dlnow + ulnow;
        transfer->last_progress_ = now;
    } else if (transfer->stall_limit_.count() > 0 && now - transfer->last_progress_ >= transfer->stall_limit_) {
        transfer->stalled_ = true;
        return 1;
    }
    return 0;
}

}  // namespace hubfs::api
