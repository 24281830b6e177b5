#include "attempt_engine.hpp"

#include "errors.hpp"
#include "url.hpp"

#include <memory>
#include <random>

namespace hubfs::api {

namespace {

// The request cannot have reached the server: safe to retry even a commit.
bool never_sent(CURLcode code) { return code == CURLE_COULDNT_RESOLVE_HOST || code == CURLE_COULDNT_CONNECT; }

std::function<double()> own_random_source() {
    // One seeded generator per thread: a random_device per engine (one per ranged GET) was 0.7%
    // of a cold read's CPU.
    return [] {
        thread_local std::mt19937_64 engine(std::random_device{}());
        return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
    };
}

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

AttemptEngine::AttemptEngine(const HttpRequest& request, std::vector<std::string> trusted_origins, RetryPolicy policy,
                             bool resumable, std::function<double()> unit_random)
    : request_(request), trusted_origins_(std::move(trusted_origins)), policy_(policy), resumable_(resumable),
      unit_random_(unit_random ? std::move(unit_random) : own_random_source()) {
    restart();
}

bool AttemptEngine::trusted(const std::string& url) const {
    for (const auto& origin : trusted_origins_)
        if (!origin.empty() && same_origin(url, origin)) return true;
    return false;
}

void AttemptEngine::restart() {
    hop_ = Hop{request_.method, request_.url, true, trusted(request_.url)};
    hops_ = 0;
}

AttemptDecision AttemptEngine::retry_after(std::chrono::milliseconds wait) {
    ++attempt_;
    restart();
    return {AttemptDecision::Kind::retry, wait};
}

AttemptDecision AttemptEngine::after_response(const HttpResponse& response) {
    auto location = response.headers.get("Location");
    if (response.is_redirect() && request_.redirects != RedirectPolicy::none && location && response.status != 304) {
        std::string next = resolve_location(hop_.url, *location);
        if (request_.redirects == RedirectPolicy::same_origin_only && !same_origin(next, hop_.url))
            return {AttemptDecision::Kind::finish};
        if (hops_ >= max_redirects) {
            throw InvalidResponseError(
                ErrorDetails{0, "too many redirects", {}, request_.url.substr(0, request_.url.find('?'))});
        }
        // 303 always, and 301/302 after a POST as browsers do, continue as a GET without body.
        if (response.status == 303 || ((response.status == 301 || response.status == 302) && hop_.method == "POST")) {
            hop_.method = "GET";
            hop_.send_body = false;
        }
        hop_.url = std::move(next);
        hop_.with_credentials = trusted(hop_.url);
        ++hops_;
        return {AttemptDecision::Kind::follow};
    }
    // A 429 was refused before any work, so even a commit may be sent again.
    bool retry = attempt_ < policy_.max_retries && is_retryable_status(response.status) &&
                 (request_.idempotent || response.status == 429);
    if (!retry) return {AttemptDecision::Kind::finish};
    auto wait = server_requested_wait(response.headers.get_or("Retry-After"), response.headers.get_or("RateLimit"));
    if (wait && *wait > policy_.max_server_wait) return {AttemptDecision::Kind::finish};
    return retry_after(wait.value_or(backoff_delay(policy_, attempt_, unit_random_())));
}

AttemptDecision AttemptEngine::after_transport_error(CURLcode code, uint64_t progressed) {
    if (progressed > 0) {
        // Bytes already given to the caller cannot be taken back: only a ranged GET, which
        // asks for the rest, may go on; substantial progress earns a fresh retry budget.
        if (!resumable_) return {AttemptDecision::Kind::fail};
        if (progressed >= substantial_progress) attempt_ = 0;
        else if (++attempt_ > policy_.max_retries) return {AttemptDecision::Kind::fail};
        restart();
        return {AttemptDecision::Kind::resume};
    }
    bool retry = attempt_ < policy_.max_retries && is_transient_transport_error(code) &&
                 (request_.idempotent || never_sent(code));
    if (!retry) return {AttemptDecision::Kind::fail};
    return retry_after(backoff_delay(policy_, attempt_, unit_random_()));
}

}  // namespace hubfs::api
