// ChunkPool (fs/read/chunk_pool): a chunk's buffer comes back when its last holder lets it go
// and is given out again as it is; the pool keeps no more than its bound, and no short buffer;
// a chunk may outlive its pool.
#include <doctest/doctest.h>

#include <optional>

#include "fs/read/chunk_pool.hpp"

using namespace hubfs::fs;

namespace {

constexpr uint64_t kChunk = 4096;

ChunkPool::Chunk filled(ChunkPool& pool, uint64_t size, char c = 'x') {
    std::string s = pool.take(size);
    s.append(size, c);
    return pool.share(std::move(s));
}

}  // namespace

TEST_CASE("a chunk's buffer comes back once its last holder lets go, and is given out again") {
    ChunkPool pool(kChunk, 4 * kChunk);
    auto chunk = filled(pool, kChunk);
    const char* buffer = chunk->data();
    auto second = chunk;  // a reader still holds it
    chunk.reset();
    CHECK(pool.kept_bytes() == 0);
    second.reset();
    CHECK(pool.kept_bytes() >= kChunk);
    std::string again = pool.take(kChunk);
    CHECK(again.empty());
    CHECK(again.capacity() >= kChunk);
    CHECK(again.data() == buffer);  // the same memory, not a new allocation
    CHECK(pool.kept_bytes() == 0);
}

TEST_CASE("the pool keeps at most its bound, and no buffer shorter than a chunk") {
    ChunkPool pool(kChunk, 2 * kChunk);
    {
        auto a = filled(pool, kChunk), b = filled(pool, kChunk), c = filled(pool, kChunk);
    }
    CHECK(pool.kept_bytes() <= 2 * kChunk);
    CHECK(pool.kept_bytes() >= kChunk);
    ChunkPool other(kChunk, 8 * kChunk);
    filled(other, 100).reset();  // a file's short last chunk
    CHECK(other.kept_bytes() == 0);
    std::string failed = other.take(kChunk);  // a read that failed hands its buffer back
    other.give(std::move(failed));
    CHECK(other.kept_bytes() >= kChunk);
    ChunkPool none(kChunk, 0);  // a tiny --memory-limit: no pool
    filled(none, kChunk).reset();
    CHECK(none.kept_bytes() == 0);
}

TEST_CASE("a chunk outlives its pool and still reads and frees") {
    std::optional<ChunkPool> pool(std::in_place, kChunk, 4 * kChunk);
    auto chunk = filled(*pool, kChunk, 'y');
    pool.reset();
    CHECK(chunk->size() == kChunk);
    CHECK((*chunk)[kChunk - 1] == 'y');
    chunk.reset();  // back to the pool's state, kept alive by the chunk's deleter
}
