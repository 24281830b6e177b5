// HttpClient::download_all: many ranged GETs at once on one thread (curl multi), each with
// the redirect, retry and resume rules of HttpClient::download.
#include "errors.hpp"
#include "http_client.hpp"
#include "range_receiver.hpp"
#include "url.hpp"

#include <algorithm>
#include <deque>
#include <map>
#include <random>

namespace hubfs::api {

namespace {
constexpr int max_redirects = 10;
using Clock = std::chrono::steady_clock;
}  // namespace

struct HttpClient::MultiJob {
    explicit MultiJob(RangeDownload& d)
        : download(d), receiver(d.offset, d.length, d.sink, d.request.url),
          sink([this](long status, const HeaderMap& headers, std::string_view chunk) {
              receiver.receive(status, headers, chunk);
          }) {}
    MultiJob(const MultiJob&) = delete;
    MultiJob& operator=(const MultiJob&) = delete;

    RangeDownload& download;
    RangeReceiver receiver;
    ResponseSink sink;
    HttpRequest ranged;   // this attempt's request: the caller's plus Range
    std::string url;      // this hop's URL
    int hops = 0;         // 0: the next start is a fresh attempt at the original URL
    int attempt = 0;      // failed attempts without progress
    uint64_t done_at_attempt = 0;
    Clock::time_point not_before{};
    std::unique_ptr<EasyTransfer> transfer;
    uint64_t token = 0;   // the breaker's, for this attempt
};

void HttpClient::download_all(std::vector<RangeDownload>& downloads, int max_in_flight) {
    const RetryPolicy& policy = config_.retry;
    std::mt19937_64 jitter_source(std::random_device{}());
    std::uniform_real_distribution<double> unit(0.0, 1.0);

    std::vector<std::unique_ptr<MultiJob>> jobs;
    std::deque<MultiJob*> waiting;
    for (auto& download : downloads) {
        download.error = nullptr;
        download.received = 0;
        if (config_.offline) {
            download.error = std::make_exception_ptr(
                OfflineError(ErrorDetails{0, "HF_HUB_OFFLINE is set", {}, download.request.url}));
            continue;
        }
        if (download.length && *download.length == 0) {
            download.response.status = 206;
            continue;
        }
        jobs.push_back(std::make_unique<MultiJob>(download));
        waiting.push_back(jobs.back().get());
    }
    if (waiting.empty()) return;

    // Hands the multi handle back only once no easy handle is attached to it, even on error.
    struct MultiLease {
        HttpClient& client;
        CurlMulti multi;
        std::map<CURL*, MultiJob*> running;
        ~MultiLease() {
            for (auto& [easy, job] : running) curl_multi_remove_handle(multi.get(), easy);
            client.release_multi(std::move(multi));
        }
    } lease{*this, acquire_multi(), {}};
    CURLM* multi = lease.multi.get();

    auto start = [&](MultiJob& job) {
        try {
            job.token = admit("GET", job.hops == 0 ? job.download.request.url : job.url);
        } catch (const NetworkError&) {
            job.download.error = std::current_exception();
            job.download.received = job.receiver.done();
            return;
        }
        if (job.hops == 0) {
            job.url = job.download.request.url;
            job.ranged = job.download.request;
            job.ranged.method = "GET";
            job.ranged.headers.emplace_back("Range", job.receiver.begin_attempt());
            job.done_at_attempt = job.receiver.done();
        }
        job.transfer = start_transfer(job.ranged, "GET", job.url, true, job.sink);
        curl_multi_add_handle(multi, job.transfer->handle());
        lease.running.emplace(job.transfer->handle(), &job);
    };
    auto retry_later = [&](MultiJob& job, std::chrono::milliseconds delay) {
        job.hops = 0;
        job.not_before = Clock::now() + delay;
        waiting.push_back(&job);
    };
    auto complete = [&](MultiJob& job, HttpResponse response) {
        response.body.clear();
        job.download.response = std::move(response);
        job.download.received = job.receiver.done();
    };
    auto fail = [&](MultiJob& job, std::exception_ptr error) {
        job.download.error = std::move(error);
        job.download.received = job.receiver.done();
    };
    auto on_done = [&](MultiJob& job, CURLcode code) {
        lease.running.erase(job.transfer->handle());
        curl_multi_remove_handle(multi, job.transfer->handle());
        std::unique_ptr<EasyTransfer> transfer = std::move(job.transfer);
        transfer->finish(code);
        report(job.token, job.url, *transfer);
        HttpResponse& response = transfer->response();
        if (transfer->callback_error()) return fail(job, transfer->callback_error());
        if (transfer->code() != CURLE_OK) {
            if (job.receiver.done() > job.done_at_attempt) {  // dropped mid-body: resume now
                job.attempt = 0;
                return retry_later(job, std::chrono::milliseconds(0));
            }
            if (is_transient_transport_error(transfer->code()) && job.attempt < policy.max_retries)
                return retry_later(job, backoff_delay(policy, job.attempt++, unit(jitter_source)));
            return fail(job, std::make_exception_ptr(NetworkError(ErrorDetails{
                                 0, transfer->error_text(), response.request_id, response.url.substr(0, response.url.find('?'))})));
        }
        auto location = response.headers.get("Location");
        if (response.is_redirect() && location && response.status != 304) {
            if (job.hops >= max_redirects) {
                return fail(job, std::make_exception_ptr(InvalidResponseError(
                                     ErrorDetails{response.status, "too many redirects", {}, job.download.request.url})));
            }
            job.url = resolve_location(job.url, *location);
            ++job.hops;
            job.not_before = Clock::now();
            waiting.push_front(&job);
            return;
        }
        if (is_retryable_status(response.status) && job.attempt < policy.max_retries) {
            auto wait = server_requested_wait(response.headers.get_or("Retry-After"),
                                              response.headers.get_or("RateLimit"));
            if (!wait || *wait <= policy.max_server_wait)
                return retry_later(job, wait.value_or(backoff_delay(policy, job.attempt++, unit(jitter_source))));
        }
        complete(job, std::move(response));
    };

    const size_t limit = static_cast<size_t>(std::max(max_in_flight, 1));
    while (!waiting.empty() || !lease.running.empty()) {
        auto now = Clock::now();
        for (auto it = waiting.begin(); it != waiting.end() && lease.running.size() < limit;) {
            if ((*it)->not_before <= now) {
                start(**it);
                it = waiting.erase(it);
            } else {
                ++it;
            }
        }
        int still_running = 0;
        curl_multi_perform(multi, &still_running);
        // Messages die with remove_handle: copy them out before handling any.
        std::vector<std::pair<CURL*, CURLcode>> finished;
        int queued = 0;
        while (CURLMsg* message = curl_multi_info_read(multi, &queued)) {
            if (message->msg == CURLMSG_DONE) finished.emplace_back(message->easy_handle, message->data.result);
        }
        for (auto [easy, code] : finished) on_done(*lease.running.at(easy), code);
        if (!finished.empty()) continue;  // start what they made ready without waiting

        auto timeout = std::chrono::milliseconds(100);
        for (const MultiJob* job : waiting) {
            auto until = std::chrono::duration_cast<std::chrono::milliseconds>(job->not_before - Clock::now());
            timeout = std::clamp(until, std::chrono::milliseconds(0), timeout);
        }
        if (lease.running.empty()) {
            sleep_for(timeout);
        } else {
            curl_multi_poll(multi, nullptr, 0, static_cast<int>(timeout.count()), nullptr);
        }
    }
}

}  // namespace hubfs::api
