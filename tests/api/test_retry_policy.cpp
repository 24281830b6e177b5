#include "retry_policy.hpp"

#include <doctest/doctest.h>

using namespace hubfs::api;
using namespace std::chrono_literals;

TEST_CASE("retryable statuses are 408, 429 and 5xx gateway/server errors") {
    for (long status : {408L, 429L, 500L, 502L, 503L, 504L}) CHECK(is_retryable_status(status));
    for (long status : {200L, 400L, 401L, 403L, 404L, 409L, 412L, 416L, 501L}) CHECK_FALSE(is_retryable_status(status));
}

TEST_CASE("backoff doubles up to the cap, with jitter between half and full") {
    RetryPolicy policy;
    policy.base_delay = 1000ms;
    policy.max_delay = 8000ms;
    CHECK(backoff_delay(policy, 0, 0.999999) <= 1000ms);
    CHECK(backoff_delay(policy, 0, 0.0) == 500ms);
    CHECK(backoff_delay(policy, 1, 0.0) == 1000ms);
    CHECK(backoff_delay(policy, 2, 0.0) == 2000ms);
    CHECK(backoff_delay(policy, 3, 0.0) == 4000ms);
    CHECK(backoff_delay(policy, 10, 0.0) == 4000ms);  // 8 s cap, halved by jitter
    CHECK(backoff_delay(policy, 10, 1.0) == 8000ms);
    CHECK(backoff_delay(policy, 1000, 1.0) == 8000ms);  // no overflow
}

TEST_CASE("server-requested waits: RateLimit first, then Retry-After") {
    CHECK(server_requested_wait("", "\"api\";r=0;t=42") == std::chrono::milliseconds(43000));
    CHECK(server_requested_wait("7", "\"api\";r=0;t=2") == std::chrono::milliseconds(3000));
    // Quota left: RateLimit says nothing about waiting.
    CHECK(server_requested_wait("", "\"api\";r=10;t=42") == std::nullopt);
    CHECK(server_requested_wait("5", "\"api\";r=10;t=42") == std::chrono::milliseconds(5000));
    CHECK(server_requested_wait(" 2 ", "") == std::chrono::milliseconds(2000));
    CHECK(server_requested_wait("Wed, 21 Oct 2015 07:28:00 GMT", "") == std::nullopt);
    CHECK(server_requested_wait("", "") == std::nullopt);
}
