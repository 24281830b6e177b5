// Access times of reads, kept in memory and written to LMDB in batches: a cache hit must not cost
// a write transaction (which would serialise all readers on LMDB's writer lock and sync a page).
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace hubfs::cache {

class AccessTracker {
public:
    using Pending = std::unordered_map<std::string, uint64_t>;  // content id -> atime (ms)

    void note(std::string_view id, uint64_t now_ms) {
        std::lock_guard lock(mu_);
        auto [it, inserted] = pending_.try_emplace(std::string(id), now_ms);
        if (!inserted && it->second < now_ms) it->second = now_ms;
    }
    bool due(uint64_t now_ms, uint64_t interval_ms) const {
        return now_ms >= last_flush_ms_.load(std::memory_order_relaxed) + interval_ms;
    }
    // Hands over what is pending; the caller writes it to LMDB.
    Pending take(uint64_t now_ms) {
        std::lock_guard lock(mu_);
        last_flush_ms_.store(now_ms, std::memory_order_relaxed);
        return std::exchange(pending_, {});
    }
    std::mutex& flush_mutex() { return flush_mu_; }  // one flusher at a time

private:
    std::mutex mu_;
    Pending pending_;
    std::atomic<uint64_t> last_flush_ms_{0};
    std::mutex flush_mu_;
};

}  // namespace hubfs::cache
