// The staging area's journal: an LMDB key-value store of pending changes that survives a crash
// or kill -9 of the mount (see staging_area.hpp for what the keys mean). Batches of edits are
// one transaction, so a rename of a folder is journaled whole or not at all.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "fs/cache/lmdb.hpp"

namespace hubfs::fs {

class StagingJournal {
public:
    explicit StagingJournal(const std::filesystem::path& dir);  // created if missing

    // A value sets the key; nullopt erases it.
    using Edit = std::pair<std::string, std::optional<std::string>>;
    void apply(const std::vector<Edit>& edits);
    // Every entry whose key starts with prefix, in key order.
    std::vector<std::pair<std::string, std::string>> scan(const std::string& prefix = {});
    // Writes are not synced one by one (a kill -9 loses nothing that the kernel has); this
    // makes them durable against power loss too, before a commit starts.
    void sync();

private:
    std::unique_ptr<cache::lmdb::Env> env_;
    MDB_dbi dbi_ = 0;
};

}  // namespace hubfs::fs
