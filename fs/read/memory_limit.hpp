// --memory-limit: one bound on the bytes the read path holds, split among its buffers. Half goes
// to prefetch in flight (the read-ahead window is no wider than that: it shrinks rather than
// exceed it), a quarter to recently fetched chunks kept for readers close behind, a quarter to
// fetched chunks waiting for the disk cache. Each share is at least one chunk, so reads go on
// under any limit: a read's own chunk is fetched whatever the budget (ChunkFetcher::get).
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
