// HttpClient::download_all: many ranged GETs at once on one thread (curl multi). Each one's
// hops, retries and resumes are decided by its AttemptEngine, as in HttpClient::download.
#include "errors.hpp"
#include "http_client.hpp"
#include "range_receiver.hpp"

#include <algorithm>
#include <deque>
#include <map>

namespace hubfs::api {

namespace {
using Clock = std::chrono::steady_clock;
}  // namespace

struct HttpClient::MultiJob {
    MultiJob(const HttpClient& client, RangeDownload& d)
        : download(d), receiver(d.offset, d.length, d.sink, d.request.url), ranged(as_get(d.request)),
          engine(client.attempt_engine(ranged, true)),
          sink([this](long status, const HeaderMap& headers, std::string_view chunk) {
              receiver.receive(status, headers, chunk);
          }) {}
    MultiJob(const MultiJob&) = delete;
    MultiJob& operator=(const MultiJob&) = delete;

    static HttpRequest as_get(HttpRequest request) {
        request.method = "GET";
        return request;
    }

    RangeDownload& download;
    RangeReceiver receiver;
    HttpRequest ranged;  // the caller's request as a GET; the engine refers to it
    AttemptEngine engine;
    ResponseSink sink;
    std::string range;  // this attempt's Range header value
    uint64_t done_at_attempt = 0;
    Clock::time_point not_before{};
    std::unique_ptr<EasyTransfer> transfer;
    std::string transfer_url;  // the hop `transfer` went to
    uint64_t token = 0;        // the breaker's, for this hop
};

// One download_all() call: the jobs, the queue of those waiting to start, the multi handle.
class HttpClient::MultiRun {
public:
    MultiRun(HttpClient& client, std::vector<RangeDownload>& downloads) : client_(client), multi_(client.acquire_multi()) {
        for (auto& download : downloads) {
            download.error = nullptr;
            download.received = 0;
            if (download.length && *download.length == 0) {
                download.response.status = 206;
                continue;
            }
            try {
                jobs_.push_back(std::make_unique<MultiJob>(client, download));
            } catch (const OfflineError&) {
                download.error = std::current_exception();
                continue;
            }
            waiting_.push_back(jobs_.back().get());
        }
    }
    MultiRun(const MultiRun&) = delete;
    MultiRun& operator=(const MultiRun&) = delete;

    // Hands the multi handle back only once no easy handle is attached to it, even on error.
    ~MultiRun() {
        for (auto& [easy, job] : running_) curl_multi_remove_handle(multi_.get(), easy);
        client_.release_multi(std::move(multi_));
    }

    void run(size_t limit);

private:
    void start(MultiJob& job);
    void on_done(MultiJob& job, CURLcode code);
    void decide(MultiJob& job, EasyTransfer& transfer);
    void wait_for_progress();

    void fail(MultiJob& job, std::exception_ptr error) {
        job.download.error = std::move(error);
        job.download.received = job.receiver.done();
    }
    void later(MultiJob& job, std::chrono::milliseconds delay) {
        job.not_before = Clock::now() + delay;
        waiting_.push_back(&job);
    }

    HttpClient& client_;
    CurlMulti multi_;
    std::vector<std::unique_ptr<MultiJob>> jobs_;
    std::deque<MultiJob*> waiting_;
    std::map<CURL*, MultiJob*> running_;
};

void HttpClient::MultiRun::start(MultiJob& job) {
    if (job.engine.fresh_attempt()) {
        job.range = job.receiver.begin_attempt();
        job.done_at_attempt = job.receiver.done();
    }
    const Hop& hop = job.engine.hop();
    try {
        job.token = client_.admit(hop.method, hop.url);
    } catch (const NetworkError&) {
        return fail(job, std::current_exception());
    }
    job.transfer_url = hop.url;
    job.transfer = client_.start_transfer(job.ranged, hop, job.sink, job.range);
    curl_multi_add_handle(multi_.get(), job.transfer->handle());
    running_.emplace(job.transfer->handle(), &job);
}

void HttpClient::MultiRun::on_done(MultiJob& job, CURLcode code) {
    running_.erase(job.transfer->handle());
    curl_multi_remove_handle(multi_.get(), job.transfer->handle());
    std::unique_ptr<EasyTransfer> transfer = std::move(job.transfer);
    transfer->finish(code);
    client_.report(job.token, job.transfer_url, *transfer);
    if (transfer->callback_error()) return fail(job, transfer->callback_error());
    try {
        decide(job, *transfer);
    } catch (const HubError&) {
        fail(job, std::current_exception());
    }
}

void HttpClient::MultiRun::decide(MultiJob& job, EasyTransfer& transfer) {
    HttpResponse& response = transfer.response();
    AttemptDecision next =
        transfer.code() == CURLE_OK
            ? job.engine.after_response(response)
            : job.engine.after_transport_error(transfer.code(), job.receiver.done() - job.done_at_attempt);
    switch (next.kind) {
        case AttemptDecision::Kind::finish:
            if (response.ok()) response.body.clear();  // an error's body keeps the Hub's message
            job.download.response = std::move(response);
            job.download.received = job.receiver.done();
            return;
        case AttemptDecision::Kind::fail: return fail(job, transfer.transport_error());
        case AttemptDecision::Kind::follow:  // the next hop goes first, at once
            job.not_before = Clock::now();
            waiting_.push_front(&job);
            return;
        default: return later(job, next.wait);
    }
}

// Runs curl until a transfer finishes or a waiting job is due.
void HttpClient::MultiRun::wait_for_progress() {
    auto timeout = std::chrono::milliseconds(100);
    for (const MultiJob* job : waiting_) {
        auto until = std::chrono::duration_cast<std::chrono::milliseconds>(job->not_before - Clock::now());
        timeout = std::clamp(until, std::chrono::milliseconds(0), timeout);
    }
    if (running_.empty()) {
        client_.sleep_for(timeout);
    } else {
        curl_multi_poll(multi_.get(), nullptr, 0, static_cast<int>(timeout.count()), nullptr);
    }
}

void HttpClient::MultiRun::run(size_t limit) {
    while (!waiting_.empty() || !running_.empty()) {
        auto now = Clock::now();
        for (auto it = waiting_.begin(); it != waiting_.end() && running_.size() < limit;) {
            if ((*it)->not_before <= now) {
                MultiJob* job = *it;
                it = waiting_.erase(it);
                start(*job);
            } else {
                ++it;
            }
        }
        int still_running = 0;
        curl_multi_perform(multi_.get(), &still_running);
        // Messages die with remove_handle: copy them out before handling any.
        std::vector<std::pair<CURL*, CURLcode>> finished;
        int queued = 0;
        while (CURLMsg* message = curl_multi_info_read(multi_.get(), &queued)) {
            if (message->msg == CURLMSG_DONE) finished.emplace_back(message->easy_handle, message->data.result);
        }
        for (auto [easy, code] : finished) on_done(*running_.at(easy), code);
        if (!finished.empty()) continue;  // start what they made ready without waiting
        wait_for_progress();
    }
}

void HttpClient::download_all(std::vector<RangeDownload>& downloads, int max_in_flight) {
    MultiRun run(*this, downloads);
    run.run(static_cast<size_t>(std::max(max_in_flight, 1)));
}

}  // namespace hubfs::api
