#include "metadata.hpp"

#include "index_format.hpp"

#include <stdexcept>
#include <xxhash.h>

namespace hubfs::cache {

namespace {

std::string hashed_key(std::string_view key) {
    XXH128_canonical_t c;
    XXH128_canonicalFromHash(&c, XXH3_128bits(key.data(), key.size()));
    return std::string(reinterpret_cast<const char*>(c.digest), sizeof c.digest);
}

// A long key's stored value: <key length:le32> <key> <value>. nullopt if it is another key's.
std::optional<std::string_view> long_value(std::string_view stored, std::string_view key) {
    if (stored.size() < 4) return std::nullopt;
    uint64_t n = format::read_le(stored, 0, 4);
    if (n != key.size() || stored.size() < 4 + n || stored.substr(4, n) != key) return std::nullopt;
    return stored.substr(4 + n);
}

void require_key(std::string_view key) {
    if (key.empty()) throw std::invalid_argument("hubfs cache: empty metadata key");
}

}  // namespace

std::optional<std::string> Metadata::get(const lmdb::Txn& txn, std::string_view key) const {
    require_key(key);
    if (!is_long(key)) {
        auto v = txn.get(dbs_.meta, key);
        if (!v) return std::nullopt;
        return std::string(*v);
    }
    auto stored = txn.get(dbs_.meta_long, hashed_key(key));
    if (!stored) return std::nullopt;
    auto v = long_value(*stored, key);
    if (!v) return std::nullopt;
    return std::string(*v);
}

void Metadata::put(lmdb::Txn& txn, std::string_view key, std::string_view value) {
    require_key(key);
    if (!is_long(key)) {
        txn.put(dbs_.meta, key, value);
        return;
    }
    std::string stored = format::le_bytes(key.size(), 4);
    stored.append(key);
    stored.append(value);
    txn.put(dbs_.meta_long, hashed_key(key), stored);
}

void Metadata::erase(lmdb::Txn& txn, std::string_view key) {
    require_key(key);
    if (!is_long(key)) {
        txn.del(dbs_.meta, key);
        return;
    }
    const std::string h = hashed_key(key);
    auto stored = txn.get(dbs_.meta_long, h);
    if (stored && long_value(*stored, key)) txn.del(dbs_.meta_long, h);
}

}  // namespace hubfs::cache
