#include "retry_policy.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string>

namespace hubfs::api {

namespace {

std::optional<long long> parse_non_negative(std::string_view text) {
    while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
    while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
    long long value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size() || value < 0) return std::nullopt;
    return value;
}

// Finds `;key=value` in a structured-field item such as `"api";r=0;t=42`.
std::optional<long long> rate_limit_param(std::string_view header, std::string_view key) {
    size_t pos = 0;
    while ((pos = header.find(';', pos)) != std::string_view::npos) {
        ++pos;
        while (pos < header.size() && header[pos] == ' ') ++pos;
        if (header.substr(pos).starts_with(key) && header.substr(pos + key.size()).starts_with("=")) {
            std::string_view value = header.substr(pos + key.size() + 1);
            value = value.substr(0, value.find_first_of(";,"));
            return parse_non_negative(value);
        }
    }
    return std::nullopt;
}

}  // namespace

bool is_retryable_status(long status) {
    return status == 408 || status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int attempt, double unit_random) {
    double exponential = static_cast<double>(policy.base_delay.count()) * std::pow(2.0, std::min(attempt, 30));
    double capped = std::min(exponential, static_cast<double>(policy.max_delay.count()));
    double jitter = 0.5 + 0.5 * std::clamp(unit_random, 0.0, 1.0);
    return std::chrono::milliseconds(static_cast<long long>(capped * jitter));
}

std::optional<std::chrono::milliseconds> server_requested_wait(std::string_view retry_after,
                                                               std::string_view rate_limit) {
    if (!rate_limit.empty()) {
        auto remaining = rate_limit_param(rate_limit, "r");
        auto reset = rate_limit_param(rate_limit, "t");
        if (remaining && *remaining == 0 && reset) return std::chrono::seconds(*reset + 1);
    }
    if (auto seconds = parse_non_negative(retry_after)) return std::chrono::seconds(*seconds);
    return std::nullopt;
}

}  // namespace hubfs::api
