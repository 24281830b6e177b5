// The attempt engine's decisions, without a network: redirects and the token, retries and
// their waits, resumes of a cut download (together with the RangeReceiver that asks for the rest).
#include "attempt_engine.hpp"
#include "errors.hpp"
#include "range_receiver.hpp"

#include <doctest/doctest.h>

using namespace hubfs::api;
using namespace std::chrono_literals;

namespace {

const std::string hub = "https://hub.example";

RetryPolicy quick_policy(int max_retries) {
    RetryPolicy policy;
    policy.max_retries = max_retries;
    policy.base_delay = 100ms;
    policy.max_delay = 800ms;
    policy.max_server_wait = 60s;
    return policy;
}

HttpResponse answer(long status, std::vector<std::pair<std::string, std::string>> headers = {}) {
    HttpResponse response;
    response.status = status;
    for (auto& [name, value] : headers) response.headers.add(name, value);
    return response;
}

AttemptEngine engine_for(const HttpRequest& request, int max_retries = 3, bool resumable = false) {
    return AttemptEngine(request, {hub}, quick_policy(max_retries), resumable, [] { return 0.0; });
}

}  // namespace

TEST_CASE("a redirect to another origin drops the token; back at the Hub it is sent again") {
    HttpRequest request;
    request.url = hub + "/ns/repo/resolve/main/w.bin";
    auto engine = engine_for(request);
    CHECK(engine.hop().with_credentials);
    CHECK(engine.fresh_attempt());

    auto next = engine.after_response(answer(302, {{"Location", "https://cdn.example/blob?sig=1"}}));
    CHECK(next.kind == AttemptDecision::Kind::follow);
    CHECK(engine.hop().url == "https://cdn.example/blob?sig=1");
    CHECK_FALSE(engine.hop().with_credentials);
    CHECK_FALSE(engine.fresh_attempt());

    // Same host, other port or scheme: another origin too.
    engine.after_response(answer(307, {{"Location", "http://hub.example/x"}}));
    CHECK_FALSE(engine.hop().with_credentials);
    engine.after_response(answer(307, {{"Location", hub + "/back"}}));
    CHECK(engine.hop().with_credentials);

    // A retry starts over at the Hub, token included.
    CHECK(engine.after_response(answer(503)).kind == AttemptDecision::Kind::retry);
    CHECK(engine.hop().url == request.url);
    CHECK(engine.hop().with_credentials);
    CHECK(engine.fresh_attempt());
}

TEST_CASE("a request that starts off the Hub never carries the token") {
    HttpRequest request;
    request.url = "https://cdn.example/blob";
    CHECK_FALSE(engine_for(request).hop().with_credentials);
}

TEST_CASE("303 continues as a GET without body; 301/302 only turn a POST into a GET; 307 keeps it") {
    HttpRequest post;
    post.method = "POST";
    post.url = hub + "/api/x";
    post.body = "{}";
    {
        auto engine = engine_for(post);
        CHECK(engine.after_response(answer(303, {{"Location", "/api/done"}})).kind == AttemptDecision::Kind::follow);
        CHECK(engine.hop().method == "GET");
        CHECK_FALSE(engine.hop().send_body);
        CHECK(engine.hop().url == hub + "/api/done");
    }
    {
        auto engine = engine_for(post);
        engine.after_response(answer(302, {{"Location", "/api/moved"}}));
        CHECK(engine.hop().method == "GET");
        CHECK_FALSE(engine.hop().send_body);
    }
    {
        auto engine = engine_for(post);
        engine.after_response(answer(307, {{"Location", "/api/moved"}}));
        CHECK(engine.hop().method == "POST");
        CHECK(engine.hop().send_body);
    }
    HttpRequest put = post;
    put.method = "PUT";
    auto engine = engine_for(put);
    engine.after_response(answer(302, {{"Location", "/api/moved"}}));
    CHECK(engine.hop().method == "PUT");
    CHECK(engine.after_response(answer(303, {{"Location", "/api/seen"}})).kind == AttemptDecision::Kind::follow);
    CHECK(engine.hop().method == "GET");
}

