// The executable bits chmod sets on files of a branch. The Hub keeps no modes, so they live in
// memory for as long as the mount, only so that `chmod +x run.sh && ./run.sh` works; a commit
// does not carry them and the next mount shows 0644 again.
#pragma once

#include <mutex>
#include <set>
#include <string>

namespace hubfs::fs {

class ExecBits {
public:
    // key: the branch and path of a file, as HubFs makes it.
    void set(const std::string& key, bool executable) {
        std::lock_guard lock(mutex_);
        if (executable) keys_.insert(key);
        else keys_.erase(key);
    }
    bool has(const std::string& key) const {
        std::lock_guard lock(mutex_);
        return keys_.count(key) > 0;
    }

private:
    mutable std::mutex mutex_;
    std::set<std::string> keys_;
};

}  // namespace hubfs::fs
