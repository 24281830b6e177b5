// chunk_checksum: the dispatched XXH3 must give exactly XXH3_64bits' value (the index's on-disk
// checksums were written with it) for every length and alignment a chunk can have.
#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <xxhash.h>

#include "fs/cache/chunk_checksum.hpp"

TEST_CASE("chunk_checksum equals XXH3_64bits at every size class, unaligned too") {
    std::string bytes((1u << 20) + 4096, '\0');
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (auto& c : bytes) {  // not a repeating pattern: each stripe of the hash sees other bytes
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        c = static_cast<char>(x);
    }
    // XXH3's code paths: 0, 1-3, 4-8, 9-16, 17-128, 129-240 bytes, then stripes, blocks and the tail.
    const size_t sizes[] = {0, 1, 3, 4, 8, 9, 16, 17, 128, 129, 240, 241, 1023, 1024, 1025, 4096, 65536 + 7,
                            (1u << 20) - 1, 1u << 20, (1u << 20) + 123};
    for (size_t offset : {size_t{0}, size_t{1}, size_t{13}})
        for (size_t n : sizes) {
            const char* p = bytes.data() + offset;
            CHECK_MESSAGE(hubfs::cache::chunk_checksum(p, n) == XXH3_64bits(p, n), "size ", n, " offset ", offset);
        }
}
