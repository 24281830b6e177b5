// Whether the kernel may keep its cached listing of a folder (FOPEN_CACHE_DIR + FOPEN_KEEP_CACHE):
// only while the listing an opendir would serve is the one the kernel holds. Each opendir
// digests the listing it serves and compares it with the last one served for that inode, so a
// branch's folders are listed from the kernel's cache until the branch moves (a commit-pinned
// folder never changes, so it stays cached). Changes made through this mount also bump the
// folder's version in the kernel, which drops its cache on its own.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <mutex>
#include <string_view>
#include <unordered_map>

namespace hubfs::fs {

class KernelDirCache {
public:
    // A listing's digest: its names and what readdir tells of each (mode, size, mtime, inode).
    class Digest {
    public:
        void add(std::string_view name, const struct stat& st);
        uint64_t value() const { return h_; }

    private:
        uint64_t h_ = 0;
    };

    // ino is the folder's FUSE inode number. True if the last listing served for it had this digest; remembers it either way.
    bool keep(uint64_t ino, uint64_t digest);
    void forget(uint64_t ino);

private:
    std::mutex mutex_;
    std::unordered_map<uint64_t, uint64_t> served_;
};

}  // namespace hubfs::fs
