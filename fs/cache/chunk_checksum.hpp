// The checksum a chunk is recorded with in the cache's index: XXH3-64 of its bytes (the on-disk
// format, fs/cache/README.md). One place computes it, with the CPU's widest vector unit.
#pragma once

#include <cstddef>
#include <cstdint>

namespace hubfs::cache {

// XXH3-64 of [data, data + size): the same value as XXH3_64bits, through libxxhash's run-time
// dispatch (AVX-512 or AVX2 where the CPU has them). The plain entry point is the library's
// SSE2 build: 8-9 GB/s against 20-22 GB/s here, and every cold chunk and every check of a
// cached chunk goes through it.
uint64_t chunk_checksum(const void* data, size_t size);

}  // namespace hubfs::cache
