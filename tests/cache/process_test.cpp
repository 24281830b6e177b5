// Several processes on one cache directory, and processes killed with SIGKILL at any moment.
#include "test_support.hpp"

#include <csignal>
#include <random>
#include <thread>
#include <vector>

using namespace hubfs::cache;
using namespace hubfs::cache::test;

namespace {

constexpr uint32_t kChunk = 4096;

uint64_t size_of(uint64_t n) { return 2 * kChunk + 1 + n * 1237; }  // 3 to 7 chunks, a short last one

// Every recorded chunk of contents 0..count-1 must read back with the right bytes, and the
// counters must equal what is recorded. Returns the number of chunks recorded.
uint64_t check_everything_recorded_verifies(Cache& c, int count, char tag) {
    uint64_t recorded = 0, sum = 0;
    std::string out;
    for (int n = 0; n < count; ++n) {
        const std::string id = content_id(n, tag);
        const uint64_t total = size_of(n);
        uint64_t present = 0;
        for (uint64_t i = 0; i < chunk_count(total, kChunk); ++i) {
            if (!c.has_chunk(id, i)) continue;
            ++recorded;
            CAPTURE(n);
            CAPTURE(i);
            REQUIRE(c.read_chunk(id, i, out));  // recorded => durable and intact
            REQUIRE(out == chunk_bytes(id, i, total, kChunk));
            present += out.size();
        }
        CHECK(c.cached_bytes(id) == present);
        sum += present;
    }
    CHECK(c.total_bytes() == sum);
    return recorded;
}

// Writes random chunks of contents 0..count-1 (and reads some back) until killed.
[[noreturn]] void write_forever(const std::filesystem::path& dir, int count, char tag, uint64_t max_bytes,
                                unsigned seed) {
    try {
        Cache c(options(dir, max_bytes, kChunk));
        std::mt19937_64 rng(seed);
        std::string out;
        for (;;) {
            const int n = static_cast<int>(rng() % count);
            const std::string id = content_id(n, tag);
            const uint64_t total = size_of(n);
            const uint64_t i = rng() % chunk_count(total, kChunk);
            c.write_chunk(id, i, chunk_bytes(id, i, total, kChunk), total);
            if (c.read_chunk(id, rng() % chunk_count(total, kChunk), out)) {
            }
            if (rng() % 8 == 0) c.put("progress\x1f" + std::to_string(n), std::to_string(i));
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "writer: %s\n", e.what());
    }
    ::_exit(3);
}

}  // namespace

TEST_CASE("two processes share one cache directory") {
    TempDir tmp;
    const std::string mine = content_id(1, 'p'), theirs = content_id(2, 'p');
    const uint64_t size = 5 * kChunk + 7;
    Cache c(options(tmp.path(), 1ull << 30, kChunk));  // open in the parent before forking
    for (uint64_t i = 0; i < 6; ++i) c.write_chunk(mine, i, chunk_bytes(mine, i, size, kChunk), size);
    c.put("ref\x1fparent", "p");

    pid_t child = spawn([&] {
        Cache cc(options(tmp.path(), 1ull << 30, kChunk));  // its own LMDB environment
        std::string out;
        for (uint64_t i = 0; i < 6; ++i)
            if (!cc.read_chunk(mine, i, out) || out != chunk_bytes(mine, i, size, kChunk)) return false;
        for (uint64_t i = 0; i < 6; ++i) cc.write_chunk(theirs, i, chunk_bytes(theirs, i, size, kChunk), size);
        cc.put("ref\x1f" "child", "c");
        return cc.get("ref\x1fparent") == "p";
    });
    REQUIRE(wait_child(child) == 0);
    std::string out;
    for (uint64_t i = 0; i < 6; ++i) {
        REQUIRE(c.read_chunk(theirs, i, out));
        CHECK(out == chunk_bytes(theirs, i, size, kChunk));
    }
    CHECK(c.get("ref\x1f" "child") == "c");
    CHECK(c.total_bytes() == 2 * size);

    SUBCASE("both writing, reading and evicting at the same time") {
        const int count = 16;
        auto worker = [&](unsigned seed) {
            return spawn([&tmp, seed, count] {
                Cache cc(options(tmp.path(), 8 * size_of(count), kChunk));  // eviction runs in both
                std::mt19937_64 rng(seed);
                std::string o;
                for (int op = 0; op < 600; ++op) {
                    const int n = static_cast<int>(rng() % count);
                    const std::string id = content_id(n, 'q');
                    const uint64_t total = size_of(n);
                    const uint64_t i = rng() % chunk_count(total, kChunk);
                    if (rng() % 2) {
                        cc.write_chunk(id, i, chunk_bytes(id, i, total, kChunk), total);
                    } else if (cc.read_chunk(id, i, o) && o != chunk_bytes(id, i, total, kChunk)) {
                        return false;
                    }
                }
                return true;
            });
        };
        pid_t a = worker(1), b = worker(2);
        CHECK(wait_child(a) == 0);
        CHECK(wait_child(b) == 0);
        Cache after(options(tmp.path(), 1ull << 30, kChunk));
        const uint64_t recorded = check_everything_recorded_verifies(after, count, 'q');
        CHECK(recorded > 0);
    }
}

TEST_CASE("kill -9 at any moment never leads to wrong bytes being served") {
    TempDir tmp;
    const int count = 24;
    const uint64_t budget = 40 * kChunk;  // well below all contents: eviction runs too
    std::mt19937 rng(20261127);
    uint64_t recorded_total = 0;
    for (int round = 0; round < 12; ++round) {
        CAPTURE(round);
        // Two writers at once, so one may die holding LMDB's writer lock while the other waits.
        pid_t a = spawn([&] { write_forever(tmp.path(), count, 'k', budget, 100 + round); return false; });
        pid_t b = spawn([&] { write_forever(tmp.path(), count, 'k', budget, 200 + round); return false; });
        std::this_thread::sleep_for(std::chrono::milliseconds(30 + rng() % 150));
        ::kill(a, SIGKILL);
        std::this_thread::sleep_for(std::chrono::microseconds(rng() % 5000));
        ::kill(b, SIGKILL);
        CHECK(wait_child(a) == 128 + SIGKILL);
        CHECK(wait_child(b) == 128 + SIGKILL);

        Cache c(options(tmp.path(), budget, kChunk));
        recorded_total += check_everything_recorded_verifies(c, count, 'k');
        // The cache stays usable: the next writer (and the next round) carries on where it stopped.
        const std::string id = content_id(0, 'k');
        c.write_chunk(id, 0, chunk_bytes(id, 0, size_of(0), kChunk), size_of(0));
        std::string out;
        CHECK(c.read_chunk(id, 0, out));
    }
    MESSAGE("chunks recorded and verified over all rounds: " << recorded_total);
    CHECK(recorded_total > 0);
}
