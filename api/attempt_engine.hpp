// The rules of one HTTP request across its hops and attempts, without any I/O: where the next
// hop goes, with which method and whether it carries the token (only to the Hub's origin);
// whether a response or a transport failure is retried and after what wait; when a cut
// download resumes from its next byte. HttpClient's single transfers (send, download) and its
// multi transfers (download_all) both ask this one unit, so they cannot drift apart.
#pragma once

#include "http_types.hpp"
#include "retry_policy.hpp"

#include <curl/curl.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace hubfs::api {

// One exchange of an attempt: the first at the request's URL, then one per redirect.
struct Hop {
    std::string method;
    std::string url;
    bool send_body = true;
    bool with_credentials = false;  // token and extra headers: the Hub's origin only
};

struct AttemptDecision {
    enum class Kind {
        finish,  // the response is the request's answer
        follow,  // perform hop() now (a redirect)
        retry,   // after `wait`, a fresh attempt from the request's URL
        resume,  // a body was cut after new bytes: a fresh attempt now, from the next byte
        fail,    // the transport error ends the request
    };
    Kind kind = Kind::finish;
    std::chrono::milliseconds wait{0};
};

class AttemptEngine {
public:
    // `trusted_origins`: where the token may go (the Hub, and the Hugging Face services the
    // client calls with it: Inference Endpoints, their catalog); every other host gets none.
    // `resumable`: the caller re-asks for the missing bytes on a fresh attempt (ranged GETs).
    // `unit_random` yields jitter in [0, 1); empty: a random source of its own.
    AttemptEngine(const HttpRequest& request, std::vector<std::string> trusted_origins, RetryPolicy policy,
                  bool resumable, std::function<double()> unit_random = {});

    const Hop& hop() const { return hop_; }
    // True before the first hop of an attempt: the moment to (re)build a Range header.
    bool fresh_attempt() const { return hops_ == 0; }
    int attempt() const { return attempt_; }

    // After a hop that got a response. Throws InvalidResponseError after too many redirects.
    AttemptDecision after_response(const HttpResponse& response);
    // After a hop that failed in transport. `progressed`: how many bytes reached the caller in
    // this attempt (for a resumable request: new bytes of the range).
    AttemptDecision after_transport_error(CURLcode code, uint64_t progressed);

private:
    AttemptDecision retry_after(std::chrono::milliseconds wait);
    bool trusted(const std::string& url) const;
    void restart();

    const HttpRequest& request_;
    std::vector<std::string> trusted_origins_;
    RetryPolicy policy_;
    bool resumable_;
    std::function<double()> unit_random_;
    Hop hop_;
    int hops_ = 0;     // redirects followed in this attempt
    int attempt_ = 0;  // retries spent since the last progress
};

inline constexpr int max_redirects = 10;
// A cut after fewer new bytes than this spends a retry: a body that stops every few bytes (or
// crawls) must end in an error, not resume for hours. More earns a fresh retry budget.
inline constexpr uint64_t substantial_progress = 64 * 1024;

// Transport errors after which a fresh attempt may succeed.
bool is_transient_transport_error(CURLcode code);

}  // namespace hubfs::api
