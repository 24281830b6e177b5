// Cache::write_chunks: a batch of chunks written and recorded in one LMDB transaction, each
// chunk's bytes checked by its XXH3 on the way back, a bad chunk failing alone.
#include "test_support.hpp"

#include <stdexcept>
#include <xxhash.h>

using namespace hubfs::cache;
using namespace hubfs::cache::test;

namespace {

constexpr uint32_t kCs = 4096;

}  // namespace

TEST_CASE("write_chunks: two contents in one transaction, a bad chunk fails alone, a repeat is counted once") {
    TempDir tmp;
    Cache c(options(tmp.path(), 1ull << 30, kCs));
    const std::string a = content_id(1), b = content_id(2);
    const uint64_t a_size = 3 * kCs + 100, b_size = 2 * kCs;  // a ends with a short chunk
    auto a_chunk = [&](uint64_t i) { return chunk_bytes(a, i, a_size, kCs); };
    auto b_chunk = [&](uint64_t i) { return chunk_bytes(b, i, b_size, kCs); };
    c.write_chunk(a, 2, a_chunk(2), a_size);  // already there: left as it is
    const std::string a0 = a_chunk(0), a1 = a_chunk(1), a2 = a_chunk(2), a3 = a_chunk(3), b0 = b_chunk(0), b1 = b_chunk(1);
    const std::string wrong_length(kCs - 1, 'x');
    const uint64_t commits_before = c.record_commits();

    auto errors = c.write_chunks({{a, 0, a0, a_size},
                                  {b, 0, b0, b_size},
                                  {a, 1, wrong_length, a_size},  // the wrong length: rejected
                                  {a, 1, a1, a_size},
                                  {a, 1, a1, a_size},  // twice in one batch: counted once
                                  {a, 2, a2, a_size},
                                  {a, 3, a3, a_size},
                                  {b, 1, b1, b_size}});

    REQUIRE(errors.size() == 8);
    for (size_t i = 0; i < errors.size(); ++i) CHECK_MESSAGE((errors[i] == nullptr) == (i != 2), "chunk ", i);
    CHECK_THROWS_AS(std::rethrow_exception(errors[2]), std::invalid_argument);
    CHECK(c.record_commits() == commits_before + 1);  // one transaction for the whole batch
    CHECK(c.cached_bytes(a) == a_size);               // each chunk counted once
    CHECK(c.cached_bytes(b) == b_size);
    CHECK(c.total_bytes() == a_size + b_size);
    std::string out;
    for (uint64_t i = 0; i < 4; ++i) {
        REQUIRE(c.read_chunk(a, i, out));  // read_chunk checks the recorded XXH3
        CHECK(out == a_chunk(i));
    }
    for (uint64_t i = 0; i < 2; ++i) {
        REQUIRE(c.read_chunk(b, i, out));
        CHECK(out == b_chunk(i));
    }
    // Written by this process: vouched for as its writes left the file, so no check read.
    const uint64_t checks = c.check_reads();
    for (uint64_t i = 0; i < 4; ++i) CHECK(c.locate_chunk(a, i).has_value());
    CHECK(c.check_reads() == checks);
}

TEST_CASE("write_chunks: a record whose bytes are wrong on disk is dropped on read, as with write_chunk") {
    TempDir tmp;
    Cache c(options(tmp.path(), 1ull << 30, kCs));
    const std::string id = content_id(3);
    const uint64_t size = 4 * kCs;
    std::vector<std::string> bytes;
    for (uint64_t i = 0; i < 4; ++i) bytes.push_back(chunk_bytes(id, i, size, kCs));
    std::vector<ChunkWrite> batch;
    for (uint64_t i = 0; i < 4; ++i) batch.push_back({id, i, bytes[i], size});
    for (const auto& e : c.write_chunks(batch)) CHECK(e == nullptr);

    flip_byte(blob_file(tmp.path(), id), 2 * kCs + 5);
    std::string out;
    CHECK_FALSE(c.read_chunk(id, 2, out));  // the XXH3 of chunk 2 no longer matches: dropped
    CHECK_FALSE(c.has_chunk(id, 2));
    CHECK(c.read_chunk(id, 1, out));
    CHECK(out == bytes[1]);
    CHECK(c.cached_bytes(id) == 3 * kCs);
}

TEST_CASE("write_chunks records the caller's checksum as given: a wrong one fails the read check") {
    TempDir tmp;
    Cache c(options(tmp.path(), 1ull << 30, kCs));
    const std::string id = content_id(4);
    const uint64_t size = 2 * kCs;
    const std::string c0 = chunk_bytes(id, 0, size, kCs), c1 = chunk_bytes(id, 1, size, kCs);
    const uint64_t right = XXH3_64bits(c0.data(), c0.size());
    for (const auto& e : c.write_chunks({{id, 0, c0, size, right}, {id, 1, c1, size, right ^ 1}})) CHECK(e == nullptr);
    std::string out;
    CHECK(c.read_chunk(id, 0, out));
    CHECK(out == c0);
    CHECK_FALSE(c.read_chunk(id, 1, out));  // recorded with a checksum its bytes do not have: dropped
    CHECK_FALSE(c.has_chunk(id, 1));
}