TEST_CASE("redirect policies, 304 and a missing Location end the request with that response") {
    HttpRequest request;
    request.method = "HEAD";
    request.url = hub + "/a";
    request.redirects = RedirectPolicy::same_origin_only;
    auto engine = engine_for(request);
    CHECK(engine.after_response(answer(302, {{"Location", hub + "/b"}})).kind == AttemptDecision::Kind::follow);
    CHECK(engine.after_response(answer(302, {{"Location", "https://cdn.example/c"}})).kind ==
          AttemptDecision::Kind::finish);

    request.redirects = RedirectPolicy::none;
    CHECK(engine_for(request).after_response(answer(302, {{"Location", hub + "/b"}})).kind ==
          AttemptDecision::Kind::finish);
    request.redirects = RedirectPolicy::follow;
    CHECK(engine_for(request).after_response(answer(304, {{"Location", hub + "/b"}})).kind ==
          AttemptDecision::Kind::finish);
    CHECK(engine_for(request).after_response(answer(302)).kind == AttemptDecision::Kind::finish);
}

TEST_CASE("more than ten redirects is an error") {
    HttpRequest request;
    request.url = hub + "/loop";
    auto engine = engine_for(request);
    for (int i = 0; i < max_redirects; ++i)
        CHECK(engine.after_response(answer(302, {{"Location", "/loop"}})).kind == AttemptDecision::Kind::follow);
    CHECK_THROWS_AS(engine.after_response(answer(302, {{"Location", "/loop"}})), InvalidResponseError);
}

TEST_CASE("429 and 5xx are retried with backoff or the server's Retry-After, within the budget") {
    HttpRequest request;
    request.url = hub + "/api/x";
    auto engine = engine_for(request, 3);
    auto first = engine.after_response(answer(503));
    CHECK(first.kind == AttemptDecision::Kind::retry);
    CHECK(first.wait == 50ms);  // base 100 ms, jitter 0: half
    auto second = engine.after_response(answer(429, {{"Retry-After", "7"}}));
    CHECK(second.kind == AttemptDecision::Kind::retry);
    CHECK(second.wait == 7s);
    auto third = engine.after_response(answer(502));
    CHECK(third.wait == 200ms);  // the third retry's backoff: 100 ms * 2^2, halved
    CHECK(engine.attempt() == 3);
    CHECK(engine.after_response(answer(503)).kind == AttemptDecision::Kind::finish);  // budget spent

    // A wait longer than the policy allows is not waited: the 429 is the answer.
    auto patient = engine_for(request, 3);
    CHECK(patient.after_response(answer(429, {{"Retry-After", "3600"}})).kind == AttemptDecision::Kind::finish);
    // Other statuses are answers at once.
    for (long status : {200L, 404L, 409L, 412L, 501L})
        CHECK(engine_for(request).after_response(answer(status)).kind == AttemptDecision::Kind::finish);
}

TEST_CASE("a non-idempotent POST is retried on 429 and when it never left, not on 5xx or a cut") {
    HttpRequest commit;
    commit.method = "POST";
    commit.url = hub + "/api/models/a/b/commit/main";
    commit.idempotent = false;
    CHECK(engine_for(commit).after_response(answer(503)).kind == AttemptDecision::Kind::finish);
    CHECK(engine_for(commit).after_response(answer(429, {{"Retry-After", "1"}})).kind ==
          AttemptDecision::Kind::retry);
    CHECK(engine_for(commit).after_transport_error(CURLE_COULDNT_CONNECT, 0).kind ==
          AttemptDecision::Kind::retry);
    CHECK(engine_for(commit).after_transport_error(CURLE_RECV_ERROR, 0).kind == AttemptDecision::Kind::fail);
}

TEST_CASE("transport errors: transient ones are retried until the budget is spent") {
    HttpRequest request;
    request.url = hub + "/api/x";
    auto engine = engine_for(request, 2);
    CHECK(engine.after_transport_error(CURLE_OPERATION_TIMEDOUT, 0).kind == AttemptDecision::Kind::retry);
    CHECK(engine.after_transport_error(CURLE_RECV_ERROR, 0).kind == AttemptDecision::Kind::retry);
    CHECK(engine.after_transport_error(CURLE_RECV_ERROR, 0).kind == AttemptDecision::Kind::fail);
    CHECK(engine_for(request).after_transport_error(CURLE_SSL_CACERT_BADFILE, 0).kind ==
          AttemptDecision::Kind::fail);
    // A body that reached the caller cannot be taken back: a plain request fails.
    CHECK(engine_for(request).after_transport_error(CURLE_RECV_ERROR, 1).kind == AttemptDecision::Kind::fail);
}

