// A circuit breaker per host: after repeated transport failures (refused, timed out, stalled)
// the host is taken as unreachable and requests to it fail at once instead of each waiting out
// its own timeouts; one request at a time is let through as a probe, with a growing pause
// between probes, and the first answer closes the breaker again. It also counts the requests
// in flight, with their age, for `hubfs status`.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace hubfs::api {

class HostHealth {
public:
    using Clock = std::chrono::steady_clock;
    struct Options {
        int failures_to_open = 2;                       // consecutive transport failures
        std::chrono::milliseconds first_probe{1000};    // pause before the first probe; doubles
        std::chrono::milliseconds max_probe{10000};
    };
    HostHealth() = default;
    explicit HostHealth(Options opts) : opts_(opts) {}

    // Before a request to `origin`: nullopt if it may go out, else why it may not.
    std::optional<std::string> refusal(const std::string& origin);
    void answered(const std::string& origin);                            // any HTTP response
    void failed(const std::string& origin, const std::string& cause);    // a transport failure
    bool is_down(const std::string& origin);
    std::vector<std::string> down_hosts();  // "origin (cause)"

    // Requests in flight (for status): a token per request.
    struct InFlight {
        std::string origin;
        std::string what;  // method and path, without query
        Clock::time_point since;
    };
    uint64_t begin(InFlight request);
    void end(uint64_t token);
    std::vector<InFlight> in_flight();

private:
    struct Host {
        int failures = 0;
        bool open = false;
        bool probing = false;
        int probes = 0;
        Clock::time_point next_probe{};
        std::string cause;
    };
    Options opts_;
    std::mutex mutex_;
    std::map<std::string, Host> hosts_;
    std::map<uint64_t, InFlight> in_flight_;
    uint64_t next_token_ = 1;
};

}  // namespace hubfs::api
