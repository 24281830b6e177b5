// The read-ahead policy alone (fs/read/read_ahead): a stream's window opens at its first byte,
// grows as it reads on, splits into parallel requests, stays within its bound, and a seek
// drops it so random reads fetch nothing ahead.
#include <doctest/doctest.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "fs/read/read_ahead.hpp"

using namespace hubfs::fs;

namespace {

constexpr uint64_t MiB = 1ull << 20;
constexpr uint64_t kChunk = MiB;
constexpr uint64_t kFile = 4096 * MiB;

ReadAheadOptions options() {
    ReadAheadOptions o;
    o.initial = 16 * MiB;
    o.max = 256 * MiB;
    o.slack = MiB;
    o.parallel = 8;
    o.max_request = 16 * MiB;
    return o;
}

// Reads the file sequentially in `step` bytes from `from` to `to`; returns the bytes asked ahead.
uint64_t stream(ReadAhead& ra, uint64_t from, uint64_t to, uint64_t step, uint64_t* max_request = nullptr) {
    uint64_t asked = 0;
    for (uint64_t off = from; off < to; off += step) {
        auto p = ra.on_read(off, off + step, kFile, kChunk);
        if (p.empty()) continue;
        asked += (p.last - p.first + 1) * kChunk;
        if (max_request) *max_request = std::max(*max_request, p.request_chunks * kChunk);
    }
    return asked;
}

}  // namespace

TEST_CASE("a first read alone fetches nothing ahead; the second going on opens a full window in parallel requests") {
    ReadAhead ra(options());
    CHECK(ra.on_read(0, 128 * 1024, kFile, kChunk).empty());  // a header peek costs its own bytes only
    CHECK(ra.window() == 0);
    auto p = ra.on_read(128 * 1024, 256 * 1024, kFile, kChunk);
    REQUIRE_FALSE(p.empty());
    CHECK(p.first == 1);
    CHECK(p.last == 16);  // 16 MiB past the read's end, in whole chunks
    CHECK(ra.window() == 16 * MiB);
    // 16 chunks over 8 connections: requests of two chunks, so 8 GETs start together.
    CHECK(p.request_chunks == 2);
}

TEST_CASE("the window doubles as the reader goes on, up to its bound, and requests grow with it") {
    ReadAhead ra(options());
    uint64_t biggest = 0;
    stream(ra, 0, 64 * MiB, MiB, &biggest);
    CHECK(ra.window() > 16 * MiB);
    uint64_t after_64 = ra.window();
    stream(ra, 64 * MiB, 2048 * MiB, MiB, &biggest);
    CHECK(ra.window() > after_64);
    CHECK(ra.window() == 256 * MiB);  // never past max, however long the stream
    CHECK(biggest == 16 * MiB);       // requests grew to max_request, never beyond
}

TEST_CASE("everything a stream asks for is asked once, and the reader is never left behind") {
    ReadAhead ra(options());
    uint64_t next = 1;  // chunk index the next plan must start at (chunk 0 is read by the first reads)
    for (uint64_t off = 0; off < 1024 * MiB; off += 128 * 1024) {
        auto p = ra.on_read(off, off + 128 * 1024, kFile, kChunk);
        if (p.empty()) continue;
        CHECK(p.first == next);  // contiguous: no gap, no chunk asked twice
        next = p.last + 1;
        CHECK(next * kChunk > off + 128 * 1024);  // always ahead of the reader
    }
    CHECK(next * kChunk >= 1024 * MiB);
}

TEST_CASE("a seek drops the window: random reads fetch nothing ahead") {
    ReadAhead ra(options());
    stream(ra, 0, 32 * MiB, MiB);
    REQUIRE(ra.window() > 0);
    uint64_t offsets[] = {900 * MiB, 17 * MiB + 4096, 3000 * MiB, 5 * MiB, 2000 * MiB};
    for (uint64_t off : offsets) {
        CHECK(ra.on_read(off, off + 4096, kFile, kChunk).empty());
        CHECK(ra.window() == 0);
    }
    // A random first read (not at the file's start) fetches nothing ahead either.
    ReadAhead fresh(options());
    CHECK(fresh.on_read(512 * MiB, 512 * MiB + 4096, kFile, kChunk).empty());
    // Reading on from there is a stream again, and gets a window.
    CHECK_FALSE(fresh.on_read(512 * MiB + 4096, 512 * MiB + 8192, kFile, kChunk).empty());
    CHECK(fresh.window() == 16 * MiB);
}

