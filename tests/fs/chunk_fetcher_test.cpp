// ChunkFetcher against a fake Remote (no FUSE, no HTTP): one fetch per chunk however many
// readers wait for it, and prefetch held to its memory budget.
#include <doctest/doctest.h>

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <future>
#include <map>
#include <mutex>
#include <thread>

#include "fake_remote.hpp"
#include "fetch_fixture.hpp"
#include "fs/read/chunk_fetcher.hpp"

using namespace hubfs::fs;
using namespace hubfs::fs::testing;
namespace stdfs = std::filesystem;

namespace {

constexpr uint32_t kChunk = 4096;

FetcherOptions small_options() {
    FetcherOptions o;
    o.workers = 4;
    o.cache_writers = 1;
    o.max_request = kChunk;  // one chunk per request: each request is one visible read
    return o;
}

}  // namespace

TEST_CASE("single flight: readers of a chunk in flight wait for the one fetch") {
    FakeRemote remote;
    TempCache tc(kChunk);
    FileSource src = file_of(remote, "w.bin", 3 * kChunk, '1');
    ChunkFetcher fetcher(remote, tc.cache, small_options());

    remote.close_gate();
    auto first = std::async(std::launch::async, [&] { return fetcher.get(src, 1); });
    REQUIRE(remote.wait_for_reads(1));
    // While the fetch hangs at the Hub, more readers come: a callback and a blocking reader.
    std::promise<ChunkFetcher::Chunk> async_result;
    fetcher.get_async(src, 1, [&](ChunkFetcher::Chunk c, std::exception_ptr) { async_result.set_value(c); });
    auto async_future = async_result.get_future();
    CHECK(async_future.wait_for(std::chrono::milliseconds(0)) == std::future_status::timeout);
    auto second = std::async(std::launch::async, [&] { return fetcher.get(src, 1); });
    remote.open_gate();

    std::string expected = pattern(3 * kChunk).substr(kChunk, kChunk);
    CHECK(*first.get() == expected);
    CHECK(*second.get() == expected);
    CHECK(*async_future.get() == expected);
    auto reads = remote.reads();
    REQUIRE(reads.size() == 1);
    CHECK(reads[0].offset == kChunk);
    CHECK(reads[0].length == kChunk);

    // Later readers are served from memory or disk, without the Hub.
    CHECK(*fetcher.get(src, 1) == expected);
    CHECK(remote.reads().size() == 1);
}

TEST_CASE("the last chunk is short; a chunk past the end is empty") {
    FakeRemote remote;
    TempCache tc(kChunk);
    FileSource src = file_of(remote, "odd.bin", 2 * kChunk + 10, '2');
    ChunkFetcher fetcher(remote, tc.cache, small_options());
    CHECK(*fetcher.get(src, 2) == pattern(2 * kChunk + 10).substr(2 * kChunk));
    REQUIRE(remote.reads().size() == 1);
    CHECK(remote.reads()[0].length == 10);
}

