#include "chunk_index.hpp"

#include <stdexcept>

namespace hubfs::cache {

namespace {

[[noreturn]] void corrupt(std::string_view what) {
    throw std::runtime_error("hubfs cache: corrupt index entry (" + std::string(what) + ")");
}

}  // namespace

std::optional<format::ChunkRecord> ChunkIndex::chunk(const lmdb::Txn& txn, std::string_view id, uint64_t index) const {
    auto v = txn.get(dbs_.chunks, format::chunk_key(id, index));
    if (!v) return std::nullopt;
    auto rec = format::ChunkRecord::decode(*v);
    if (!rec) corrupt("chunk");
    return rec;
}

std::optional<format::ContentRecord> ChunkIndex::content(const lmdb::Txn& txn, std::string_view id) const {
    auto v = txn.get(dbs_.contents, id);
    if (!v) return std::nullopt;
    auto rec = format::ContentRecord::decode(*v);
    if (!rec) corrupt("content");
    return rec;
}

uint64_t ChunkIndex::total_bytes(const lmdb::Txn& txn) const {
    auto v = txn.get(dbs_.state, "total_bytes");
    if (!v || v->size() != 8) corrupt("total_bytes");
    return format::read_le(*v, 0, 8);
}

void ChunkIndex::put_content(lmdb::Txn& txn, std::string_view id, const format::ContentRecord& rec) {
    txn.put(dbs_.contents, id, rec.encode());
}

void ChunkIndex::set_total(lmdb::Txn& txn, uint64_t total) {
    txn.put(dbs_.state, "total_bytes", format::le_bytes(total, 8));
}

uint64_t ChunkIndex::record_chunk(lmdb::Txn& txn, std::string_view id, uint64_t index, const format::ChunkRecord& rec,
                                  uint64_t total_size, uint64_t now_ms) {
    auto content_rec = content(txn, id);
    if (content_rec && content_rec->total_size != total_size)
        throw std::invalid_argument("hubfs cache: content " + std::string(id) + " has size " +
                                    std::to_string(content_rec->total_size) + ", not " + std::to_string(total_size));
    uint64_t total = total_bytes(txn);
    if (!content_rec) content_rec = format::ContentRecord{total_size, 0, 0};

    if (txn.put(dbs_.chunks, format::chunk_key(id, index), rec.encode(), MDB_NOOVERWRITE)) {
        content_rec->cached_bytes += rec.length;
        total += rec.length;
        set_total(txn, total);
    }
    if (content_rec->atime_ms != 0) txn.del(dbs_.lru, format::lru_key(content_rec->atime_ms, id));
    content_rec->atime_ms = std::max(content_rec->atime_ms, now_ms);
    txn.put(dbs_.lru, format::lru_key(content_rec->atime_ms, id), {});
    put_content(txn, id, *content_rec);
    return total;
}

bool ChunkIndex::drop_chunk(lmdb::Txn& txn, std::string_view id, uint64_t index) {
    auto rec = chunk(txn, id, index);
    if (!rec) return false;
    txn.del(dbs_.chunks, format::chunk_key(id, index));
    auto content_rec = content(txn, id);
    if (!content_rec) return false;
    uint64_t total = total_bytes(txn);
    set_total(txn, total >= rec->length ? total - rec->length : 0);
    content_rec->cached_bytes = content_rec->cached_bytes >= rec->length ? content_rec->cached_bytes - rec->length : 0;
    put_content(txn, id, *content_rec);
    if (content_rec->cached_bytes != 0) return false;
    remove_content(txn, id);
    return true;
}

void ChunkIndex::touch(lmdb::Txn& txn, std::string_view id, uint64_t atime_ms) {
    auto rec = content(txn, id);
    if (!rec || rec->atime_ms >= atime_ms) return;
    txn.del(dbs_.lru, format::lru_key(rec->atime_ms, id));
    rec->atime_ms = atime_ms;
    txn.put(dbs_.lru, format::lru_key(rec->atime_ms, id), {});
    put_content(txn, id, *rec);
}

std::optional<format::Stamp> ChunkIndex::stamp(const lmdb::Txn& txn, std::string_view id) const {
    auto v = txn.get(dbs_.stamps, id);
    if (!v) return std::nullopt;
    return format::Stamp::decode(*v);  // a malformed stamp is no stamp: the chunks get checked
}

void ChunkIndex::put_stamp(lmdb::Txn& txn, std::string_view id, const format::Stamp& stamp) {
    txn.put(dbs_.stamps, id, stamp.encode());
}

std::vector<uint64_t> ChunkIndex::chunk_indexes(const lmdb::Txn& txn, std::string_view id) const {
    const std::string prefix = format::chunk_prefix(id);
    std::vector<uint64_t> out;
    lmdb::Cursor cur(txn, dbs_.chunks);
    for (bool ok = cur.seek(prefix); ok && cur.key().substr(0, prefix.size()) == prefix; ok = cur.next()) {
        if (cur.key().size() != prefix.size() + 8) corrupt("chunk key");
        out.push_back(format::read_be64(cur.key().substr(prefix.size())));
    }
    return out;
}

uint64_t ChunkIndex::remove_content(lmdb::Txn& txn, std::string_view id) {
    const std::string prefix = format::chunk_prefix(id);
    txn.del(dbs_.stamps, id);
    {
        lmdb::Cursor cur(txn, dbs_.chunks);
        while (cur.seek(prefix) && cur.key().substr(0, prefix.size()) == prefix) cur.del();
    }
    auto rec = content(txn, id);
    if (!rec) return 0;
    txn.del(dbs_.lru, format::lru_key(rec->atime_ms, id));
    txn.del(dbs_.contents, id);
    uint64_t total = total_bytes(txn);
    set_total(txn, total >= rec->cached_bytes ? total - rec->cached_bytes : 0);
    return rec->cached_bytes;
}

std::vector<ChunkIndex::Candidate> ChunkIndex::eviction_candidates(
    const lmdb::Txn& txn, uint64_t cutoff_ms, uint64_t need, size_t limit,
    const std::function<bool(std::string_view)>& skip) const {
    std::vector<Candidate> out;
    uint64_t found = 0;
    lmdb::Cursor cur(txn, dbs_.lru);
    for (bool ok = cur.first(); ok && found < need && out.size() < limit; ok = cur.next()) {
        std::string_view key = cur.key();
        if (key.size() <= 8) corrupt("lru");
        if (format::read_be64(key) >= cutoff_ms) break;  // the rest is more recent still
        std::string_view id = key.substr(8);
        if (skip(id)) continue;
        auto rec = content(txn, id);
        if (!rec) continue;
        out.push_back({std::string(id), rec->cached_bytes});
        found += rec->cached_bytes;
    }
    return out;
}

}  // namespace hubfs::cache
