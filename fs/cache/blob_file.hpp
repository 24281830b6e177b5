// One content's sparse file under blobs/. The file is only ever a place to keep bytes: whether a
// range of it is valid is decided by the LMDB index and the checksums, never by the file.
#pragma once

#include "fs/common/unique_fd.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string_view>
#include <sys/types.h>
#include <utility>

namespace hubfs::cache {

class BlobFile {
public:
    // Opens the file for writing, creating it (and its fan-out directory) if missing and sizing
    // it to `total_size`. A newly created entry is made durable (fsync of the directory), so a
    // chunk recorded later does not vanish with its file after a power loss.
    static BlobFile open_for_write(const std::filesystem::path& path, uint64_t total_size);
    // nullopt if the file does not exist (or cannot be opened).
    static std::optional<BlobFile> open_for_read(const std::filesystem::path& path);

    // pwrite all of `data` at `offset`. Throws std::system_error.
    void write_all(std::string_view data, uint64_t offset);
    // fdatasync: makes every byte written to this file (through any descriptor) durable.
    void datasync() const;
    // The file's identity (device, inode).
    std::pair<dev_t, ino_t> identity() const;
    // The file's status change time in ns (moves on every write to it, by anyone); 0 on error.
    uint64_t ctime_ns() const;
    int fd() const { return fd_.get(); }
    // Reads exactly `n` bytes at `offset`; false on a short read or an error.
    bool read_exact(char* buf, size_t n, uint64_t offset) const;
    // True if `path` still names this file (eviction, possibly by another process, may have
    // unlinked it, and a writer may have created a new one since).
    bool is_linked_at(const std::filesystem::path& path) const;

private:
    explicit BlobFile(UniqueFd fd) : fd_(std::move(fd)) {}
    UniqueFd fd_;
};

// fsync of a directory, so entries created in it survive a power loss. Throws std::system_error.
void sync_directory(const std::filesystem::path& dir);

}  // namespace hubfs::cache