TEST_CASE("reads the kernel split and reordered still count as one stream") {
    ReadAhead ra(options());
    stream(ra, 0, 8 * MiB, 128 * 1024);
    uint64_t w = ra.window();
    REQUIRE(w > 0);
    // 8.5 MiB arrives before 8 MiB: within the slack, the window stays.
    ra.on_read(8 * MiB + 512 * 1024, 8 * MiB + 640 * 1024, kFile, kChunk);
    ra.on_read(8 * MiB, 8 * MiB + 128 * 1024, kFile, kChunk);
    CHECK(ra.window() >= w);
}

TEST_CASE("the window respects its memory bound, and chunks the fetcher refused are asked again") {
    ReadAheadOptions o = options();
    o.max = 32 * MiB;
    ReadAhead ra(o);
    uint64_t in_flight_max = 0;
    uint64_t asked_end = 0;
    for (uint64_t off = 0; off < 512 * MiB; off += MiB) {
        auto p = ra.on_read(off, off + MiB, kFile, kChunk);
        if (!p.empty()) asked_end = (p.last + 1) * kChunk;
        if (asked_end > off + MiB) in_flight_max = std::max(in_flight_max, asked_end - (off + MiB));
    }
    CHECK(ra.window() == 32 * MiB);
    CHECK(in_flight_max <= 32 * MiB);  // never more than the bound ahead of the reader

    // The fetcher's budget was spent after two chunks of a plan: the rest is asked again.
    ReadAhead again(options());
    again.on_read(0, MiB, kFile, kChunk);
    auto p = again.on_read(MiB, 2 * MiB, kFile, kChunk);
    REQUIRE(p.first == 2);
    again.asked_until(4);
    auto q = again.on_read(2 * MiB, 3 * MiB, kFile, kChunk);
    REQUIRE_FALSE(q.empty());
    CHECK(q.first == 4);
}

TEST_CASE("near the end of the file nothing past it is asked for") {
    ReadAhead ra(options());
    const uint64_t size = 10 * MiB + 5;
    ra.on_read(0, MiB, size, kChunk);
    auto p = ra.on_read(MiB, 2 * MiB, size, kChunk);
    REQUIRE_FALSE(p.empty());
    CHECK(p.last == 10);  // the 11th, short chunk is the last
    CHECK(ra.on_read(2 * MiB, 3 * MiB, size, kChunk).empty());
}

TEST_CASE("a random reader's two reads side by side open no window; a third going on does") {
    ReadAhead ra(options());
    CHECK(ra.on_read(0, 4096, kFile, kChunk).empty());
    CHECK_FALSE(ra.lone());  // a first read at the start may begin a stream: it takes its chunk
    ReadAhead peek(options());
    peek.on_read(900 * MiB, 900 * MiB + 4096, kFile, kChunk);
    CHECK(peek.lone());  // a first read elsewhere (a footer, a random read) stands alone
    ra.on_read(900 * MiB, 901 * MiB, kFile, kChunk);
    ra.on_read(17 * MiB, 18 * MiB, kFile, kChunk);  // a jump: this reader is random
    CHECK(ra.lone());
    // By chance the next random read lands right after this one (fio's 1 MiB reads do, now and then).
    CHECK(ra.on_read(18 * MiB, 19 * MiB, kFile, kChunk).empty());
    CHECK(ra.window() == 0);
    CHECK_FALSE(ra.lone());
    // A third read going on is a stream: the window opens at full width.
    auto p = ra.on_read(19 * MiB, 20 * MiB, kFile, kChunk);
    REQUIRE_FALSE(p.empty());
    CHECK(p.first == 20);
    CHECK(ra.window() == 16 * MiB);
    // Another jump and a single neighbour: no window again.
    ra.on_read(3000 * MiB, 3000 * MiB + 4096, kFile, kChunk);
    CHECK(ra.on_read(3000 * MiB + 4096, 3000 * MiB + 8192, kFile, kChunk).empty());
}

