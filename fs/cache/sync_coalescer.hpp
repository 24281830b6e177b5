// Coalesced fdatasync per file. Concurrent fdatasyncs of one file serialise in the kernel, and a
// prefetcher writes many chunks of one file at once; so writers of the same file share syncs: a
// writer whose bytes are written waits for the next sync of that file, done by one of them for all
// (a sync already running may have started before its write, so it does not count).
#pragma once

#include "blob_file.hpp"
#include "group_commit.hpp"

#include <map>
#include <memory>
#include <mutex>
#include <utility>

namespace hubfs::cache {

class SyncCoalescer {
public:
    // Returns once everything written to `file` before the call is durable. Throws std::system_error.
    void datasync(const BlobFile& file) {
        const auto key = file.identity();
        std::shared_ptr<Group> group;
        {
            std::lock_guard lock(mu_);
            auto& slot = groups_[key];
            if (!slot) slot = std::make_shared<Group>();
            group = slot;
        }
        struct Cleanup {
            SyncCoalescer& self;
            std::pair<dev_t, ino_t> key;
            std::shared_ptr<Group>& group;
            ~Cleanup() {
                std::lock_guard lock(self.mu_);
                auto it = self.groups_.find(key);
                group.reset();
                if (it != self.groups_.end() && it->second.use_count() == 1) self.groups_.erase(it);
            }
        } cleanup{*this, key, group};
        group->submit(file, [](const std::vector<const BlobFile*>& files) { files.front()->datasync(); });
    }

private:
    using Group = GroupCommit<const BlobFile>;
    std::mutex mu_;
    std::map<std::pair<dev_t, ino_t>, std::shared_ptr<Group>> groups_;
};

}  // namespace hubfs::cache
