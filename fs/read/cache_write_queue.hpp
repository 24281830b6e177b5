// Fetched chunks waiting for the disk cache, handed to the cache-writer threads in batches. A
// content's chunks go to one writer at a time: two threads pwriting one blob file take turns on
// its inode lock anyway, and the one waiting spins on it (`rwsem_spin_on_owner`, 7-9% of the
// daemon's CPU in a cold read; BENCHMARKS.md). Contents of files read at once are written in
// parallel. Not thread-safe: the fetcher's mutex guards it.
#pragma once

#include <cstdint>
#include <deque>
#include <set>
#include <string>
#include <vector>

#include "fs/read/chunk_pool.hpp"

namespace hubfs::fs {

struct CacheWrite {
    std::string content_id;
    uint64_t index = 0, total_size = 0;
    ChunkPool::Chunk data;
    uint64_t checksum = 0;  // XXH3-64 of data
    std::string key;        // the fetcher's key of the chunk
};

class CacheWriteQueue {
public:
    void push(CacheWrite w) { queue_.push_back(std::move(w)); }
    bool empty() const { return queue_.empty(); }
    // Whether take() has something to give: a queued chunk of a content no writer holds.
    bool ready() const;
    // Up to `cap` queued chunks of the first content no writer holds, oldest first. The content
    // is held (by the caller) until release().
    std::vector<CacheWrite> take(size_t cap);
    void release(const std::vector<CacheWrite>& batch);

private:
    bool free(const CacheWrite& w) const { return !held_.count(w.content_id); }  // no writer holds its content

    std::deque<CacheWrite> queue_;
    std::set<std::string, std::less<>> held_;
};

}  // namespace hubfs::fs