namespace {

// A safetensors load as the daemon saw it (hubfs's debug log, tools/bench/load_safetensors.py on
// a 248 MiB file, when it read each tensor with one pread): the 8-byte length and the JSON header, then the tensors' 1 MiB reads, which
// the kernel sends in parallel (its read-ahead, each large pread split in pieces) and which arrive
// out of order: 3 MiB ahead, then back 10 MiB for the ones left behind.
constexpr uint64_t kLoaderStart[] = {0,        16384,    81920,    344064,   1392640,  2441216,  3489792,
                                     4538368,  5586944,  6635520,  7684096,  8732672,  9781248,  10829824,
                                     11878400, 16072704, 17121280, 18169856, 19218432, 20267008, 21315584,
                                     22364160, 23412736, 12926976, 13975552, 15024128, 24461312};
constexpr uint64_t kLoaderSize[] = {16384, 65536, 262144};

// The reads of a loader over `total` bytes: the recorded start, then 1 MiB reads in blocks of 16,
// each block's last 8 arriving before its 3rd to 8th (a forward jump of 6 MiB, a step back of 8).
std::vector<std::pair<uint64_t, uint64_t>> loader_reads(uint64_t total) {
    std::vector<std::pair<uint64_t, uint64_t>> reads;
    uint64_t i = 0;
    for (uint64_t off : kLoaderStart) {
        reads.push_back({off, off + (i < 3 ? kLoaderSize[i] : MiB)});
        ++i;
    }
    const uint64_t from = 25509888;  // where the recorded reads stop
    const int order[] = {0, 1, 8, 9, 10, 11, 12, 13, 14, 15, 2, 3, 4, 5, 6, 7};
    for (uint64_t block = from; block < total; block += 16 * MiB)
        for (int k : order) {
            uint64_t off = block + static_cast<uint64_t>(k) * MiB;
            if (off < total) reads.push_back({off, std::min(total, off + MiB)});
        }
    return reads;
}

}  // namespace

TEST_CASE("a loader's reads that arrive out of order keep its window, which grows as a plain stream's does") {
    ReadAhead ra(options());
    const uint64_t total = 1024 * MiB;
    std::vector<bool> asked(kFile / kChunk, false);
    uint64_t n = 0, frontier = 0, grown = 0;
    for (auto [start, end] : loader_reads(total)) {
        auto p = ra.on_read(start, end, kFile, kChunk);
        frontier = std::max(frontier, end);
        ++n;
        if (n >= 2) CHECK_MESSAGE(ra.window() > 0, "read " << n << " at " << start << " dropped the window");
        if (p.empty()) continue;
        ++grown;
        for (uint64_t c = p.first; c <= p.last; ++c) {
            CHECK_MESSAGE(!asked[c], "chunk " << c << " asked twice");
            asked[c] = true;
        }
        CHECK(p.last * kChunk >= frontier);  // ahead of the furthest read
    }
    CHECK(ra.window() == 256 * MiB);  // it doubled to its bound, as a stream read in order does
    // Every chunk past the first one read was asked ahead, in a few large plans.
    for (uint64_t c = 1; c < total / kChunk; ++c) CHECK_MESSAGE(asked[c], "chunk " << c << " never asked ahead");
    CHECK(grown < 16);
}

TEST_CASE("random reads close to each other but not in a row open no window; a stream's far jump still drops it") {
    ReadAhead ra(options());
    // Random 1 MiB and 4 KiB reads within a few MiB of each other, as the tolerance for a
    // stream's reordered reads would take them, were a window open.
    const uint64_t offsets[] = {100 * MiB, 110 * MiB, 95 * MiB, 120 * MiB + 4096, 105 * MiB, 90 * MiB, 130 * MiB};
    for (uint64_t off : offsets) {
        CHECK(ra.on_read(off, off + MiB, kFile, kChunk).empty());
        CHECK(ra.window() == 0);
        CHECK(ra.lone());
    }
    for (uint64_t off : offsets) {
        CHECK(ra.on_read(off + 300 * 1024, off + 304 * 1024, kFile, kChunk).empty());
        CHECK(ra.window() == 0);
    }
    // A stream with a window open that jumps further than its reads are ever reordered: dropped.
    ReadAhead s(options());
    stream(s, 0, 64 * MiB, MiB);
    REQUIRE(s.window() > 0);
    CHECK(s.on_read(200 * MiB, 201 * MiB, kFile, kChunk).empty());
    CHECK(s.window() == 0);
    CHECK(s.lone());
    // And back to the start of the file (a second pass): a jump too, not the old stream.
    ReadAhead again(options());
    stream(again, 0, 128 * MiB, MiB);
    CHECK(again.on_read(0, MiB, kFile, kChunk).empty());
    CHECK(again.window() == 0);
}

