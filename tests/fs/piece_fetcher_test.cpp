// The lone read's piece (fs/read/piece_fetcher) against a fake Remote: a small read that stands
// alone fetches its pages in one ranged GET, not its chunk; reads whose pages are whole chunks
// take the chunks; a failure reaches the reader.
#include <doctest/doctest.h>

#include <future>

#include "fake_remote.hpp"
#include "fetch_fixture.hpp"
#include "fs/read/piece_fetcher.hpp"

using namespace hubfs::fs;
using namespace hubfs::fs::testing;

namespace {

constexpr uint64_t KiB = 1024, MiB = 1024 * KiB;

// Fetches the span and waits for it: the bytes, or the error's text.
std::pair<ChunkFetcher::Chunk, std::string> fetch(PieceFetcher& pieces, const FileSource& src, PieceFetcher::Span span) {
    std::promise<std::pair<ChunkFetcher::Chunk, std::string>> got;
    pieces.fetch_async(src, span, [&](ChunkFetcher::Chunk c, std::exception_ptr e) {
        std::string error;
        if (e) {
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& x) {
                error = x.what();
            }
        }
        got.set_value({c, error});
    });
    return got.get_future().get();
}

}  // namespace

TEST_CASE("a lone 4 KiB read fetches its 64 KiB page, not its 1 MiB chunk, in one request") {
    FakeRemote remote;
    const uint64_t size = 8 * MiB;
    remote.set_content("big.bin", pattern(size));
    PieceFetcher pieces(remote, MiB, PieceOptions{2, 64 * KiB});
    const uint64_t start = 3 * MiB + 100 * KiB + 5;
    auto span = pieces.span(start, start + 4 * KiB, size);
    CHECK(span.offset == 3 * MiB + 64 * KiB);
    CHECK(span.length == 64 * KiB);
    auto [bytes, error] = fetch(pieces, source("big.bin", size), span);
    REQUIRE(error.empty());
    REQUIRE(bytes);
    CHECK(*bytes == pattern(size).substr(span.offset, span.length));
    auto reads = remote.reads();
    REQUIRE(reads.size() == 1);
    CHECK(reads[0].offset == span.offset);
    CHECK(reads[0].length == 64 * KiB);  // 16x the bytes read, not 256x
}

TEST_CASE("a lone read across two chunks is one piece; pages that are whole chunks take the chunks") {
    FakeRemote remote;
    PieceFetcher pieces(remote, MiB, PieceOptions{1, 64 * KiB});
    const uint64_t size = 8 * MiB;
    // 1 MiB not on a chunk's start: one request of 1 MiB + a page, not two chunks of 1 MiB.
    auto straddle = pieces.span(MiB + 512 * KiB, 2 * MiB + 512 * KiB, size);
    CHECK(straddle.offset == MiB + 512 * KiB);
    CHECK(straddle.length == MiB);
    auto rounded = pieces.span(MiB + 500 * KiB, 2 * MiB + 500 * KiB, size);
    CHECK(rounded.length == MiB + 64 * KiB);
    // A read of a whole chunk, or of a small file, fetches (and caches) the chunk.
    CHECK(pieces.span(2 * MiB, 3 * MiB, size).length == 0);
    CHECK(pieces.span(100, 200, 10 * KiB).length == 0);
    // The last, short chunk of a file: its pages reach the end, which is the chunk's end.
    CHECK(pieces.span(7 * MiB, 7 * MiB + 300 * KiB, 7 * MiB + 300 * KiB).length == 0);
    auto tail = pieces.span(7 * MiB + 200 * KiB, 7 * MiB + 210 * KiB, 7 * MiB + 300 * KiB);
    CHECK(tail.offset == 7 * MiB + 192 * KiB);
    CHECK(tail.length == 64 * KiB);
    CHECK(pieces.span(size, size + 10, size).length == 0);  // past the end: nothing
}

TEST_CASE("a lone read's failed fetch reaches its reader") {
    FakeRemote remote;
    remote.set_content("short.bin", pattern(10 * KiB));
    PieceFetcher pieces(remote, MiB, PieceOptions{1, 64 * KiB});
    // The Hub sends fewer bytes than the listing's size: a short read, not a silent truncation.
    auto [bytes, error] = fetch(pieces, source("short.bin", 4 * MiB), PieceFetcher::Span{0, 64 * KiB});
    CHECK_FALSE(bytes);
    CHECK(error.find("short read") != std::string::npos);
}
