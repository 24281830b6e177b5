// The metadata half of the LMDB index: opaque values under caller keys. LMDB keys are limited
// (511 bytes by default) and directory keys hold paths, so longer keys are stored under their
// XXH3-128 hash with the full key kept in the value and compared on every read.
#pragma once

#include "lmdb.hpp"
#include "store.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace hubfs::cache {

class Metadata {
public:
    Metadata(const Databases& dbs, size_t max_key_size) : dbs_(dbs), max_key_size_(max_key_size) {}

    std::optional<std::string> get(const lmdb::Txn& txn, std::string_view key) const;
    void put(lmdb::Txn& txn, std::string_view key, std::string_view value);
    void erase(lmdb::Txn& txn, std::string_view key);

private:
    bool is_long(std::string_view key) const { return key.size() > max_key_size_; }

    Databases dbs_;
    size_t max_key_size_;
};

}  // namespace hubfs::cache
