#include "fs/fuse/inode_table.hpp"

#include <vector>

namespace hubfs::fs {

std::string Node::key() const {
    // Fields are separated by a byte that cannot appear in names.
    const char sep = '\x1f';
    return std::to_string(static_cast<int>(kind)) + sep + type_plural(type) + sep + ns + sep + repo.key() + sep + rev +
           sep + path;
}

InodeTable::InodeTable(Node root) {
    auto node = std::make_shared<const Node>(std::move(root));
    by_key_[node->key()] = FUSE_ROOT_ID;
    by_ino_[FUSE_ROOT_ID] = Entry{node, 1};  // the root is never forgotten
}

fuse_ino_t InodeTable::ref(const Node& node) {
    std::string k = node.key();
    std::lock_guard lock(mutex_);
    auto it = by_key_.find(k);
    if (it != by_key_.end()) {
        ++by_ino_[it->second].lookups;
        return it->second;
    }
    fuse_ino_t ino = next_++;
    by_key_.emplace(std::move(k), ino);
    by_ino_.emplace(ino, Entry{std::make_shared<const Node>(node), 1});
    return ino;
}

fuse_ino_t InodeTable::peek(const Node& node) const {
    std::lock_guard lock(mutex_);
    auto it = by_key_.find(node.key());
    return it == by_key_.end() ? 0 : it->second;
}

std::shared_ptr<const Node> InodeTable::get(fuse_ino_t ino) const {
    std::lock_guard lock(mutex_);
    auto it = by_ino_.find(ino);
    return it == by_ino_.end() ? nullptr : it->second.node;
}

void InodeTable::forget(fuse_ino_t ino, uint64_t n) {
    if (ino == FUSE_ROOT_ID) return;
    std::lock_guard lock(mutex_);
    auto it = by_ino_.find(ino);
    if (it == by_ino_.end()) return;
    if (it->second.lookups > n) {
        it->second.lookups -= n;
        return;
    }
    by_key_.erase(it->second.node->key());
    by_ino_.erase(it);
}

void InodeTable::detach_locked(const std::string& key) {
    auto it = by_key_.find(key);
    if (it == by_key_.end()) return;
    fuse_ino_t ino = it->second;
    by_key_.erase(it);
    auto& entry = by_ino_[ino];
    Node gone = *entry.node;
    gone.path = std::string(1, Node::kDetachedMark) + "detached" + std::to_string(ino);  // a key nothing else can have
    entry.node = std::make_shared<const Node>(gone);
    by_key_[gone.key()] = ino;
}

void InodeTable::detach(const Node& node) {
    std::lock_guard lock(mutex_);
    detach_locked(node.key());
}

void InodeTable::rename(const RepoRef& repo, const std::string& rev, const std::string& from, const std::string& to) {
    std::lock_guard lock(mutex_);
    std::vector<std::pair<fuse_ino_t, Node>> moved;
    for (const auto& [ino, entry] : by_ino_) {
        const Node& n = *entry.node;
        if (!n.in_repo() || n.repo != repo || n.rev != rev) continue;
        if (n.path != from && !(n.path.size() > from.size() && n.path.starts_with(from) && n.path[from.size()] == '/'))
            continue;
        Node m = n;
        m.path = to + n.path.substr(from.size());
        moved.emplace_back(ino, std::move(m));
    }
    for (auto& [ino, node] : moved) {
        by_key_.erase(by_ino_[ino].node->key());
        detach_locked(node.key());  // whatever was at the destination
        by_key_[node.key()] = ino;
        by_ino_[ino].node = std::make_shared<const Node>(std::move(node));
    }
}

size_t InodeTable::size() const {
    std::lock_guard lock(mutex_);
    return by_ino_.size();
}

}  // namespace hubfs::fs
