// What an inode stands for in the mount's namespace.
#pragma once

#include <string>

#include "fs/remote.hpp"

namespace hubfs::fs {

enum class NodeKind {
    root,       // /            (or the repository itself in single-repo mode)
    type_dir,   // /models
    ns_dir,     // /models/<ns>
    repo_dir,   // /models/<ns>/<name>[@<rev>]
    folder,     // a folder inside a repository
    file,       // a file inside a repository
    control,    // a branch's .hubfs-commit
    area_dir,   // a folder of a control area (/discussions/...): path is its path from the root
    area_file,  // a file of a control area
};

inline constexpr const char* kControlFileName = ".hubfs-commit";

struct Node {
    NodeKind kind = NodeKind::root;
    RepoType type = RepoType::model;
    std::string ns;   // ns_dir
    RepoRef repo;     // repo_dir, folder, file
    std::string rev;  // as the user wrote it; "" is the default branch
    std::string path; // inside the repository; "" for repo_dir

    bool in_repo() const {
        return kind == NodeKind::repo_dir || kind == NodeKind::folder || kind == NodeKind::file || kind == NodeKind::control;
    }
    // Removed (or replaced) while the kernel held its inode: it answers to no name any more.
    static constexpr char kDetachedMark = '\x1f';
    bool detached() const { return path.starts_with(kDetachedMark); }
    // Identity: the same key always maps to the same inode while it is known to the kernel.
    std::string key() const;
};

}  // namespace hubfs::fs
