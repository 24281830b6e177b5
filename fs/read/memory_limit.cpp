#include "fs/read/memory_limit.hpp"

#include <algorithm>

namespace hubfs::fs {

ReadMemory split_memory_limit(uint64_t limit, uint64_t chunk, FetcherOptions fetcher, ReadAheadOptions read_ahead) {
    ReadMemory m{fetcher, read_ahead};
    if (limit == 0) return m;
    const uint64_t one = std::max<uint64_t>(chunk, 1);
    auto share = [&](uint64_t bytes, uint64_t was) { return std::min(was, std::max(one, bytes / one * one)); };
    m.fetcher.memory_budget = share(limit / 2, fetcher.memory_budget);
    m.fetcher.recent_bytes = share(limit / 4, fetcher.recent_bytes);
    m.fetcher.write_backlog = share(limit / 4, fetcher.write_backlog);
    m.fetcher.pool_bytes = std::min(fetcher.pool_bytes, limit / 8 / one * one);  // 0 under a tiny limit: no pool
    // A window wider than the prefetch budget would only be refused; requests split it among
    // `parallel` connections still.
    m.read_ahead.max = std::min(read_ahead.max, m.fetcher.memory_budget);
    m.read_ahead.initial = std::min(read_ahead.initial, m.read_ahead.max);
    m.read_ahead.max_request = std::min(read_ahead.max_request, std::max(one, m.read_ahead.max / 2 / one * one));
    m.fetcher.max_request = std::min(fetcher.max_request, std::max(one, m.fetcher.memory_budget / 2 / one * one));
    return m;
}

}  // namespace hubfs::fs
