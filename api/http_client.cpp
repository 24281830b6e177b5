#include "http_client.hpp"

#include "errors.hpp"
#include "range_receiver.hpp"
#include "url.hpp"

#include <random>
#include <thread>

namespace hubfs::api {

namespace {

constexpr int max_redirects = 10;

// The request cannot have reached the server: safe to retry even a commit.
bool never_sent(CURLcode code) { return code == CURLE_COULDNT_RESOLVE_HOST || code == CURLE_COULDNT_CONNECT; }

std::string without_query(const std::string& url) { return url.substr(0, url.find('?')); }

}  // namespace

bool is_transient_transport_error(CURLcode code) {
    switch (code) {
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_CONNECT:
        case CURLE_OPERATION_TIMEDOUT:
        case CURLE_SEND_ERROR:
        case CURLE_RECV_ERROR:
        case CURLE_GOT_NOTHING:
        case CURLE_PARTIAL_FILE:
        case CURLE_HTTP2:
        case CURLE_HTTP2_STREAM:
        case CURLE_SSL_CONNECT_ERROR: return true;
        default: return false;
    }
}

HttpClient::HttpClient(HubConfig config) : config_(std::move(config)) {}

bool HttpClient::is_hub_url(const std::string& url) const { return same_origin(url, config_.endpoint); }

void HttpClient::sleep_for(std::chrono::milliseconds delay) const {
    if (delay.count() > 0) std::this_thread::sleep_for(delay);
}

std::unique_ptr<EasyTransfer> HttpClient::start_transfer(const HttpRequest& request, const std::string& method,
                                                         const std::string& url, bool send_body,
                                                         const ResponseSink& sink) {
    TransferSpec spec{&request, method, url, send_body, is_hub_url(url), sink, &cancelled_};
    return std::make_unique<EasyTransfer>(pool_, config_, std::move(spec));
}

void HttpClient::cancel() {
    cancelled_ = true;
    pool_.close();
    std::lock_guard guard(multi_mutex_);
    idle_multis_.clear();
}

uint64_t HttpClient::admit(const std::string& method, const std::string& url) {
    if (cancelled_) throw NetworkError(ErrorDetails{0, "cancelled: the mount is shutting down", {}, without_query(url)});
    if (!config_.health) return 0;
    auto parsed = parse_url(url);
    if (!parsed) return 0;
    std::string origin = parsed->origin();
    if (auto why = config_.health->refusal(origin)) throw NetworkError(ErrorDetails{0, *why, {}, without_query(url)});
    return config_.health->begin({origin, method + " " + without_query(parsed->path_and_query), HostHealth::Clock::now()});
}

void HttpClient::report(uint64_t token, const std::string& url, EasyTransfer& transfer) {
    if (!config_.health) return;
    config_.health->end(token);
    auto parsed = parse_url(url);
    if (!parsed) return;
    // A host that sent a response is up, even if the body then stopped (that resumes); only
    // no answer at all (refused, timed out, no first byte) counts against it. A refused
    // callback or a cancel says nothing of the host.
    if (transfer.code() == CURLE_OK || transfer.response().status != 0) config_.health->answered(parsed->origin());
    else if (is_transient_transport_error(transfer.code())) config_.health->failed(parsed->origin(), transfer.error_text());
}

std::unique_ptr<EasyTransfer> HttpClient::follow_redirects(const HttpRequest& request, const ResponseSink& sink) {
    std::string url = request.url;
    std::string method = request.method;
    bool send_body = true;
    for (int hop = 0; hop <= max_redirects; ++hop) {
        uint64_t token = admit(method, url);
        auto transfer = start_transfer(request, method, url, send_body, sink);
        transfer->perform();
        report(token, url, *transfer);
        const HttpResponse& response = transfer->response();
        if (transfer->code() != CURLE_OK || !response.is_redirect() || request.redirects == RedirectPolicy::none)
            return transfer;
        auto location = response.headers.get("Location");
        if (!location || response.status == 304) return transfer;
        std::string next = resolve_location(url, *location);
        if (request.redirects == RedirectPolicy::same_origin_only && !same_origin(next, url)) return transfer;
        if (response.status == 303 || ((response.status == 301 || response.status == 302) && method == "POST")) {
            method = "GET";
            send_body = false;
        }
        url = std::move(next);
    }
    throw InvalidResponseError(ErrorDetails{0, "too many redirects", {}, without_query(request.url)});
}

HttpResponse HttpClient::send_with_retries(const HttpRequest& request, const ResponseSink& sink) {
    if (config_.offline)
        throw OfflineError(ErrorDetails{0, "HF_HUB_OFFLINE is set", {}, without_query(request.url)});
    std::mt19937_64 jitter_source(std::random_device{}());
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    const RetryPolicy& policy = config_.retry;
    for (int attempt = 0;; ++attempt) {
        auto transfer = follow_redirects(request, sink);
        if (transfer->callback_error()) std::rethrow_exception(transfer->callback_error());
        bool budget_left = attempt < policy.max_retries;
        HttpResponse& response = transfer->response();
        if (transfer->code() != CURLE_OK) {
            bool retry = budget_left && transfer->delivered() == 0 && is_transient_transport_error(transfer->code()) &&
                         (request.idempotent || never_sent(transfer->code()));
            if (!retry) {
                throw NetworkError(
                    ErrorDetails{0, transfer->error_text(), response.request_id, without_query(response.url)});
            }
            sleep_for(backoff_delay(policy, attempt, unit(jitter_source)));
            continue;
        }
        // A 429 was refused before any work, so even a commit may be sent again.
        bool retry = budget_left && is_retryable_status(response.status) &&
                     (request.idempotent || response.status == 429);
        if (!retry) return std::move(response);
        auto wait = server_requested_wait(response.headers.get_or("Retry-After"), response.headers.get_or("RateLimit"));
        if (wait && *wait > policy.max_server_wait) return std::move(response);
        sleep_for(wait.value_or(backoff_delay(policy, attempt, unit(jitter_source))));
    }
}

HttpResponse HttpClient::send(const HttpRequest& request, const BodySink& sink) {
    if (!sink) return send_with_retries(request, {});
    return send_with_retries(request, [&sink](long, const HeaderMap&, std::string_view chunk) { sink(chunk); });
}

HttpResponse HttpClient::download(const HttpRequest& request, uint64_t offset, std::optional<uint64_t> length,
                                  const BodySink& sink) {
    if (length && *length == 0) {
        HttpResponse empty;
        empty.status = 206;
        return empty;
    }
    RangeReceiver receiver(offset, length, sink, request.url);
    ResponseSink on_chunk = [&receiver](long status, const HeaderMap& headers, std::string_view chunk) {
        receiver.receive(status, headers, chunk);
    };
    // Drops after a mere trickle (a body that stops every few bytes, or crawls below the low
    // speed limit) count against the retry budget: they must end in an error, not resume for hours.
    constexpr uint64_t kSubstantialProgress = 64 * 1024;
    int thin_drops = 0;
    while (true) {
        HttpRequest ranged = request;
        ranged.method = "GET";
        ranged.headers.emplace_back("Range", receiver.begin_attempt());
        uint64_t before = receiver.done();
        try {
            // A body that ends cleanly is complete, even if shorter than asked (end of object).
            return send_with_retries(ranged, on_chunk);
        } catch (const NetworkError&) {
            // A drop after new bytes resumes at once from the next byte; a failure without
            // progress has already spent send_with_retries' budget.
            uint64_t got = receiver.done() - before;
            if (got == 0) throw;
            if (got >= kSubstantialProgress) thin_drops = 0;
            else if (++thin_drops > config_.retry.max_retries) throw;
            continue;
        }
    }
}

CurlMulti HttpClient::acquire_multi() {
    {
        std::lock_guard guard(multi_mutex_);
        if (!idle_multis_.empty()) {
            CurlMulti multi = std::move(idle_multis_.back());
            idle_multis_.pop_back();
            return multi;
        }
    }
    CurlMulti multi(curl_multi_init());
    if (!multi) throw std::bad_alloc();
    return multi;
}

void HttpClient::release_multi(CurlMulti multi) {
    std::lock_guard guard(multi_mutex_);
    if (!cancelled_) idle_multis_.push_back(std::move(multi));
}

}  // namespace hubfs::api
