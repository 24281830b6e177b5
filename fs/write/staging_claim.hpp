// Staging belongs to exactly one live process. Several mounts may share a cache directory (its
// chunk store is multi-process), but each stages its writes in a slot of its own,
// <cache>/staging/<N>/, held with an exclusive flock on <cache>/staging/<N>.lock for the
// process's lifetime. A mount takes the first slot nobody holds: a slot left by a process that
// died (kill -9, crash) is free again, and the mount that takes it recovers its journal; a slot
// of a live mount is never touched.
#pragma once

#include <filesystem>

#include "fs/common/unique_fd.hpp"

namespace hubfs::fs {

class StagingClaim {
public:
    explicit StagingClaim(const std::filesystem::path& staging_root);  // throws when no slot is free
    const std::filesystem::path& dir() const { return dir_; }
    int slot() const { return slot_; }

private:
    std::filesystem::path dir_;
    int slot_ = -1;
    UniqueFd lock_;
};

}  // namespace hubfs::fs
