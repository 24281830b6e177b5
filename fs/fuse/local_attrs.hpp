// What the Hub cannot store about a branch's files and folders: modes, owners and times set with
// chmod, chown and utimens, the mode and owner they were created with, and when a folder's
// entries last changed. They live in memory for as long as the mount, so that permissions work
// as on a local disk (the kernel checks them: default_permissions) and `chmod +x run.sh &&
// ./run.sh` runs; a commit does not carry them and the next mount shows 0644 / 0755 again.
#pragma once

#include <sys/stat.h>
#include <time.h>

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace hubfs::fs {

struct LocalAttr {
    std::optional<mode_t> mode;  // permission bits (07777)
    std::optional<uid_t> uid;
    std::optional<gid_t> gid;
    std::optional<timespec> atime, mtime, ctime;

    // Lays what is set over attributes the mount computed (the file type is kept).
    void apply(struct stat& st) const {
        if (mode) st.st_mode = (st.st_mode & S_IFMT) | *mode;
        if (uid) st.st_uid = *uid;
        if (gid) st.st_gid = *gid;
        if (atime) st.st_atim = *atime;
        if (mtime) st.st_mtim = *mtime;
        if (ctime) st.st_ctim = *ctime;
    }
};

class LocalAttrs {
public:
    // Keys are a branch and a path ("models/ns/name@main/" + path), as HubFs makes them.
    std::optional<LocalAttr> get(const std::string& key) const {
        std::lock_guard lock(mutex_);
        auto it = attrs_.find(key);
        return it == attrs_.end() ? std::nullopt : std::optional(it->second);
    }
    void update(const std::string& key, const std::function<void(LocalAttr&)>& change) {
        std::lock_guard lock(mutex_);
        change(attrs_[key]);
    }
    // A removal: the entry and, for a folder, everything below it.
    void erase(const std::string& key) {
        std::lock_guard lock(mutex_);
        attrs_.erase(key);
        for (auto it = attrs_.lower_bound(key + "/"); it != attrs_.end() && it->first.starts_with(key + "/");)
            it = attrs_.erase(it);
    }
    // A rename: the entry and everything below it move along; what was at `to` goes.
    void move(const std::string& from, const std::string& to) {
        std::lock_guard lock(mutex_);
        std::map<std::string, LocalAttr> moved;
        for (auto it = attrs_.lower_bound(from); it != attrs_.end();) {
            if (it->first != from && !it->first.starts_with(from + "/")) break;
            moved[to + it->first.substr(from.size())] = it->second;
            it = attrs_.erase(it);
        }
        attrs_.erase(to);
        for (auto it = attrs_.lower_bound(to + "/"); it != attrs_.end() && it->first.starts_with(to + "/");)
            it = attrs_.erase(it);
        attrs_.merge(moved);
    }

private:
    mutable std::mutex mutex_;
    std::map<std::string, LocalAttr> attrs_;
};

inline timespec now_timespec() {
    timespec t{};
    ::clock_gettime(CLOCK_REALTIME, &t);
    return t;
}

}  // namespace hubfs::fs
