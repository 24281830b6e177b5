// File bytes by fixed-size chunk: from the disk cache, or fetched from the Hub with ranged GETs
// on a pool of workers. A chunk in flight is fetched once however many readers wait for it;
// prefetches of runs of chunks are bounded by a global in-flight memory budget.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <unordered_map>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "fs/cache/cache.hpp"
#include "fs/read/cache_write_queue.hpp"
#include "fs/read/chunk_pool.hpp"
#include "fs/remote.hpp"

namespace hubfs::fs {

// One file of one commit: what a reader needs to fetch its bytes.
struct FileSource {
    RepoRef repo;
    std::string commit;
    std::string path;
    RemoteEntry entry;
};

struct FetcherOptions {
    // Fetch threads; each runs up to transfers_per_worker ranged GETs at once on one thread (curl
    // multi): as many connections as before (a slow one each, on the Hub) with a quarter of the
    // threads waking, switching and contending on 2 cores.
    size_t workers = 4;
    size_t transfers_per_worker = 4;
    size_t cache_writers = 2;               // threads that write fetched chunks to the disk cache, in batches
    uint64_t write_backlog = 64ull << 20;   // fetched bytes waiting for the disk; beyond, fetches wait
    uint64_t recent_bytes = 64ull << 20;    // fetched chunks kept in memory for readers close behind
    uint64_t max_request = 16ull << 20;     // largest single ranged GET
    uint64_t memory_budget = 512ull << 20;  // bytes of prefetch in flight at once
    uint64_t pool_bytes = 16ull << 20;      // freed chunk buffers kept for reuse (fs/read/chunk_pool.hpp)
};

class ChunkFetcher {
public:
    using Chunk = std::shared_ptr<const std::string>;

    ChunkFetcher(Remote& remote, cache::Cache& cache, FetcherOptions opts);
    ~ChunkFetcher();
    ChunkFetcher(const ChunkFetcher&) = delete;
    ChunkFetcher& operator=(const ChunkFetcher&) = delete;

    uint64_t chunk_size() const { return chunk_size_; }
    // The chunk's bytes; blocks until they are here. Throws RemoteError.
    Chunk get(const FileSource& src, uint64_t index);
    // Every chunk of the file in order, the rest fetched meanwhile in parallel ranged GETs: each
    // is handed to `each(index, chunk)`. Blocks; throws RemoteError (or what `each` throws).
    void get_all(const FileSource& src, const std::function<void(uint64_t, const Chunk&)>& each);
    // Without waiting: the chunk from memory or the disk cache, else null.
    Chunk cached(const FileSource& src, uint64_t index);
    // Whether any chunk of [first, last] is being fetched (a read of it had better wait for that).
    bool fetching(const FileSource& src, uint64_t first, uint64_t last);
    // Without waiting and without copying: the chunk in memory, or where its bytes lie in the
    // disk cache (checked once per boot, fs/cache/checked_chunks.hpp); neither if it is missing.
    struct Piece {
        Chunk mem;
        cache::ChunkSpan disk;
        bool here() const { return mem || disk.file; }
    };
    Piece at_hand(const FileSource& src, uint64_t index);
    // `length` bytes from `from` within a disk piece's chunk, read into a reused buffer (at_hand
    // checked them). Null if the read fails.
    Chunk read_span(const cache::ChunkSpan& span, uint64_t from, uint64_t length);
    // Calls done(chunk, error) once the chunk is here: at once if it is cached, else from the
    // thread that fetched it. done must not throw and must not call back into the fetcher.
    using Done = std::function<void(Chunk, std::exception_ptr)>;
    void get_async(const FileSource& src, uint64_t index, Done done);
    // Starts fetching the missing chunks of [first, last] in the background, in ranged GETs of
    // request_chunks chunks (0: as large as max_request). Returns the index it stopped at: last + 1,
    // or the first chunk the memory budget had no room for.
    uint64_t prefetch(const FileSource& src, uint64_t first, uint64_t last, uint64_t request_chunks = 0);

private:
    struct Slot {
        bool done = false;
        Chunk data;
        std::exception_ptr error;
        std::vector<Done> waiters;  // get_async callers, called once done
    };
    // Marks the slot done and hands out its waiters, to be called without the lock (mutex_ held).
    static std::vector<Done> complete(Slot& slot, Chunk data, std::exception_ptr error);
    static void call(std::vector<Done>& waiters, const Slot& slot);
    struct Job {
        FileSource src;
        uint64_t first = 0, last = 0;  // chunk indexes, inclusive
        std::vector<std::shared_ptr<Slot>> slots;
        uint64_t bytes = 0;
        bool prefetch = false;  // holds `bytes` of the memory budget until it ends
        uint64_t next = 0;      // while it runs: the chunk being received, into `buf`
        std::string buf;
    };

    std::string key(const FileSource& src, uint64_t index) const;
    uint64_t chunk_bytes(const FileSource& src, uint64_t index) const;
    void worker();
    void writer();
    // Fetches a batch of jobs at once (one Remote::read_ranges); each job's chunks are handed
    // out in order as each is complete.
    void run(std::vector<Job>& jobs);
    void receive(Job& job, const char* p, size_t n);
    // The end of a job: the memory budget it held back, its missing chunks failed with `error`.
    void finish(Job& job, std::exception_ptr error);
    void release_budget(Job& job);
    // Hands a chunk to its waiters; it stays "in flight" until it is on disk, so nobody
    // fetches it again meanwhile.
    // `checksum`: the XXH3-64 of data, for the cache's record.
    void deliver(const Job& job, uint64_t index, Chunk data, std::exception_ptr error, uint64_t checksum = 0);
    // The in-memory set of recently fetched chunks (callers hold mutex_).
    void remember(const std::string& key, Chunk data);
    Chunk recall(const std::string& key);
    // The slot of a chunk fetch, an existing one or a new urgent job (callers hold mutex_).
    std::shared_ptr<Slot> slot_for(const FileSource& src, uint64_t index);

    Remote& remote_;
    cache::Cache& cache_;
    FetcherOptions opts_;
    uint64_t chunk_size_;
    ChunkPool pool_;
    std::mutex mutex_;
    std::condition_variable work_ready_, chunk_done_;
    std::map<std::string, std::shared_ptr<Slot>> in_flight_;
    std::list<std::string> recent_order_;  // most recent first
    std::unordered_map<std::string, std::pair<Chunk, std::list<std::string>::iterator>> recent_;
    uint64_t recent_used_ = 0;
    std::deque<Job> urgent_, background_;
    CacheWriteQueue writes_;
    std::condition_variable write_ready_, write_room_;
    uint64_t budget_used_ = 0;
    uint64_t backlog_ = 0;
    bool stopping_ = false;
    bool writers_stop_ = false;
    std::vector<std::thread> workers_, writers_;
};

}  // namespace hubfs::fs
