// Inode numbers for nodes, with the kernel's lookup counts (FUSE forget semantics).
#pragma once

#define FUSE_USE_VERSION 35
#include <fuse_lowlevel.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "fs/fuse/node.hpp"

namespace hubfs::fs {

class InodeTable {
public:
    explicit InodeTable(Node root);

    // Returns the node's inode and adds one kernel reference (a lookup).
    fuse_ino_t ref(const Node& node);
    // The inode a node would have, without adding a reference (0 if unknown).
    fuse_ino_t peek(const Node& node) const;
    std::shared_ptr<const Node> get(fuse_ino_t ino) const;
    void forget(fuse_ino_t ino, uint64_t n);
    // The node is gone (unlink, rmdir, replaced by a rename): its inode, if the kernel still
    // holds it, no longer answers to the name, so a new file there gets a new inode.
    void detach(const Node& node);
    // A rename: nodes at `from` or below it (same repository and revision) move to `to`.
    void rename(const RepoRef& repo, const std::string& rev, const std::string& from, const std::string& to);
    size_t size() const;

private:
    void detach_locked(const std::string& key);
    struct Entry {
        std::shared_ptr<const Node> node;
        uint64_t lookups = 0;
    };
    mutable std::mutex mutex_;
    std::unordered_map<fuse_ino_t, Entry> by_ino_;
    std::unordered_map<std::string, fuse_ino_t> by_key_;
    fuse_ino_t next_ = FUSE_ROOT_ID + 1;
};

}  // namespace hubfs::fs
