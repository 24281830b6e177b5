// The XXH3 check of locate_chunk runs once per chunk per boot (fs/cache/checked_chunks.hpp): a
// chunk written or checked since the machine booted is not read again for it, unless its file
// changed since; one from an earlier boot is checked, and dropped if a crash tore it.
#include "test_support.hpp"

#include "fs/cache/blob_file.hpp"

#include <atomic>
#include <fstream>
#include <thread>

using namespace hubfs::cache;
using namespace hubfs::cache::test;
namespace fs = std::filesystem;

namespace {

constexpr uint64_t kTotal = 3 * 4096;

CacheOptions in_boot(const fs::path& dir, const std::string& boot) {
    CacheOptions o = options(dir);
    o.boot_id = boot;
    return o;
}

void write_chunk(Cache& c, const std::string& id, uint64_t i) { c.write_chunk(id, i, chunk_bytes(id, i, kTotal, 4096), kTotal); }

// The bytes where locate_chunk says they are.
std::string bytes_at(const ChunkSpan& s) {
    std::string out(s.length, '\0');
    REQUIRE(::pread(s.fd, out.data(), out.size(), static_cast<off_t>(s.offset)) == static_cast<ssize_t>(s.length));
    return out;
}

// Every chunk located, with the right bytes.
void locate_all(Cache& c, const std::string& id) {
    for (uint64_t i = 0; i < 3; ++i) {
        auto span = c.locate_chunk(id, i);
        REQUIRE(span);
        CHECK(bytes_at(*span) == chunk_bytes(id, i, kTotal, 4096));
    }
}

// A write to the file in a later clock tick than anything before (ctime has tick granularity).
void flip_byte_later(const fs::path& file, uint64_t offset) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    flip_byte(file, offset);
}

}  // namespace

TEST_CASE("a chunk written or checked in this boot is not read again for its check") {
    TempDir tmp;
    const std::string id = content_id(21);
    {
        Cache c(in_boot(tmp.path(), "boot-1"));
        for (uint64_t i = 0; i < 3; ++i) write_chunk(c, id, i);
        locate_all(c, id);
        CHECK(c.check_reads() == 0);  // written by this process
    }
    {
        Cache c(in_boot(tmp.path(), "boot-1"));
        locate_all(c, id);
        CHECK(c.check_reads() == 0);  // stamped when the writer closed, in this boot
    }
    {
        Cache c(in_boot(tmp.path(), "boot-2"));  // the machine rebooted since
        locate_all(c, id);
        CHECK(c.check_reads() == 3);
        locate_all(c, id);
        CHECK(c.check_reads() == 3);  // each checked once
    }
    Cache c(in_boot(tmp.path(), "boot-2"));
    locate_all(c, id);
    CHECK(c.check_reads() == 0);  // the checks of the last process stamped the content for this boot
}

TEST_CASE("a torn chunk recorded in an earlier boot is caught and dropped") {
    TempDir tmp;
    const std::string id = content_id(22);
    {
        // Chunk 1's bytes differ from its record, as a crash leaves unsynced bytes, and the
        // content is stamped for boot-1 all the same (the later writes are this process's own).
        Cache c(in_boot(tmp.path(), "boot-1"));
        write_chunk(c, id, 1);
        flip_byte_later(blob_file(tmp.path(), id), 4096 + 7);
        write_chunk(c, id, 0);
        write_chunk(c, id, 2);
    }
    {
        Cache c(in_boot(tmp.path(), "boot-1"));
        REQUIRE(c.locate_chunk(id, 0));
        CHECK(c.check_reads() == 0);  // the stamp holds: only the boot can tell
    }
    Cache c(in_boot(tmp.path(), "boot-2"));
    REQUIRE(c.locate_chunk(id, 0));
    CHECK_FALSE(c.locate_chunk(id, 1));
    CHECK_FALSE(c.has_chunk(id, 1));
    CHECK(c.cached_bytes(id) == 2 * 4096);
    REQUIRE(c.locate_chunk(id, 2));
    CHECK(c.check_reads() == 3);
    write_chunk(c, id, 1);  // fetched again
    locate_all(c, id);
}

