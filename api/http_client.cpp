#include "http_client.hpp"

#include "errors.hpp"
#include "range_receiver.hpp"
#include "url.hpp"

#include <thread>

namespace hubfs::api {

namespace {

std::string without_query(const std::string& url) { return url.substr(0, url.find('?')); }

}  // namespace

HttpClient::HttpClient(HubConfig config) : config_(std::move(config)) {}

bool HttpClient::is_hub_url(const std::string& url) const { return same_origin(url, config_.endpoint); }

void HttpClient::sleep_for(std::chrono::milliseconds delay) const {
    if (delay.count() > 0) std::this_thread::sleep_for(delay);
}

std::unique_ptr<EasyTransfer> HttpClient::start_transfer(const HttpRequest& request, const Hop& hop,
                                                         const ResponseSink& sink, std::string range) {
    TransferSpec spec{&request, hop.method, hop.url, hop.send_body, hop.with_credentials, sink, std::move(range),
                      &cancelled_};
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

AttemptEngine HttpClient::attempt_engine(const HttpRequest& request, bool resumable) const {
    if (config_.offline)
        throw OfflineError(ErrorDetails{0, "HF_HUB_OFFLINE is set", {}, without_query(request.url)});
    return AttemptEngine(request, {config_.endpoint, config_.inference_endpoints_url, config_.inference_catalog_url},
                         config_.retry, resumable);
}

HttpResponse HttpClient::run(const HttpRequest& request, const ResponseSink& sink, RangeReceiver* receiver) {
    AttemptEngine engine = attempt_engine(request, receiver != nullptr);
    std::string range;
    uint64_t done_at_attempt = 0;
    while (true) {
        if (receiver && engine.fresh_attempt()) {
            range = receiver->begin_attempt();
            done_at_attempt = receiver->done();
        }
        const Hop& hop = engine.hop();
        uint64_t token = admit(hop.method, hop.url);
        auto transfer = start_transfer(request, hop, sink, range);
        transfer->perform();
        report(token, hop.url, *transfer);
        if (transfer->callback_error()) std::rethrow_exception(transfer->callback_error());
        HttpResponse& response = transfer->response();
        uint64_t progressed = receiver ? receiver->done() - done_at_attempt : transfer->delivered();
        AttemptDecision next = transfer->code() == CURLE_OK ? engine.after_response(response)
                                                            : engine.after_transport_error(transfer->code(), progressed);
        switch (next.kind) {
            case AttemptDecision::Kind::finish: return std::move(response);
            case AttemptDecision::Kind::fail: std::rethrow_exception(transfer->transport_error());
            default: sleep_for(next.wait);
        }
    }
}

HttpResponse HttpClient::send(const HttpRequest& request, const BodySink& sink) {
    if (!sink) return run(request, {}, nullptr);
    return run(request, [&sink](long, const HeaderMap&, std::string_view chunk) { sink(chunk); }, nullptr);
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
    HttpRequest ranged = request;
    ranged.method = "GET";
    // A body that ends cleanly is complete, even if shorter than asked (end of object).
    return run(ranged, on_chunk, &receiver);
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
