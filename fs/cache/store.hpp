// What one process shares among all Cache objects on one cache directory: the LMDB environment
// (LMDB allows one per process per file: its POSIX locks are per process, and closing a second
// handle would drop the first one's locks), the database handles, the set of contents this
// process is writing, the pending access times, and the queues that group commits and syncs.
#pragma once

#include "access_tracker.hpp"
#include "blob_file.hpp"
#include "group_commit.hpp"
#include "index_format.hpp"
#include "lmdb.hpp"
#include "sync_coalescer.hpp"

#include <exception>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <unordered_map>

namespace hubfs::cache {

struct Databases {
    MDB_dbi chunks = 0, contents = 0, lru = 0, state = 0, meta = 0, meta_long = 0, stamps = 0;
};

// A chunk whose bytes are durable in `file`, waiting for its record to be committed.
struct PendingChunk {
    std::string_view id;
    uint64_t index = 0;
    format::ChunkRecord record;
    uint64_t total_size = 0;
    const BlobFile* file = nullptr;
    const std::filesystem::path* path = nullptr;

    // Set by the committer.
    enum class Outcome { pending, recorded, file_replaced, rejected } outcome = Outcome::pending;
    uint64_t total_bytes_after = 0;  // the cache's total once committed
    std::exception_ptr error;        // why it was rejected
};

class Store {
public:
    // Returns this process's Store for `dir`, opening it (and creating the directory, the index
    // and blobs/) if no Cache in this process has it open. `chunk_size` is used only when the
    // index is new; an existing index keeps its own. Throws std::runtime_error.
    static std::shared_ptr<Store> open(const std::filesystem::path& dir, uint32_t chunk_size);

    Store(const std::filesystem::path& dir, uint32_t chunk_size);
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;

    lmdb::Env& env() { return env_; }
    const Databases& dbs() const { return dbs_; }
    uint32_t chunk_size() const { return chunk_size_; }
    const std::filesystem::path& blobs_dir() const { return blobs_dir_; }
    AccessTracker& access() { return access_; }
    std::mutex& evict_mutex() { return evict_mu_; }
    GroupCommit<PendingChunk>& commits() { return commits_; }
    SyncCoalescer& syncs() { return syncs_; }

    // Marks `id` as being written by this process for the guard's lifetime: eviction skips it.
    class WriteGuard {
    public:
        WriteGuard(Store& store, std::string_view id);
        ~WriteGuard();
        WriteGuard(const WriteGuard&) = delete;
        WriteGuard& operator=(const WriteGuard&) = delete;

    private:
        Store& store_;
        std::string id_;
    };
    bool is_writing(std::string_view id);

private:
    pid_t pid_;
    std::filesystem::path blobs_dir_;
    lmdb::Env env_;
    Databases dbs_;
    uint32_t chunk_size_ = 0;
    AccessTracker access_;
    std::mutex evict_mu_;
    GroupCommit<PendingChunk> commits_;
    SyncCoalescer syncs_;
    std::mutex writing_mu_;
    std::unordered_map<std::string, int> writing_;
};

}  // namespace hubfs::cache