TEST_CASE("prefetch stops at the memory budget and goes on once it is free") {
    FakeRemote remote;
    TempCache tc(kChunk);
    FileSource src = file_of(remote, "big.bin", 100 * kChunk, '3');
    FetcherOptions options = small_options();
    options.memory_budget = 3 * kChunk;
    ChunkFetcher fetcher(remote, tc.cache, options);

    remote.close_gate();
    fetcher.prefetch(src, 0, 99);
    REQUIRE(remote.wait_for_reads(3));
    // With three chunks in flight the budget is spent: asking for more starts nothing.
    fetcher.prefetch(src, 3, 99);
    remote.open_gate();
    for (uint64_t i = 0; i < 3; ++i) CHECK(*fetcher.get(src, i) == pattern(100 * kChunk).substr(i * kChunk, kChunk));
    auto reads = remote.reads();
    REQUIRE(reads.size() == 3);
    uint64_t asked = 0;
    for (const auto& r : reads) asked += r.length;
    CHECK(asked == 3 * kChunk);

    // The budget comes back as the fetches end; then prefetch goes on.
    for (int i = 0; i < 200 && remote.reads().size() < 6; ++i) {
        fetcher.prefetch(src, 3, 5);
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    CHECK(remote.reads().size() == 6);
    for (uint64_t i = 3; i < 6; ++i) CHECK(*fetcher.get(src, i) == pattern(100 * kChunk).substr(i * kChunk, kChunk));
    CHECK(remote.reads().size() == 6);
}

TEST_CASE("a disk behind the fetches holds them back instead of leaving chunks uncached") {
    FakeRemote remote;
    TempCache tc(kChunk);
    FileSource src = file_of(remote, "stream.bin", 64 * kChunk, '4');
    FetcherOptions options = small_options();
    options.max_request = 16 * kChunk;  // a few large requests, delivering chunks faster than one writer syncs them
    options.write_backlog = kChunk;     // room for one chunk waiting for the disk
    options.recent_bytes = kChunk;
    ChunkFetcher fetcher(remote, tc.cache, options);
    fetcher.prefetch(src, 0, 63);
    const std::string all = pattern(64 * kChunk);
    for (uint64_t i = 0; i < 64; ++i) CHECK(*fetcher.get(src, i) == all.substr(i * kChunk, kChunk));
    // Every chunk reached the disk cache, and none was fetched twice.
    for (int i = 0; i < 500; ++i) {
        bool all_cached = true;
        for (uint64_t c = 0; c < 64; ++c) all_cached = all_cached && tc.cache.has_chunk(src.entry.content_id(), c);
        if (all_cached) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    for (uint64_t c = 0; c < 64; ++c) CHECK(tc.cache.has_chunk(src.entry.content_id(), c));
    uint64_t asked = 0;
    for (const auto& r : remote.reads()) asked += r.length;
    CHECK(asked == 64 * kChunk);
}

TEST_CASE("a worker fetches a batch of jobs in one read_ranges call; each chunk is handed out once, in order") {
    FakeRemote remote;
    TempCache tc(kChunk);
    FileSource src = file_of(remote, "batch.bin", 16 * kChunk, '5');
    FetcherOptions options = small_options();
    options.workers = 1;
    options.transfers_per_worker = 4;
    options.max_request = 4 * kChunk;  // 16 chunks: 4 jobs of 4 chunks, one batch
    ChunkFetcher fetcher(remote, tc.cache, options);

    std::mutex m;
    std::vector<uint64_t> order;
    std::map<uint64_t, std::string> got;
    auto record = [&](uint64_t i) {
        return [&, i](ChunkFetcher::Chunk c, std::exception_ptr e) {
            std::lock_guard lock(m);
            order.push_back(i);
            if (c && !e) got[i] = *c;
        };
    };
    remote.close_gate();
    fetcher.prefetch(src, 0, 15);
    const bool at_once = remote.wait_for_reads(4);  // all four from the one worker: a batch
    for (uint64_t i = 0; i < 16; ++i) fetcher.get_async(src, i, record(i));
    remote.open_gate();
    REQUIRE(at_once);
    for (uint64_t i = 0; i < 16; ++i) CHECK(*fetcher.get(src, i) == pattern(16 * kChunk).substr(i * kChunk, kChunk));

    CHECK(remote.batches() == 1);
    CHECK(remote.reads().size() == 4);
    std::lock_guard lock(m);
    std::vector<uint64_t> expected(16);
    for (uint64_t i = 0; i < 16; ++i) expected[i] = i;
    CHECK(order == expected);  // each chunk once, in file order (the fake hands out the reads in order)
    CHECK(got.size() == 16);
}

TEST_CASE("a failed read of a batch fails its own chunks only") {
    FakeRemote remote;
    TempCache tc(kChunk);
    FileSource good = file_of(remote, "good.bin", 4 * kChunk, '6');
    FileSource gone = file_of(remote, "gone.bin", 4 * kChunk, '7');
    gone.path = "missing.bin";  // the fake has no bytes for it: its read throws
    FetcherOptions options = small_options();
    options.workers = 1;
    options.transfers_per_worker = 4;
    options.max_request = 4 * kChunk;
    ChunkFetcher fetcher(remote, tc.cache, options);

    // The one worker is held in a first batch, so `good` and `gone` are both queued when it
    // takes its next one (queued one after the other, the worker could take `good` alone).
    FileSource first = file_of(remote, "first.bin", kChunk, '5');
    remote.close_gate();
    fetcher.prefetch(first, 0, 0);
    REQUIRE(remote.wait_for_reads(1));
    fetcher.prefetch(good, 0, 3);
    fetcher.prefetch(gone, 0, 3);
    std::vector<std::future<bool>> failed;
    for (uint64_t i = 0; i < 4; ++i) {
        auto p = std::make_shared<std::promise<bool>>();
        failed.push_back(p->get_future());
        fetcher.get_async(gone, i, [p](ChunkFetcher::Chunk c, std::exception_ptr e) { p->set_value(!c && e); });
    }
    remote.open_gate();
    for (uint64_t i = 0; i < 4; ++i) CHECK(*fetcher.get(good, i) == pattern(4 * kChunk).substr(i * kChunk, kChunk));
    for (auto& f : failed) {
        REQUIRE(f.wait_for(std::chrono::seconds(20)) == std::future_status::ready);  // a bound for hangs
        CHECK(f.get());
    }
    CHECK(remote.batches() == 2);  // the first read's, then `good` and `gone` in one
    CHECK(remote.reads().size() == 3);
}

TEST_CASE("fetched chunks reach the disk cache byte-exact, recorded with the XXH3 taken as they arrived") {
    FakeRemote remote;
    TempCache tc(kChunk);
    const uint64_t size = 20 * kChunk + 123;  // a short last chunk too
    FileSource src = file_of(remote, "hashed.bin", size, '5');
    FetcherOptions options = small_options();
    options.max_request = 8 * kChunk;  // several chunks per request: the cache writer gets them in batches
    ChunkFetcher fetcher(remote, tc.cache, options);
    fetcher.prefetch(src, 0, 20);
    const std::string all = pattern(size);
    for (uint64_t i = 0; i <= 20; ++i) CHECK(*fetcher.get(src, i) == all.substr(i * kChunk, kChunk));
    const std::string id = src.entry.content_id();
    for (int i = 0; i < 500 && tc.cache.cached_bytes(id) < size; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    REQUIRE(tc.cache.cached_bytes(id) == size);
    std::string out;
    for (uint64_t i = 0; i <= 20; ++i) {
        REQUIRE(tc.cache.read_chunk(id, i, out));  // checks the bytes against the recorded XXH3
        CHECK(out == all.substr(i * kChunk, kChunk));
    }
}