TEST_CASE("a cut ranged download resumes at once from the next byte, with a fresh budget") {
    HttpRequest request;
    request.url = hub + "/ns/repo/resolve/main/w.bin";
    auto engine = engine_for(request, 1, true);
    std::string got;
    RangeReceiver receiver(1000, 100000, [&](std::string_view chunk) { got.append(chunk); }, request.url);
    CHECK(receiver.begin_attempt() == "bytes=1000-100999");

    // The Hub redirects to storage; a failure there without progress spends the budget.
    engine.after_response(answer(302, {{"Location", "https://cdn.example/blob"}}));
    CHECK(engine.after_transport_error(CURLE_RECV_ERROR, 0).kind == AttemptDecision::Kind::retry);
    CHECK(engine.fresh_attempt());
    CHECK(receiver.begin_attempt() == "bytes=1000-100999");

    // The next attempt delivers 70,000 bytes, then the connection is cut.
    engine.after_response(answer(302, {{"Location", "https://cdn.example/blob"}}));
    HeaderMap partial;
    partial.add("Content-Range", "bytes 1000-100999/500000");
    receiver.receive(206, partial, std::string(70000, 'a'));
    auto next = engine.after_transport_error(CURLE_PARTIAL_FILE, 70000);
    CHECK(next.kind == AttemptDecision::Kind::resume);
    CHECK(next.wait == 0ms);
    CHECK(engine.attempt() == 0);
    CHECK(engine.fresh_attempt());
    CHECK(engine.hop().url == request.url);  // back to the Hub: the storage URL may be signed for once
    CHECK(receiver.begin_attempt() == "bytes=71000-100999");

    // The resumed 206 must start at byte 71000.
    HeaderMap rest;
    rest.add("Content-Range", "bytes 71000-100999/500000");
    receiver.receive(206, rest, std::string(30000, 'b'));
    CHECK(receiver.complete());
    CHECK(got == std::string(70000, 'a') + std::string(30000, 'b'));
    // With a fresh budget, a failure without progress is retried again.
    CHECK(engine.after_transport_error(CURLE_RECV_ERROR, 0).kind == AttemptDecision::Kind::retry);
}

TEST_CASE("a body cut again and again after a trickle each time spends the retry budget, then fails") {
    HttpRequest request;
    request.url = hub + "/ns/repo/resolve/main/w.bin";
    auto engine = engine_for(request, 2, true);
    CHECK(engine.after_transport_error(CURLE_PARTIAL_FILE, 10).kind == AttemptDecision::Kind::resume);
    CHECK(engine.after_transport_error(CURLE_PARTIAL_FILE, 10).kind == AttemptDecision::Kind::resume);
    CHECK(engine.after_transport_error(CURLE_PARTIAL_FILE, 10).kind == AttemptDecision::Kind::fail);
    auto patient = engine_for(request, 2, true);
    for (int i = 0; i < 10; ++i)  // substantial progress each time: resumes for as long as it lasts
        CHECK(patient.after_transport_error(CURLE_PARTIAL_FILE, substantial_progress).kind == AttemptDecision::Kind::resume);
}

TEST_CASE("the token goes to every trusted origin (the Hub, the Endpoints API), never to a host they redirect to") {
    const std::string endpoints = "https://api.endpoints.example/v2";
    HttpRequest request;
    request.url = endpoints + "/endpoint/alice";
    AttemptEngine engine(request, {hub, endpoints}, quick_policy(0), false, [] { return 0.0; });
    CHECK(engine.hop().with_credentials);
    engine.after_response(answer(302, {{"Location", "https://storage.example/x"}}));
    CHECK_FALSE(engine.hop().with_credentials);
    HttpRequest elsewhere;
    elsewhere.url = "https://api.endpoints.example.evil/v2/endpoint/alice";
    CHECK_FALSE(AttemptEngine(elsewhere, {hub, endpoints}, quick_policy(0), false, [] { return 0.0; }).hop().with_credentials);
}
