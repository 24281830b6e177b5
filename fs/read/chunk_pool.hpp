// Chunk buffers, reused. A cold stream makes and frees a chunk-sized buffer per chunk (about 300
// a second), each held for a while by the recent set, the cache backlog or a reply to the kernel.
// glibc serves them from its heaps and keeps what they free: with threads allocating in two
// arenas, and small allocations pinning the holes between large ones, a 4 GiB stream's heaps
// reached 170-230 MiB while at most 101 MiB was ever in use (mallinfo2, sampled). Buffers handed
// back here are given out again as they are, so the heaps hold the most chunks ever in use at
// once, plus what the pool keeps (`keep_bytes`; beyond it a freed buffer goes back to malloc).
// Thread-safe; chunks may outlive the pool (their deleter holds its state).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace hubfs::fs {

class ChunkPool {
public:
    using Chunk = std::shared_ptr<const std::string>;

    // Buffers of at least `buffer_size` bytes of capacity are kept, up to keep_bytes in all.
    ChunkPool(uint64_t buffer_size, uint64_t keep_bytes);

    // An empty string with room for `size` bytes: a kept buffer if there is one.
    std::string take(uint64_t size);
    // The bytes as a chunk whose buffer comes back here when the last reader lets it go.
    Chunk share(std::string&& bytes);
    // Hands a buffer back without sharing it (a read that failed).
    void give(std::string&& bytes);
    uint64_t kept_bytes() const;  // in the pool now, for tests

private:
    struct State;
    std::shared_ptr<State> state_;
};

}  // namespace hubfs::fs
