// Behaviour of one process's Cache: round trips, metadata, checks on input, checksums, LRU.
#include "test_support.hpp"

#include <fcntl.h>
#include <fstream>
#include <thread>

using namespace hubfs::cache;
using namespace hubfs::cache::test;
namespace fs = std::filesystem;

namespace {

void write_content(Cache& c, const std::string& id, uint64_t total) {
    for (uint64_t i = 0; i < chunk_count(total, c.chunk_size()); ++i)
        c.write_chunk(id, i, chunk_bytes(id, i, total, c.chunk_size()), total);
}

bool content_intact(Cache& c, const std::string& id, uint64_t total) {
    std::string out;
    for (uint64_t i = 0; i < chunk_count(total, c.chunk_size()); ++i)
        if (!c.read_chunk(id, i, out) || out != chunk_bytes(id, i, total, c.chunk_size())) return false;
    return true;
}

void pause_ms(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

}  // namespace

TEST_CASE("chunks round-trip, including a short last chunk, and survive reopening") {
    TempDir tmp;
    const std::string id = content_id(1);
    const uint64_t total = 3 * 4096 + 100;
    {
        Cache c(options(tmp.path()));
        CHECK(c.chunk_size() == 4096);
        CHECK_FALSE(c.has_chunk(id, 0));
        CHECK(c.cached_bytes(id) == 0);
        std::string out = "left over";
        CHECK_FALSE(c.read_chunk(id, 0, out));
        CHECK(out.empty());

        c.write_chunk(id, 3, chunk_bytes(id, 3, total, 4096), total);  // out of order: the last one first
        c.write_chunk(id, 1, chunk_bytes(id, 1, total, 4096), total);
        CHECK(c.has_chunk(id, 1));
        CHECK(c.has_chunk(id, 3));
        CHECK_FALSE(c.has_chunk(id, 0));
        CHECK(c.cached_bytes(id) == 4096 + 100);
        CHECK(c.total_bytes() == 4096 + 100);
        REQUIRE(c.read_chunk(id, 3, out));
        CHECK(out == chunk_bytes(id, 3, total, 4096));
        CHECK(out.size() == 100);

        write_content(c, id, total);
        c.write_chunk(id, 1, chunk_bytes(id, 1, total, 4096), total);  // again: not counted twice
        CHECK(c.cached_bytes(id) == total);
        CHECK(c.total_bytes() == total);
        CHECK(fs::file_size(blob_file(tmp.path(), id)) == total);
    }
    Cache again(options(tmp.path(), 1ull << 30, 65536));  // an existing cache keeps its chunk size
    CHECK(again.chunk_size() == 4096);
    CHECK(again.total_bytes() == total);
    CHECK(content_intact(again, id, total));
}

TEST_CASE("the same content is stored once, whatever refers to it") {
    TempDir tmp;
    Cache c(options(tmp.path()));
    const std::string id = content_id(2);
    write_content(c, id, 10000);
    write_content(c, id, 10000);
    CHECK(c.total_bytes() == 10000);
    Cache second(options(tmp.path()));  // same process, same dir: one shared LMDB environment
    CHECK(second.cached_bytes(id) == 10000);
    second.write_chunk(content_id(3), 0, "x", 1);
    CHECK(c.has_chunk(content_id(3), 0));
    CHECK(c.total_bytes() == 10001);
}

TEST_CASE("metadata: get, put, overwrite, erase, long keys, binary values, persistence") {
    TempDir tmp;
    const std::string ref = "ref\x1fmodels/ns/name\x1fmain";
    const std::string long_a = "dir\x1fmodels/ns/name\x1f" + std::string(40, 'a') + "\x1f" + std::string(900, 'p') + "/a";
    const std::string long_b = long_a.substr(0, long_a.size() - 1) + "b";
    const std::string binary("a\0b\xff", 4);
    {
        Cache c(options(tmp.path()));
        CHECK_FALSE(c.get(ref).has_value());
        c.put(ref, R"({"commit":"abc","time":1})");
        CHECK(c.get(ref) == R"({"commit":"abc","time":1})");
        c.put(ref, "second");
        CHECK(c.get(ref) == "second");
        c.erase(ref);
        CHECK_FALSE(c.get(ref).has_value());
        c.erase(ref);  // erasing what is absent is fine
        c.put(ref, "kept");

        c.put(long_a, "A");
        c.put(long_b, std::string(200000, 'B'));  // a big listing
        CHECK(c.get(long_a) == "A");
        CHECK(c.get(long_b) == std::string(200000, 'B'));
        c.erase(long_a);
        CHECK_FALSE(c.get(long_a).has_value());
        CHECK(c.get(long_b).has_value());

        c.put("empty", "");
        CHECK(c.get("empty") == "");
        c.put(binary, binary);
        CHECK(c.get(binary) == binary);
        CHECK_THROWS_AS(c.put("", "x"), std::invalid_argument);
        CHECK_THROWS_AS(c.get(""), std::invalid_argument);
        CHECK(c.total_bytes() == 0);  // metadata is not data
    }
    Cache c(options(tmp.path()));
    CHECK(c.get(ref) == "kept");
    CHECK(c.get(long_b) == std::string(200000, 'B'));
    CHECK(c.get(binary) == binary);
}

TEST_CASE("bad content ids and chunk geometry are rejected before touching the disk") {
    TempDir tmp;
    Cache c(options(tmp.path()));
    std::string out;
    for (std::string bad : {std::string(""), std::string("a"), std::string("../../etc/passwd"), std::string("ab/cd"),
                            std::string("ABCDEF0123"), std::string("xyz123"), std::string(".."), std::string("ab\0cd", 5),
                            std::string(129, 'a'), std::string("abc def")}) {
        CAPTURE(bad);
        CHECK_THROWS_AS(c.write_chunk(bad, 0, "x", 1), std::invalid_argument);
        CHECK_THROWS_AS(c.read_chunk(bad, 0, out), std::invalid_argument);
        CHECK_THROWS_AS(c.has_chunk(bad, 0), std::invalid_argument);
        CHECK_THROWS_AS(c.cached_bytes(bad), std::invalid_argument);
    }
    CHECK_NOTHROW(c.write_chunk(std::string(64, 'f'), 0, "x", 1));  // a sha256
    const std::string id = content_id(4);
    CHECK_THROWS_AS(c.write_chunk(id, 0, "short", 5000), std::invalid_argument);        // must be 4096 bytes
    CHECK_THROWS_AS(c.write_chunk(id, 2, std::string(10, 'x'), 8192), std::invalid_argument);  // past the end
    CHECK_THROWS_AS(c.write_chunk(id, 0, "", 0), std::invalid_argument);               // empty content
    CHECK_THROWS_AS(c.write_chunk(id, ~0ull, "x", ~0ull), std::invalid_argument);
    c.write_chunk(id, 0, std::string(4096, 'x'), 5000);
    CHECK_THROWS_AS(c.write_chunk(id, 1, std::string(4, 'x'), 4100), std::invalid_argument);  // size changed
    // Nothing outside blobs/ was created.
    std::vector<std::string> top;
    for (const auto& e : fs::directory_iterator(tmp.path())) top.push_back(e.path().filename().string());
    std::sort(top.begin(), top.end());
    CHECK(top == std::vector<std::string>{"blobs", "index.lmdb"});
}

TEST_CASE("opening fails with a clear message") {
    TempDir tmp;
    { std::ofstream(tmp.path() / "file") << "x"; }
    CacheOptions o = options(tmp.path() / "file");
    try {
        Cache c(o);
        FAIL("no exception");
    } catch (const std::runtime_error& e) {
        CHECK(std::string(e.what()).find((tmp.path() / "file").string()) != std::string::npos);
    }
    CHECK_THROWS_AS(Cache(options("")), std::runtime_error);
}

TEST_CASE("flipped bytes on disk: the read fails and the record is dropped, then refetched") {
    TempDir tmp;
    Cache c(options(tmp.path()));
    const std::string id = content_id(5);
    const uint64_t total = 3 * 4096;
    write_content(c, id, total);

    flip_byte(blob_file(tmp.path(), id), 4096 + 17);
    std::string out;
    CHECK_FALSE(c.read_chunk(id, 1, out));
    CHECK(out.empty());
    CHECK_FALSE(c.has_chunk(id, 1));
    CHECK(c.cached_bytes(id) == 2 * 4096);
    CHECK(c.total_bytes() == 2 * 4096);
    REQUIRE(c.read_chunk(id, 0, out));  // its neighbours are untouched
    CHECK(out == chunk_bytes(id, 0, total, 4096));
    REQUIRE(c.read_chunk(id, 2, out));

    c.write_chunk(id, 1, chunk_bytes(id, 1, total, 4096), total);  // fetched again
    CHECK(content_intact(c, id, total));
    CHECK(c.total_bytes() == total);

    SUBCASE("a truncated file") {
        fs::resize_file(blob_file(tmp.path(), id), 4096 + 10);
        CHECK(c.read_chunk(id, 0, out));
        CHECK_FALSE(c.read_chunk(id, 1, out));
        CHECK_FALSE(c.read_chunk(id, 2, out));
        CHECK(c.cached_bytes(id) == 4096);
        CHECK(c.total_bytes() == 4096);
    }
    SUBCASE("a deleted file: once every chunk failed, the content is gone") {
        fs::remove(blob_file(tmp.path(), id));
        for (uint64_t i = 0; i < 3; ++i) CHECK_FALSE(c.read_chunk(id, i, out));
        CHECK(c.cached_bytes(id) == 0);
        CHECK(c.total_bytes() == 0);
        c.write_chunk(id, 2, chunk_bytes(id, 2, total, 4096), total);
        CHECK(c.read_chunk(id, 2, out));
    }
    SUBCASE("a deleted file is noticed when the cache is opened") {
        fs::remove(blob_file(tmp.path(), id));
        Cache reopened(options(tmp.path()));
        CHECK_FALSE(reopened.has_chunk(id, 0));
        CHECK(reopened.total_bytes() == 0);
    }
}

TEST_CASE("eviction removes least recently used contents and keeps the budget") {
    TempDir tmp;
    const uint64_t size = 2 * 4096;  // two chunks per content
    Cache c(options(tmp.path(), 3 * size));
    const std::string a = content_id(10), b = content_id(11), d = content_id(12), e = content_id(13);
    write_content(c, a, size);
    pause_ms(3);
    write_content(c, b, size);
    pause_ms(3);
    write_content(c, d, size);
    pause_ms(3);
    std::string out;
    REQUIRE(c.read_chunk(a, 1, out));  // a is now more recent than b and d
    pause_ms(3);
    CHECK(c.total_bytes() == 3 * size);

    write_content(c, e, size);  // over budget: b goes, as a whole
    CHECK(c.total_bytes() <= 3 * size);
    CHECK(c.cached_bytes(b) == 0);
    CHECK_FALSE(c.has_chunk(b, 0));
    CHECK_FALSE(fs::exists(blob_file(tmp.path(), b)));
    CHECK(content_intact(c, a, size));
    CHECK(content_intact(c, d, size));
    CHECK(content_intact(c, e, size));
    pause_ms(3);

    REQUIRE(c.read_chunk(d, 0, out));  // order now: a, e, d (reads above touched a, d, e in turn)
    pause_ms(3);
    c.evict_to(size);
    CHECK(c.total_bytes() == size);
    CHECK(c.cached_bytes(d) == size);
    CHECK(c.cached_bytes(a) == 0);
    CHECK(c.cached_bytes(e) == 0);
    pause_ms(3);
    c.evict_to(0);
    CHECK(c.total_bytes() == 0);
    CHECK_FALSE(fs::exists(blob_file(tmp.path(), d)));

    // Access times reach the index even when reads are batched: a reopened cache sees them.
    write_content(c, a, size);
    pause_ms(3);
    write_content(c, b, size);
    pause_ms(3);
    {
        CacheOptions o = options(tmp.path(), 1ull << 30);
        o.access_flush_interval = std::chrono::hours(1);
        Cache batched(o);
        REQUIRE(batched.read_chunk(a, 0, out));
    }  // flushed on close
    pause_ms(3);
    c.evict_to(size);
    CHECK(c.cached_bytes(a) == size);
    CHECK(c.cached_bytes(b) == 0);
}

TEST_CASE("contents used within the grace period are not evicted") {
    TempDir tmp;
    CacheOptions o = options(tmp.path(), 4096);
    o.evict_grace = std::chrono::milliseconds(1000);
    Cache c(o);
    const std::string a = content_id(20), b = content_id(21);
    write_content(c, a, 4096);
    write_content(c, b, 4096);
    CHECK(c.total_bytes() == 2 * 4096);  // over budget, but both are fresh
    pause_ms(1100);
    c.evict_to(4096);
    CHECK(c.total_bytes() == 4096);
    CHECK(c.cached_bytes(a) == 0);  // the older one
}

TEST_CASE("orphan files without records are removed when the cache is opened") {
    TempDir tmp;
    const std::string kept = content_id(30), orphan = content_id(31);
    {
        Cache c(options(tmp.path()));
        write_content(c, kept, 5000);
    }
    fs::create_directories(blob_file(tmp.path(), orphan).parent_path());
    { std::ofstream(blob_file(tmp.path(), orphan)) << "left by a writer killed before its first record"; }
    { std::ofstream(tmp.path() / "blobs" / "notes.txt") << "not ours"; }
    Cache c(options(tmp.path()));
    CHECK_FALSE(fs::exists(blob_file(tmp.path(), orphan)));
    CHECK(fs::exists(tmp.path() / "blobs" / "notes.txt"));
    CHECK(content_intact(c, kept, 5000));
}

TEST_CASE("many threads reading, writing and evicting at once") {
    TempDir tmp;
    const uint64_t size = 3 * 4096 + 1;
    const int contents = 12;
    Cache c(options(tmp.path(), 6 * size));  // room for half of them: eviction runs all along
    std::atomic<int> wrong{0}, hits{0}, errors{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 6; ++t) {
        threads.emplace_back([&, t] {
            uint64_t x = 12345 + t;
            std::string out;
            for (int op = 0; op < 400; ++op) {
                x = x * 6364136223846793005ull + 1442695040888963407ull;
                const std::string id = content_id((x >> 33) % contents);
                const uint64_t index = (x >> 20) % 4;
                try {
                    if ((x >> 40) % 3 == 0) {
                        c.write_chunk(id, index, chunk_bytes(id, index, size, 4096), size);
                    } else if (c.read_chunk(id, index, out)) {
                        ++hits;
                        if (out != chunk_bytes(id, index, size, 4096)) ++wrong;
                    }
                    if (op % 50 == 0) c.put("thread\x1f" + std::to_string(t), std::to_string(op));
                    if (op % 97 == 0) c.evict_to(3 * size);
                } catch (const std::exception& e) {
                    ++errors;
                }
            }
        });
    }
    for (auto& th : threads) th.join();
    CHECK(errors == 0);
    CHECK(wrong == 0);
    CHECK(hits > 0);
    uint64_t sum = 0;
    for (int i = 0; i < contents; ++i) {
        const std::string id = content_id(i);
        uint64_t present = 0;
        std::string out;
        for (uint64_t k = 0; k < 4; ++k)
            if (c.has_chunk(id, k)) {
                CHECK(c.read_chunk(id, k, out));
                CHECK(out == chunk_bytes(id, k, size, 4096));
                present += out.size();
            }
        CHECK(c.cached_bytes(id) == present);
        sum += present;
    }
    CHECK(c.total_bytes() == sum);
    for (int t = 0; t < 6; ++t) CHECK(c.get("thread\x1f" + std::to_string(t)) == "350");
}
