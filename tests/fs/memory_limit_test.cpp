// --memory-limit (fs/read/memory_limit) over the chunk fetcher and a fake Remote: the limit is
// split among prefetch, recent chunks and the cache backlog without exceeding it; prefetch
// beyond it is refused while a reader's own chunk is still fetched; a stream under a limit of
// one chunk still reads every byte.
#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <future>

#include "fake_remote.hpp"
#include "fetch_fixture.hpp"
#include "fs/read/memory_limit.hpp"

using namespace hubfs::fs;
using namespace hubfs::fs::testing;
namespace stdfs = std::filesystem;

namespace {

constexpr uint64_t kChunk = 4096, MiB = 1ull << 20;

}  // namespace

TEST_CASE("the memory limit is split among the read path's buffers, never exceeding it") {
    auto m = split_memory_limit(64 * MiB, MiB);
    CHECK(m.fetcher.memory_budget == 32 * MiB);
    CHECK(m.fetcher.recent_bytes == 16 * MiB);
    CHECK(m.fetcher.write_backlog == 16 * MiB);
    CHECK(m.fetcher.memory_budget + m.fetcher.recent_bytes + m.fetcher.write_backlog <= 64 * MiB);
    CHECK(m.read_ahead.max <= m.fetcher.memory_budget);  // the window shrinks to what prefetch may hold
    CHECK(m.read_ahead.initial <= m.read_ahead.max);
    CHECK(m.fetcher.max_request <= m.fetcher.memory_budget);
    CHECK(m.fetcher.pool_bytes == 8 * MiB);  // freed buffers kept for reuse: an eighth
    // No limit: the defaults. A limit above them keeps them (it is a bound, not a target).
    auto none = split_memory_limit(0, MiB);
    CHECK(none.fetcher.memory_budget == FetcherOptions{}.memory_budget);
    CHECK(none.read_ahead.max == ReadAheadOptions{}.max);
    auto large = split_memory_limit(64ull << 30, MiB);
    CHECK(large.fetcher.memory_budget == FetcherOptions{}.memory_budget);
    CHECK(large.fetcher.recent_bytes == FetcherOptions{}.recent_bytes);
    // A limit below a chunk still leaves one chunk for each share: reads go on.
    auto tiny = split_memory_limit(100 * 1024, MiB);
    CHECK(tiny.fetcher.memory_budget == MiB);
    CHECK(tiny.fetcher.write_backlog == MiB);
    CHECK(tiny.read_ahead.max == MiB);
    CHECK(tiny.fetcher.pool_bytes == 0);
    CHECK(large.fetcher.pool_bytes == FetcherOptions{}.pool_bytes);
}

TEST_CASE("under the limit, prefetch beyond it is refused and a reader's own chunk is still fetched") {
    FakeRemote remote;
    TempCache tc(kChunk);
    FileSource src = file_of(remote, "big.bin", 100 * kChunk);
    auto m = split_memory_limit(8 * kChunk, kChunk);  // prefetch: 4 chunks
    m.fetcher.workers = 8;
    ChunkFetcher fetcher(remote, tc.cache, m.fetcher);
    ReadAhead ra(m.read_ahead);
    remote.close_gate();
    // A stream's window asks for more than the budget: the fetcher takes 4 chunks, no more.
    ra.on_read(0, kChunk, src.entry.size, kChunk);
    auto plan = ra.on_read(kChunk, 2 * kChunk, src.entry.size, kChunk);
    REQUIRE_FALSE(plan.empty());
    CHECK((plan.last - plan.first + 1) * kChunk <= m.fetcher.memory_budget);
    uint64_t taken = fetcher.prefetch(src, plan.first, 99, plan.request_chunks);
    CHECK(taken == plan.first + 4);
    CHECK(fetcher.prefetch(src, taken, 99) == taken);  // spent: nothing more starts
    REQUIRE(remote.wait_for_reads(1));
    // A read elsewhere is not prefetch: it is fetched though the budget is spent.
    std::promise<ChunkFetcher::Chunk> got;
    fetcher.get_async(src, 80, [&](ChunkFetcher::Chunk c, std::exception_ptr) { got.set_value(c); });
    remote.open_gate();
    auto c = got.get_future().get();
    REQUIRE(c);
    CHECK(*c == pattern(100 * kChunk).substr(80 * kChunk, kChunk));
    for (uint64_t i = plan.first; i < taken; ++i) fetcher.get(src, i);
    uint64_t asked = 0;
    for (const auto& r : remote.reads()) asked += r.length;
    CHECK(asked == 5 * kChunk);  // the 4 prefetched and the read's own
}

TEST_CASE("a stream under a limit of one chunk reads every byte") {
    FakeRemote remote;
    TempCache tc(kChunk);
    const uint64_t size = 50 * kChunk + 123;
    FileSource src = file_of(remote, "stream.bin", size);
    auto m = split_memory_limit(kChunk, kChunk);
    ChunkFetcher fetcher(remote, tc.cache, m.fetcher);
    ReadAhead ra(m.read_ahead);
    std::string read;
    for (uint64_t off = 0; off < size; off += kChunk) {
        auto plan = ra.on_read(off, std::min(size, off + kChunk), size, kChunk);
        if (!plan.empty()) ra.asked_until(fetcher.prefetch(src, plan.first, plan.last, plan.request_chunks));
        read += *fetcher.get(src, off / kChunk);
    }
    CHECK(read == pattern(size));
}
