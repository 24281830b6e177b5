// When and how long to wait before retrying a request (issue 3: 408, 429, 5xx and connection
// errors, exponential backoff with jitter, server-provided Retry-After / RateLimit honoured).
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace hubfs::api {

struct RetryPolicy {
    int max_retries = 5;                               // as the Python client
    std::chrono::milliseconds base_delay{1000};        // first backoff; doubles each time
    std::chrono::milliseconds max_delay{8000};         // backoff cap
    std::chrono::milliseconds max_server_wait{300000}; // a longer Retry-After is reported, not waited
};

bool is_retryable_status(long status);

// Backoff for retry number `attempt` (0-based): base * 2^attempt capped at max_delay, scaled by
// a jitter factor in [0.5, 1] drawn from `unit_random` in [0, 1).
std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int attempt, double unit_random);

// The wait a server asked for: `RateLimit: "api";r=0;t=N` (exhausted window, N+1 s, as the
// Python client) or else an integer `Retry-After`. nullopt when neither says anything.
std::optional<std::chrono::milliseconds> server_requested_wait(std::string_view retry_after,
                                                               std::string_view rate_limit);

}  // namespace hubfs::api
