// Helpers shared by the cache tests: private temp dirs, deterministic content, child processes.
#pragma once

#include "fs/cache/cache.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

namespace hubfs::cache::test {

// A fresh directory from mkdtemp, removed with everything in it at the end of the test.
class TempDir {
public:
    TempDir() {
        const char* base = std::getenv("TMPDIR");
        std::string tmpl = std::string(base && *base ? base : "/tmp") + "/hubfs-cache-test-XXXXXX";
        if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
        path_ = tmpl;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

// A 40-digit hex id derived from n (like a git blob sha1).
inline std::string content_id(uint64_t n, char tag = 'c') {
    static const char* hex = "0123456789abcdef";
    std::string id(40, '0');
    uint64_t x = n * 0x9e3779b97f4a7c15ull + static_cast<unsigned char>(tag);
    for (int i = 0; i < 40; ++i) {
        x ^= x >> 29;
        x *= 0xbf58476d1ce4e5b9ull;
        id[i] = hex[(x >> 60) & 0xf];
    }
    return id;
}

// The bytes of content `id` at [offset, offset + n): a function of the id and the position, so
// any chunk can be checked without remembering what was written.
inline std::string content_bytes(const std::string& id, uint64_t offset, size_t n) {
    uint64_t seed = std::hash<std::string>{}(id);
    std::string out(n, '\0');
    for (size_t i = 0; i < n; ++i) {
        uint64_t x = seed ^ ((offset + i) * 0x9e3779b97f4a7c15ull);
        x ^= x >> 31;
        x *= 0x94d049bb133111ebull;
        out[i] = static_cast<char>(x >> 56);
    }
    return out;
}

inline std::string chunk_bytes(const std::string& id, uint64_t index, uint64_t total, uint32_t cs) {
    uint64_t off = index * cs;
    return content_bytes(id, off, static_cast<size_t>(std::min<uint64_t>(cs, total - off)));
}

inline uint64_t chunk_count(uint64_t total, uint32_t cs) { return total / cs + (total % cs != 0); }

// Inverts one byte of a file in place (a torn or corrupted chunk).
inline void flip_byte(const std::filesystem::path& file, uint64_t offset) {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    REQUIRE(f);
    f.seekg(static_cast<std::streamoff>(offset));
    char b = 0;
    f.get(b);
    f.seekp(static_cast<std::streamoff>(offset));
    f.put(static_cast<char>(b ^ 0x5a));
}

inline std::filesystem::path blob_file(const std::filesystem::path& dir, const std::string& id) {
    return dir / "blobs" / id.substr(0, 2) / id;
}

// Runs `body` in a forked child; returns the child's pid. The child exits 0 if body returns true,
// 1 if false, 2 on an exception; it never returns into the test runner.
inline pid_t spawn(const std::function<bool()>& body) {
    std::fflush(nullptr);
    pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        int code = 2;
        try {
            code = body() ? 0 : 1;
        } catch (const std::exception& e) {
            std::fprintf(stderr, "child: %s\n", e.what());
        }
        ::_exit(code);
    }
    return pid;
}

// Waits for `pid`; its exit code, or 128 + signal.
inline int wait_child(pid_t pid) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
    }
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return -1;
}

inline CacheOptions options(const std::filesystem::path& dir, uint64_t max_bytes = 1ull << 30, uint32_t cs = 4096) {
    CacheOptions o;
    o.dir = dir;
    o.max_bytes = max_bytes;
    o.chunk_size = cs;
    o.evict_grace = std::chrono::milliseconds(0);
    o.access_flush_interval = std::chrono::milliseconds(0);
    return o;
}

}  // namespace hubfs::cache::test
