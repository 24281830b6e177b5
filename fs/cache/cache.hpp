// The on-disk cache: opaque metadata under string keys, and file bytes stored once per content
// id in fixed-size chunks of sparse files. LMDB (index.lmdb/) records which chunks are present
// with their XXH3-64 checksums; blobs/ab/<id> hold the bytes. See src/cache/README.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hubfs::cache {

struct CacheOptions {
    std::filesystem::path dir;           // created if missing; holds index.lmdb/ and blobs/
    uint64_t max_bytes = 10ull << 30;    // data budget; LRU eviction keeps total data under it
    uint32_t chunk_size = 1u << 20;      // fixed chunk size of the blob store (an existing cache
                                         // keeps the size it was created with: see chunk_size())
    // Contents accessed more recently than this are never evicted: it protects what another
    // thread or process is writing or reading right now. Eviction may therefore leave the cache
    // over budget for up to this long.
    std::chrono::milliseconds evict_grace{5000};
    // Reads record access times in memory; they reach LMDB at most this often (and before an
    // eviction), so a read never costs a write transaction.
    std::chrono::milliseconds access_flush_interval{1000};
    // The machine's boot id; empty: /proc/sys/kernel/random/boot_id. Tests set it to play a reboot.
    std::string boot_id{};
};

class BlobFile;

// Where a chunk's bytes are: `length` bytes at `offset` of the open blob file `fd`, which stays
// open as long as `file` lives (bytes of a content never change, even if it is evicted meanwhile).
struct ChunkSpan {
    std::shared_ptr<const BlobFile> file;
    int fd = -1;
    uint64_t offset = 0;
    uint32_t length = 0;
};

// One chunk of a write_chunks batch (the arguments of write_chunk).
struct ChunkWrite {
    std::string_view content_id;
    uint64_t index = 0;
    std::string_view data;
    uint64_t total_size = 0;
    // The XXH3-64 of `data` if the caller has it (hashed while the bytes were still in the CPU's
    // cache); else the cache computes it. A wrong one only costs a refetch: reads check it.
    std::optional<uint64_t> checksum{};
};

// Thread-safe. Several Cache objects (in one or several processes) may use one directory at once;
// within a process they share one LMDB environment.
//
// Errors: a malformed content id, a zero-length key, or chunk bytes that do not fit the content's
// geometry throw std::invalid_argument; I/O and LMDB failures throw std::runtime_error (a
// std::system_error for I/O), after which the bytes are simply not cached.
class Cache {
public:
    explicit Cache(CacheOptions opts);   // throws std::runtime_error with a clear message
    ~Cache();
    Cache(Cache&&) noexcept;
    Cache& operator=(Cache&&) noexcept;
    Cache(const Cache&) = delete;
    Cache& operator=(const Cache&) = delete;

    // The chunk size in force: the one the cache directory was created with.
    uint32_t chunk_size() const;

    // Metadata: opaque values (callers store JSON text) under string keys, e.g.
    // "ref\x1fmodels/ns/name\x1fmain" or "dir\x1fmodels/ns/name\x1f<commit>\x1f<path>".
    // Keys of any length (>= 1 byte); values of any length. Metadata is not counted in the data
    // budget and never evicted.
    std::optional<std::string> get(std::string_view key);
    void put(std::string_view key, std::string_view value);
    void erase(std::string_view key);

    // Data: content-addressed by `content_id` (a git blob sha1 or an LFS sha256, lowercase hex);
    // chunk `index` covers bytes [index*chunk_size, min(size, (index+1)*chunk_size)).
    // read_chunk: true and fills `out` only if the chunk is recorded AND its XXH3-64 checksum
    // matches what is on disk (on false, `out` is left empty); a checksum mismatch erases the
    // record (so it is fetched again).
    bool read_chunk(std::string_view content_id, uint64_t index, std::string& out);
    // Like read_chunk, but says where the bytes are instead of copying them (the caller sends
    // them on, e.g. spliced to the kernel). The XXH3 check reads them only if this boot has not
    // vouched for them yet (checked_chunks.hpp): nullopt if they are missing or wrong (dropped).
    std::optional<ChunkSpan> locate_chunk(std::string_view content_id, uint64_t index);
    // The blob file holding all of a content, if every chunk is recorded and none needs its XXH3
    // check (vouched for in this boot: see locate_chunk). hubfs then lets the kernel read the
    // file itself (FUSE passthrough). Null otherwise: the caller reads chunk by chunk, checked.
    std::shared_ptr<const BlobFile> locate_whole(std::string_view content_id);
    // How many chunk reads so far were for the XXH3 check (read_chunk always reads, so it counts
    // only those locate_chunk made).
    uint64_t check_reads() const;
    // How many LMDB transactions recorded chunks so far (a write_chunks batch takes one).
    uint64_t record_commits() const;
    // write_chunk: pwrite into the content's sparse file, THEN record the chunk and its checksum
    // in LMDB (bytes a crash lost fail read_chunk's check, which drops their record).
    // `total_size` is the content's full size; `data` must be exactly the chunk's bytes.
    // A chunk already recorded is not written again. May evict (see evict_to) afterwards.
    void write_chunk(std::string_view content_id, uint64_t index, std::string_view data, uint64_t total_size);
    // write_chunk for several chunks at once: each pwritten, then all recorded in one LMDB
    // transaction (one sync of the index for the batch instead of one per chunk). Returns one
    // error per chunk (null: written or already there); a bad chunk does not stop the others.
    std::vector<std::exception_ptr> write_chunks(const std::vector<ChunkWrite>& chunks);
    bool has_chunk(std::string_view content_id, uint64_t index);
    uint64_t cached_bytes(std::string_view content_id);   // bytes of the content present
    uint64_t total_bytes();                              // all data in the cache
    // Removes whole contents, least recently used first, until at most `max_bytes` remain, skipping
    // contents used within evict_grace and contents this process is writing.
    void evict_to(uint64_t max_bytes);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace hubfs::cache
