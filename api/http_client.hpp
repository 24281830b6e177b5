// HTTP on libcurl for the Hub client: pooled connections, manual redirects (the token never
// leaves the Hub's origin), retries with backoff, streamed bodies, resumable ranged GETs, and
// many ranged GETs at once on curl's multi interface.
#pragma once

#include "attempt_engine.hpp"
#include "config.hpp"
#include "connection_pool.hpp"
#include "easy_transfer.hpp"
#include "http_types.hpp"

#include <atomic>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

namespace hubfs::api {

class RangeReceiver;

// One GET of download_all(): bytes [offset, offset + length) of `request.url` into `sink`.
struct RangeDownload {
    HttpRequest request;
    uint64_t offset = 0;
    std::optional<uint64_t> length;  // nullopt: to the end
    BodySink sink;
    // Results: the final response (a body only for an HTTP error), or the error that ended this download.
    HttpResponse response;
    std::exception_ptr error;
    uint64_t received = 0;
};

class HttpClient {
public:
    explicit HttpClient(HubConfig config);

    // One request with redirects and retries. A 2xx body goes to `sink` when given, else into
    // the response. HTTP errors are returned (see expect_ok); transport failures throw
    // NetworkError once the retry budget is spent, or at once if part of a body was delivered.
    HttpResponse send(const HttpRequest& request, const BodySink& sink = {});

    // GET of `length` bytes from `offset` (nullopt: to the end) into `sink`, resuming with a
    // Range from the last byte received when a connection drops. Returns the final response
    // (without body); 416 is returned as is, other errors too.
    HttpResponse download(const HttpRequest& request, uint64_t offset, std::optional<uint64_t> length,
                          const BodySink& sink);

    // Runs the downloads concurrently on the calling thread (curl multi, at most
    // `max_in_flight` transfers), with download()'s redirect, retry and resume rules. Each
    // download's outcome is stored in it; sinks are called from this thread only.
    void download_all(std::vector<RangeDownload>& downloads, int max_in_flight);

    const HubConfig& config() const noexcept { return config_; }

    // Ends every transfer of this client now, refuses new ones and closes its idle connections
    // (at shutdown: nobody waits for these bytes, and idle keep-alives hold server threads).
    void cancel();

    // Whether `url` is on the Hub's own origin, the only one the token is sent to.
    bool is_hub_url(const std::string& url) const;

private:
    struct MultiJob;
    class MultiRun;

    // The attempt rules for `request` (throws OfflineError when offline).
    AttemptEngine attempt_engine(const HttpRequest& request, bool resumable) const;
    // send() and download(): one transfer at a time, hops and attempts as the engine decides;
    // `receiver` (ranged GETs) asks each fresh attempt for the bytes still missing.
    HttpResponse run(const HttpRequest& request, const ResponseSink& sink, RangeReceiver* receiver);
    std::unique_ptr<EasyTransfer> start_transfer(const HttpRequest& request, const Hop& hop, const ResponseSink& sink,
                                                 std::string range);
    void sleep_for(std::chrono::milliseconds delay) const;
    // The circuit breaker (config_.health): throws NetworkError if `url`'s host is taken as
    // down; else returns a token for report().
    uint64_t admit(const std::string& method, const std::string& url);
    void report(uint64_t token, const std::string& url, EasyTransfer& transfer);

    // Multi handles keep their connections between download_all() calls.
    CurlMulti acquire_multi();
    void release_multi(CurlMulti multi);

    HubConfig config_;
    ConnectionPool pool_;
    std::mutex multi_mutex_;
    std::vector<CurlMulti> idle_multis_;
    std::atomic<bool> cancelled_{false};
};

}  // namespace hubfs::api
