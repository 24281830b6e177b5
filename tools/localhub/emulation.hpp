// WAN emulation and fault injection: latency, per-connection bandwidth, seeded faults, and
// stalls (a Hub that accepts and never answers, stops mid-body, trickles, or hangs up).
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <cstdint>
#include <mutex>
#include <optional>
#include <random>
#include <string>

namespace localhub {

struct FaultSpec {
    uint64_t seed = 1;
    double reset_share = 0;             // of blob-host GETs
    uint64_t reset_after = 1 << 20;     // body bytes sent before the reset
    double share_500 = 0, share_503 = 0, share_429 = 0;
    int retry_after_s = 1;
    std::optional<uint64_t> max_faults;
    // Stalls: held until the faults are disarmed (SIGUSR2), the client goes or localhub stops.
    double stall_share = 0;             // read the request, never answer
    double stall_body_share = 0;        // send the head and stall_after body bytes, then hold
    uint64_t stall_after = 65536;
    double slow_share = 0;              // send the body at slow_rate bytes per second
    uint64_t slow_rate = 1;
    double close_share = 0;             // send the head and close_after body bytes, then close (FIN)
    uint64_t close_after = 65536;
    std::string host = "any";           // "api", "blob" or "any": which listener faults apply to
    bool armed = true;                  // faults active from the start (SIGUSR1/SIGUSR2 toggle)
    std::string paths;                  // --fault-paths: POSIX extended regex searched in the request path

    // Parses "key=value,..."; throws std::invalid_argument with a message on bad input.
    static FaultSpec parse(const std::string& spec);
};

struct Emulation {
    int latency_ms = 0;
    uint64_t bandwidth = 0;  // bytes per second per connection, 0 = unlimited
};

// What happens to one response's body.
enum class BodyFault { none, reset, stall, slow, close };

struct BodyPlan {
    BodyFault kind = BodyFault::none;
    uint64_t after = 0;      // reset, stall, close: body bytes sent first
    uint64_t rate = 0;       // slow: bytes per second
    const char* name() const;
};

// Draws faults from one seeded PRNG so a run is reproducible, and holds stalled requests.
class FaultInjector {
public:
    explicit FaultInjector(FaultSpec spec);
    ~FaultInjector();

    // Whether faults may touch a request to this listener ("api"/"blob") and path (as sent).
    bool applies(const std::string& listener, const std::string& raw_path) const;
    // A status to answer instead of handling the request, if one is drawn.
    std::optional<int> draw_status();
    // Whether to hold the request unanswered.
    bool draw_stall();
    // What to do to the body of a response with this status to a request with this method.
    BodyPlan draw_body(const std::string& listener, const std::string& method, int status);
    int retry_after_s() const { return spec_.retry_after_s; }

    // Arms (faults drawn, stalls hold) or disarms (no faults; held requests go on at once).
    void set_armed(bool armed);
    bool armed() const;
    // Blocks while armed. Returns false if the client on fd closed or the socket was shut down
    // (localhub stopping): the caller then drops the request.
    bool hold(int fd);
    // Sleeps for d, or less if disarmed meanwhile.
    void pause(std::chrono::steady_clock::duration d);

private:
    bool draw(double share);
    FaultSpec spec_;
    struct PathFilter;  // the compiled --fault-paths (POSIX regex_t)
    std::unique_ptr<PathFilter> paths_;
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::mt19937_64 rng_;
    uint64_t injected_ = 0;
    bool armed_ = true;
};

}  // namespace localhub
