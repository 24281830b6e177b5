#include "host_health.hpp"

#include <algorithm>
#include <cstdio>

namespace hubfs::api {

std::optional<std::string> HostHealth::refusal(const std::string& origin) {
    std::lock_guard lock(mutex_);
    auto it = hosts_.find(origin);
    if (it == hosts_.end() || !it->second.open) return std::nullopt;
    Host& h = it->second;
    auto now = Clock::now();
    if (!h.probing && now >= h.next_probe) {
        h.probing = true;  // this request finds out whether the host is back
        return std::nullopt;
    }
    auto wait_ms = std::chrono::duration_cast<std::chrono::milliseconds>(h.next_probe - now).count();
    char next[48];
    std::snprintf(next, sizeof next, "next try in %.1f s", static_cast<double>(std::max<long long>(wait_ms, 0)) / 1000);
    return origin + " is unreachable (" + h.cause + "); " + (h.probing ? std::string("a probe is running") : next);
}

void HostHealth::answered(const std::string& origin) {
    std::lock_guard lock(mutex_);
    auto it = hosts_.find(origin);
    if (it != hosts_.end()) hosts_.erase(it);
}

void HostHealth::failed(const std::string& origin, const std::string& cause) {
    std::lock_guard lock(mutex_);
    Host& h = hosts_[origin];
    h.cause = cause;
    if (h.open) {
        if (!h.probing) return;  // a request that started before the breaker opened
        h.probing = false;
        ++h.probes;
    } else if (++h.failures < opts_.failures_to_open) {
        return;
    }
    h.open = true;
    auto pause = opts_.first_probe * (1LL << std::min(h.probes, 16));
    h.next_probe = Clock::now() + std::min<std::chrono::milliseconds>(pause, opts_.max_probe);
}

bool HostHealth::is_down(const std::string& origin) {
    std::lock_guard lock(mutex_);
    auto it = hosts_.find(origin);
    return it != hosts_.end() && it->second.open;
}

std::vector<std::string> HostHealth::down_hosts() {
    std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    for (const auto& [origin, h] : hosts_)
        if (h.open) out.push_back(origin + " (" + h.cause + ")");
    return out;
}

uint64_t HostHealth::begin(InFlight request) {
    std::lock_guard lock(mutex_);
    uint64_t token = next_token_++;
    in_flight_.emplace(token, std::move(request));
    return token;
}

void HostHealth::end(uint64_t token) {
    std::lock_guard lock(mutex_);
    in_flight_.erase(token);
}

std::vector<HostHealth::InFlight> HostHealth::in_flight() {
    std::lock_guard lock(mutex_);
    std::vector<InFlight> out;
    for (const auto& [token, r] : in_flight_) out.push_back(r);
    return out;
}

}  // namespace hubfs::api
