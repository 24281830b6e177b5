// The data half of the LMDB index: which chunks of which contents are present, their checksums,
// per-content and total byte counts, and the LRU order. Every operation runs inside a caller's
// transaction, so a chunk record and the counters it moves always change together.
#pragma once

#include "index_format.hpp"
#include "lmdb.hpp"
#include "store.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hubfs::cache {

class ChunkIndex {
public:
    explicit ChunkIndex(const Databases& dbs) : dbs_(dbs) {}

    std::optional<format::ChunkRecord> chunk(const lmdb::Txn& txn, std::string_view id, uint64_t index) const;
    std::optional<format::ContentRecord> content(const lmdb::Txn& txn, std::string_view id) const;
    uint64_t total_bytes(const lmdb::Txn& txn) const;

    // Records a chunk unless it is recorded already, creating the content entry if needed, and
    // marks the content used at `now_ms`. Returns the cache's total bytes afterwards.
    // Throws std::invalid_argument if the content is known with another total size.
    uint64_t record_chunk(lmdb::Txn& txn, std::string_view id, uint64_t index, const format::ChunkRecord& rec,
                          uint64_t total_size, uint64_t now_ms);
    // Drops a chunk's record. Returns true if the content then has no chunks left, in which case
    // its entry is removed too (the caller removes the file).
    bool drop_chunk(lmdb::Txn& txn, std::string_view id, uint64_t index);
    // Moves the content's access time forward to `atime_ms`; no-op for unknown contents.
    void touch(lmdb::Txn& txn, std::string_view id, uint64_t atime_ms);
    // The content's stamp (checked_chunks.hpp), if any; put_stamp replaces it.
    std::optional<format::Stamp> stamp(const lmdb::Txn& txn, std::string_view id) const;
    void put_stamp(lmdb::Txn& txn, std::string_view id, const format::Stamp& stamp);
    // The indexes of the content's recorded chunks, in order.
    std::vector<uint64_t> chunk_indexes(const lmdb::Txn& txn, std::string_view id) const;
    // Drops the content's entry, its stamp and all its chunk records. Returns the bytes it held.
    uint64_t remove_content(lmdb::Txn& txn, std::string_view id);

    struct Candidate {
        std::string id;
        uint64_t bytes = 0;
    };
    // Least recently used first: contents last used before `cutoff_ms` and not `skip`ped, until
    // their bytes reach `need` or there are `limit` of them.
    std::vector<Candidate> eviction_candidates(const lmdb::Txn& txn, uint64_t cutoff_ms, uint64_t need, size_t limit,
                                               const std::function<bool(std::string_view)>& skip) const;

private:
    void put_content(lmdb::Txn& txn, std::string_view id, const format::ContentRecord& rec);
    void set_total(lmdb::Txn& txn, uint64_t total);

    Databases dbs_;
};

}  // namespace hubfs::cache
