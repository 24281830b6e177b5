// WAN emulation and fault injection: latency, per-connection bandwidth, seeded faults.
#pragma once

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

    // Parses "key=value,..."; throws std::invalid_argument with a message on bad input.
    static FaultSpec parse(const std::string& spec);
};

struct Emulation {
    int latency_ms = 0;
    uint64_t bandwidth = 0;  // bytes per second per connection, 0 = unlimited
};

// Draws faults from one seeded PRNG so a run is reproducible.
class FaultInjector {
public:
    explicit FaultInjector(FaultSpec spec);
    // A status to answer instead of handling the request, if one is drawn.
    std::optional<int> draw_status();
    // For a blob GET: after how many body bytes to reset the connection, if drawn.
    std::optional<uint64_t> draw_reset();
    int retry_after_s() const { return spec_.retry_after_s; }

private:
    bool draw(double share);
    FaultSpec spec_;
    std::mutex mutex_;
    std::mt19937_64 rng_;
    uint64_t injected_ = 0;
};

}  // namespace localhub