TEST_CASE("streams read at once share the budget: each keeps a window of its share, and one that ends or jumps gives it back") {
    ReadAheadOptions o = options();
    o.max = 80 * MiB;  // the prefetch half of the default --memory-limit 160M
    o.initial = 32 * MiB;
    o.parallel = 16;
    std::vector<ReadAhead> readers;
    for (int i = 0; i < 4; ++i) readers.emplace_back(o);  // copies of one options: one count
    std::vector<uint64_t> asked_end(4, 0);
    uint64_t biggest_plan_share = 0;
    // Four cat-like readers, 1 MiB at a time, taking turns (4 files of 4096 MiB).
    for (uint64_t off = 0; off < 512 * MiB; off += MiB) {
        uint64_t ahead = 0;
        for (int i = 0; i < 4; ++i) {
            auto p = readers[i].on_read(off, off + MiB, kFile, kChunk);
            if (!p.empty()) {
                asked_end[i] = (p.last + 1) * kChunk;
                const uint64_t requests = (p.last - p.first + p.request_chunks) / p.request_chunks;
                if (off >= 64 * MiB) biggest_plan_share = std::max(biggest_plan_share, requests);
            }
            ahead += asked_end[i] > off + MiB ? asked_end[i] - (off + MiB) : 0;
        }
        if (off < 64 * MiB) continue;  // the first windows opened before the others counted
        CHECK(o.streams->load() == 4);
        for (auto& r : readers) {
            CHECK(r.window() > 0);
            CHECK(r.window() <= 20 * MiB);  // a quarter of the budget each
        }
        CHECK(ahead <= 80 * MiB);  // together within the budget
    }
    CHECK(biggest_plan_share <= 4);  // a quarter of the connections each
    // One stream jumps away (random now), another reaches its file's end: two shares left.
    readers[3].on_read(3000 * MiB, 3000 * MiB + 4096, kFile, kChunk);
    CHECK(readers[3].window() == 0);
    const uint64_t small = 600 * MiB;
    for (uint64_t off = 512 * MiB; off < small; off += MiB) readers[2].on_read(off, off + MiB, small, kChunk);
    CHECK(o.streams->load() == 2);
    for (uint64_t off = 512 * MiB; off < 700 * MiB; off += MiB) readers[0].on_read(off, off + MiB, kFile, kChunk);
    CHECK(readers[0].window() == 40 * MiB);  // half the budget now
    readers.erase(readers.begin());  // a closed file gives its share back too
    CHECK(o.streams->load() == 1);
}

TEST_CASE("streams started together open their first windows as shares of the budget") {
    ReadAheadOptions o = options();
    o.max = 80 * MiB;
    o.initial = 32 * MiB;
    o.parallel = 16;
    std::vector<ReadAhead> readers;
    for (int i = 0; i < 4; ++i) readers.emplace_back(o);
    // Four `cat`s started at once: their first reads arrive before their second ones.
    for (auto& r : readers) CHECK(r.on_read(0, 128 * 1024, kFile, kChunk).empty());
    CHECK(o.streams->load() == 4);
    uint64_t asked = 0;
    for (auto& r : readers) {
        auto p = r.on_read(128 * 1024, 256 * 1024, kFile, kChunk);
        REQUIRE_FALSE(p.empty());
        asked += (p.last - p.first + 1) * kChunk;
        CHECK(r.window() == 20 * MiB);
    }
    CHECK(asked <= 80 * MiB);  // the budget refuses none of them
    // A peek at a file a first window covers takes no share; a peek that jumps gives its back.
    ReadAhead small(o);
    small.on_read(0, 4096, 16 * MiB, kChunk);
    ReadAhead loader(o);
    loader.on_read(0, 4096, kFile, kChunk);
    CHECK(o.streams->load() == 5);
    loader.on_read(2048 * MiB, 2048 * MiB + 4096, kFile, kChunk);
    CHECK(o.streams->load() == 4);
}
