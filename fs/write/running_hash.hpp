// The digests of a staged file written in order from offset 0 (a `cp`, an editor's save, a model
// save), computed as its writes arrive: its seal (size + XXH3) and the sha256 a commit needs (the
// LFS oid) then cost no second read of the file. Any other change (a write elsewhere, a truncate)
// drops the running digests, and the file is measured by reading it, as before.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "fs/write/staged_branch.hpp"

namespace hubfs::fs {

// The digests of a byte stream fed in order. Not thread-safe.
class RunningHash {
public:
    RunningHash();
    ~RunningHash();
    RunningHash(const RunningHash&) = delete;
    RunningHash& operator=(const RunningHash&) = delete;

    void update(std::string_view bytes);
    uint64_t size() const { return size_; }
    // Size, XXH3 and sha256 (hex) of the bytes so far; the stream may go on.
    Seal seal() const;

private:
    struct State;
    std::unique_ptr<State> state_;
    uint64_t size_ = 0;
};

// The running digests of every staged file (by blob name), kept while the file's bytes are
// exactly what its writes in order from 0 made. Thread-safe: a write and its digest update happen
// under the file's lock, so two writers of one file cannot leave digests of bytes it does not hold.
class RunningHashes {
public:
    // Writes `bytes` at `offset` of the staged file `blob` (open as `fd`) and carries its digests
    // on when the write continues the file; a write at 0 that is the whole file starts them.
    void write(const std::string& blob, int fd, std::string_view bytes, uint64_t offset);
    // Truncates the staged file (through `fd` if it is open, else by its path) and drops its
    // digests, under the file's lock, so no write or seal sees them between the two.
    void truncate(const std::string& blob, int fd, const std::filesystem::path& file, uint64_t size);
    void forget(const std::string& blob);  // the file is gone
    // The seal of the file from its digests, if they cover it whole (its size on disk is theirs).
    std::optional<Seal> seal(const std::string& blob, const std::filesystem::path& file);

private:
    struct Entry {
        std::mutex mutex;
        std::optional<RunningHash> hash;
    };
    std::shared_ptr<Entry> entry(const std::string& blob, bool make);

    std::mutex mutex_;
    std::map<std::string, std::shared_ptr<Entry>> entries_;
};

}  // namespace hubfs::fs
