// The read-ahead policy alone (fs/read/read_ahead): a stream's window opens at its first byte,
// grows as it reads on, splits into parallel requests, stays within its bound, and a seek
// drops it so random reads fetch nothing ahead.
#include <doctest/doctest.h>

#include <algorithm>

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
