// Scratch files an fsync left local (scratch_files.hpp). When one is then renamed to a name
// that is committed (an atomic save: write a temp file, fsync, rename over the target), the
// fsync's commit is owed, and the rename asks for it.
#pragma once

#include <mutex>
#include <set>
#include <string>

namespace hubfs::fs {

class DeferredSyncs {
public:
    void add(const std::string& blob) {
        std::lock_guard lock(mutex_);
        blobs_.insert(blob);
    }
    // Whether the staged file was fsync'd; forgets it.
    bool take(const std::string& blob) {
        std::lock_guard lock(mutex_);
        return blobs_.erase(blob) > 0;
    }

private:
    std::mutex mutex_;
    std::set<std::string> blobs_;  // staged file names
};

}  // namespace hubfs::fs
