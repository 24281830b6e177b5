// One HTTP exchange (a single hop, no redirect or retry) on a pooled curl easy handle: the
// options, the callbacks and the response they fill. Run it blocking with perform(), or add
// handle() to a multi handle and call finish() when curl reports it done.
#pragma once

#include "config.hpp"
#include "connection_pool.hpp"
#include "http_types.hpp"

#include <atomic>
#include <chrono>
#include <exception>
#include <functional>
#include <string>

namespace hubfs::api {

// Receives 2xx body bytes with the response's status and headers.
using ResponseSink = std::function<void(long status, const HeaderMap& headers, std::string_view chunk)>;

struct TransferSpec {
    const HttpRequest* request = nullptr;  // headers, body; must outlive the transfer
    std::string method;
    std::string url;
    bool send_body = true;
    bool with_credentials = false;  // token and extra headers: only for the Hub's origin
    ResponseSink sink;
    std::string range;  // this attempt's Range header value, if any (resumed downloads)
    const std::atomic<bool>* cancel = nullptr;  // set: the transfer ends (CURLE_ABORTED_BY_CALLBACK)
};

class EasyTransfer {
public:
    EasyTransfer(ConnectionPool& pool, const HubConfig& config, TransferSpec spec);
    EasyTransfer(const EasyTransfer&) = delete;
    EasyTransfer& operator=(const EasyTransfer&) = delete;
    ~EasyTransfer();

    CURL* handle() const noexcept { return handle_.get(); }
    void perform();               // blocking
    void finish(CURLcode code);   // after a multi handle reported completion

    CURLcode code() const noexcept { return code_; }
    const std::string& error_text() const noexcept { return error_text_; }
    HttpResponse& response() noexcept { return response_; }
    uint64_t delivered() const noexcept { return delivered_; }  // body bytes given to the sink
    std::exception_ptr callback_error() const noexcept { return callback_error_; }
    // The NetworkError that reports this transfer's transport failure.
    std::exception_ptr transport_error() const;

private:
    static size_t on_header(char* data, size_t size, size_t count, void* self);
    static size_t on_body(char* data, size_t size, size_t count, void* self);
    static size_t on_read(char* buffer, size_t size, size_t count, void* self);
    static int on_seek(void* self, curl_off_t offset, int origin);
    static int on_progress(void* self, curl_off_t, curl_off_t, curl_off_t, curl_off_t);

    ConnectionPool& pool_;
    CurlEasy handle_;
    TransferSpec spec_;
    CurlHeaderList headers_;
    std::string request_id_;
    char error_buffer_[CURL_ERROR_SIZE] = {};
    uint64_t read_offset_ = 0;

    // Progress watch: a transfer that moves no byte for stall_limit_ ends as a timeout (curl's
    // own low-speed check averages over seconds, so it notices a stall only later).
    std::chrono::steady_clock::duration stall_limit_{};
    std::chrono::steady_clock::time_point last_progress_{};
    curl_off_t last_bytes_ = -1;
    bool stalled_ = false;

    CURLcode code_ = CURLE_OK;
    std::string error_text_;
    HttpResponse response_;
    uint64_t delivered_ = 0;
    std::exception_ptr callback_error_;
};

}  // namespace hubfs::api
