// --memory-limit: one bound on the bytes the read path holds, split among its buffers. Half goes
// to prefetch in flight (the read-ahead window is no wider than that: it shrinks rather than
// exceed it), a quarter to recently fetched chunks kept for readers close behind, a quarter to
// fetched chunks waiting for the disk cache. Each share is at least one chunk, so reads go on
// under any limit: a read's own chunk is fetched whatever the budget (ChunkFetcher::get).
// Freed chunk buffers kept for reuse (fs/read/chunk_pool.hpp) take up to an eighth on top: the
// prefetch share counts bytes asked for, most of them not yet received, so the read path holds
// well under the limit (a 4 GiB stream under 160M: at most 90-100 MiB in use).
#pragma once

#include <cstdint>

#include "fs/read/chunk_fetcher.hpp"
#include "fs/read/read_ahead.hpp"

namespace hubfs::fs {

struct ReadMemory {
    FetcherOptions fetcher;
    ReadAheadOptions read_ahead;
};

// limit 0 leaves the defaults given.
ReadMemory split_memory_limit(uint64_t limit, uint64_t chunk, FetcherOptions fetcher = {}, ReadAheadOptions read_ahead = {});

}  // namespace hubfs::fs
