// Which chunks a read must check against their XXH3. Chunk bytes are not synced (README), so a
// crash of the machine can lose bytes a record promises; a kill -9 of the daemon cannot (the page
// cache keeps them). So a chunk written or checked since the machine last booted needs no check
// again, unless its file changed since (its ctime moved: something else wrote to it).
//  - In this process: the chunks vouched for (written, or read and checked), per content, with
//    the file's ctime seen then. A ctime that moved without us forgets them.
//  - Across processes: a stamp per content in LMDB (boot, ctime): every recorded chunk was
//    vouched for in that boot with the file at that ctime. The cache writes stamps when it
//    flushes access times (and when it closes), for contents all of whose chunks it vouched for.
#pragma once

#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace hubfs::cache {

// A hash of the machine's boot id (/proc/sys/kernel/random/boot_id), or of `override` if not empty.
uint64_t boot_hash(const std::string& override);

class CheckedChunks {
public:
    struct Vouched {
        std::string id;
        uint64_t ctime_ns = 0;
        std::set<uint64_t> indexes;
    };

    // True if chunk `index` was vouched for here and its file still has change time `ctime_ns`.
    bool vouched(std::string_view id, uint64_t index, uint64_t ctime_ns) {
        std::lock_guard lock(mu_);
        auto it = contents_.find(std::string(id));
        return it != contents_.end() && it->second.ctime_ns == ctime_ns && it->second.indexes.count(index);
    }
    // True if chunks 0..count-1 were all vouched for here and the file still has `ctime_ns`.
    bool vouched_all(std::string_view id, uint64_t count, uint64_t ctime_ns) {
        std::lock_guard lock(mu_);
        auto it = contents_.find(std::string(id));
        if (it == contents_.end() || it->second.ctime_ns != ctime_ns) return false;
        const auto& have = it->second.indexes;  // distinct: count of them from 0 to count-1 is all
        return have.size() == count && (count == 0 || (*have.begin() == 0 && *have.rbegin() == count - 1));
    }
    // After a check: the file had `ctime_ns` when its bytes were read and found right. If the
    // ctime moved past what this process saw, and not by a write of this process (`writing`:
    // one is in progress), something else wrote the file: what was vouched for is forgotten.
    void checked(std::string_view id, uint64_t index, uint64_t ctime_ns, bool writing) { add(id, index, ctime_ns, writing); }
    // After this process wrote the chunk: the file's ctime moved because of that write, so the
    // chunks vouched for before stay vouched for.
    void written(std::string_view id, uint64_t index, uint64_t ctime_ns) { add(id, index, ctime_ns, true); }
    // The contents vouched for since the last call (to be stamped).
    std::vector<Vouched> take_changed() {
        std::lock_guard lock(mu_);
        std::vector<Vouched> out;
        for (auto& id : changed_)
            if (auto it = contents_.find(id); it != contents_.end()) out.push_back(Vouched{id, it->second.ctime_ns, it->second.indexes});
        changed_.clear();
        return out;
    }
    void forget(std::string_view id) {
        std::lock_guard lock(mu_);
        contents_.erase(std::string(id));
    }

private:
    struct Entry {
        uint64_t ctime_ns = 0;
        std::set<uint64_t> indexes;
    };
    void add(std::string_view id, uint64_t index, uint64_t ctime_ns, bool ours) {
        std::lock_guard lock(mu_);
        Entry& e = contents_[std::string(id)];
        if (ctime_ns > e.ctime_ns) {
            if (!ours) e.indexes.clear();
            e.ctime_ns = ctime_ns;
        }
        // An older ctime: seen before writes of this process that moved it since (a check
        // that raced them); the bytes it checked are not among those writes.
        e.indexes.insert(index);
        changed_.insert(std::string(id));
    }

    std::mutex mu_;
    std::unordered_map<std::string, Entry> contents_;
    std::set<std::string> changed_;
};

}  // namespace hubfs::cache
