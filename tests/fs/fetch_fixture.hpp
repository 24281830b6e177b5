// What the read path's unit tests share: a cache in a temporary folder, file bytes with a
// recognisable pattern, and the FileSource of a file of the fake Remote.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <string>

#include "fake_remote.hpp"
#include "fs/cache/cache.hpp"
#include "fs/read/chunk_fetcher.hpp"

namespace hubfs::fs::testing {

// A cache in its own temporary folder, removed with it.
struct TempCache {
    std::filesystem::path dir;
    cache::Cache cache;
    explicit TempCache(uint32_t chunk_size = cache::CacheOptions{}.chunk_size)
        : dir(make_dir()), cache(cache::CacheOptions{.dir = dir, .chunk_size = chunk_size}) {}
    ~TempCache() { std::filesystem::remove_all(dir); }
    static std::filesystem::path make_dir() {
        char tmpl[] = "/tmp/hubfs-fs-test-XXXXXX";
        return ::mkdtemp(tmpl);
    }
};

// size bytes that differ from one 4 KiB page to the next, so a misplaced page shows.
inline std::string pattern(size_t size) {
    std::string s(size, '\0');
    for (size_t i = 0; i < size; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 4096) % 26);
    return s;
}

// A file of one commit; id_digit (if set) makes its content id (an LFS sha256) unique per test.
inline FileSource source(const std::string& path, uint64_t size, char id_digit = 0) {
    FileSource src;
    src.repo = RepoRef{RepoType::model, "ns/repo"};
    src.commit = std::string(40, 'c');
    src.path = path;
    src.entry.name = path;
    src.entry.size = size;
    src.entry.oid = std::string(40, 'f');
    if (id_digit) src.entry.lfs_sha256 = std::string(64, id_digit);
    return src;
}

// The same, with pattern(size) as its bytes on the fake Remote.
inline FileSource file_of(FakeRemote& remote, const std::string& path, size_t size, char id_digit = 0) {
    remote.set_content(path, pattern(size));
    return source(path, size, id_digit);
}

}  // namespace hubfs::fs::testing