TEST_CASE("a file written by someone else since its chunks were vouched for is checked again") {
    TempDir tmp;
    const std::string id = content_id(23);
    SUBCASE("after the stamp, in another process of the same boot") {
        {
            Cache c(in_boot(tmp.path(), "boot-1"));
            for (uint64_t i = 0; i < 3; ++i) write_chunk(c, id, i);
        }
        flip_byte_later(blob_file(tmp.path(), id), 2 * 4096 + 1);
        Cache c(in_boot(tmp.path(), "boot-1"));
        REQUIRE(c.locate_chunk(id, 0));
        CHECK_FALSE(c.locate_chunk(id, 2));
        CHECK_FALSE(c.has_chunk(id, 2));
        CHECK(c.check_reads() == 2);
    }
    SUBCASE("in this process") {
        Cache c(in_boot(tmp.path(), "boot-1"));
        for (uint64_t i = 0; i < 3; ++i) write_chunk(c, id, i);
        locate_all(c, id);
        flip_byte_later(blob_file(tmp.path(), id), 2 * 4096 + 1);
        CHECK_FALSE(c.locate_chunk(id, 2));
        CHECK_FALSE(c.has_chunk(id, 2));
        REQUIRE(c.locate_chunk(id, 0));
        CHECK(c.check_reads() == 2);
    }
}

TEST_CASE("checks racing this process's own writes of the file keep what it vouched for") {
    // A reader checks chunks of a file while writers of this process still fill it (a cold read
    // and its reader): the ctime the checks see moves with those writes, which must not make
    // the cache forget the chunks it wrote, or the content is never stamped.
    TempDir tmp;
    const std::string id = content_id(24);
    constexpr uint64_t kChunks = 64, total = kChunks * 4096;
    {
        Cache c(in_boot(tmp.path(), "boot-1"));
        std::atomic<uint64_t> written{0};
        std::thread writer([&] {
            for (uint64_t i = 0; i < kChunks; ++i) {
                c.write_chunk(id, i, chunk_bytes(id, i, total, 4096), total);
                written = i + 1;
            }
        });
        while (written < kChunks)
            if (const uint64_t n = written; n > 0) CHECK(c.locate_chunk(id, n - 1));
        writer.join();
    }
    Cache c(in_boot(tmp.path(), "boot-1"));
    for (uint64_t i = 0; i < kChunks; ++i) {
        auto span = c.locate_chunk(id, i);
        REQUIRE(span);
        CHECK(bytes_at(*span) == chunk_bytes(id, i, total, 4096));
    }
    CHECK(c.check_reads() == 0);  // stamped: every chunk vouched for when the writer closed
}

// locate_whole hands out a content's file for the kernel to read (FUSE passthrough) with no read
// and no check: only when every chunk is recorded and vouched for in this boot.
TEST_CASE("locate_whole: the whole file only when every chunk is there and vouched for this boot") {
    TempDir tmp;
    const std::string id = content_id(24);
    {
        Cache c(in_boot(tmp.path(), "boot-1"));
        write_chunk(c, id, 0);
        write_chunk(c, id, 2);
        CHECK_FALSE(c.locate_whole(id));  // chunk 1 missing
        write_chunk(c, id, 1);
        auto file = c.locate_whole(id);
        REQUIRE(file);
        std::string all(kTotal, '\0');
        REQUIRE(::pread(file->fd(), all.data(), all.size(), 0) == static_cast<ssize_t>(kTotal));
        CHECK(all == chunk_bytes(id, 0, kTotal, 4096) + chunk_bytes(id, 1, kTotal, 4096) + chunk_bytes(id, 2, kTotal, 4096));
        CHECK_FALSE(c.locate_whole(content_id(25)));  // never cached
    }
    {
        Cache c(in_boot(tmp.path(), "boot-1"));
        CHECK(c.locate_whole(id));  // stamped at close, same boot
    }
    {
        Cache c(in_boot(tmp.path(), "boot-2"));
        CHECK_FALSE(c.locate_whole(id));  // another boot: chunks must be checked first
        locate_all(c, id);
        CHECK(c.check_reads() == 3);
        CHECK(c.locate_whole(id));  // now vouched for in this process
        flip_byte_later(blob_file(tmp.path(), id), 5);
        CHECK_FALSE(c.locate_whole(id));  // written by someone else since
    }
    Cache c(in_boot(tmp.path(), "boot-2"));
    CHECK_FALSE(c.locate_whole(id));  // the stamp was of the file before that write
    CHECK(c.check_reads() == 0);      // locate_whole never reads
}
