// The pending changes of one branch over the commit they were based on, and the view of the
// branch they make: what exists, what was deleted, what a folder lists. Plain data: the
// staging area (staging_area.hpp) persists it and guards it with locks.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>

#include "fs/remote.hpp"

namespace hubfs::fs {

struct BranchId {
    RepoRef repo;
    std::string branch;
    std::string key() const { return repo.key() + "@" + branch; }
    bool operator==(const BranchId&) const = default;
};

// A staged file's bytes as of its last close or fsync: a commit takes a file only as sealed (never
// mid-write), and recovery after a crash commits only bytes that still match their seal.
struct Seal {
    uint64_t size = 0;
    uint64_t xxh3 = 0;
    // The sha256 (hex) of the same bytes when it was computed as they were written (running_hash.hpp),
    // else "": the commit then hashes the file. Journaled with the seal; bytes that still match
    // size and XXH3 (checked after a crash) still have it.
    std::string sha256 = {};
    // The same bytes: a measured seal (no sha256) equals the written one.
    bool operator==(const Seal& o) const { return size == o.size && xxh3 == o.xxh3; }
};

struct StagedFile {
    std::string blob;       // staged bytes: a file of the staging area; empty for a copy
    std::string copy_from;  // or: the path of an LFS file at the base commit, referenced again
    RemoteEntry source;     // the copied entry (size, oid, LFS sha256)
    bool dirty = true;      // false once committed while a writer still holds it open
    std::optional<Seal> seal = std::nullopt;  // unset while being written for the first time, or torn by a crash
    // A node the Hub cannot hold (S_IFIFO, S_IFSOCK, S_IFCHR, S_IFBLK or S_IFLNK; 0 for a regular
    // file): it lives in the mount only and is never committed. A symlink's blob holds its target.
    uint32_t special = 0;
    uint64_t rdev = 0;  // a device's number
    bool is_copy() const { return blob.empty(); }
    bool ready() const { return is_copy() || seal.has_value(); }  // a commit may take it
};

struct StagedBranch {
    BranchId id;
    Revision base;                            // the commit the changes apply to
    std::map<std::string, StagedFile> files;  // path -> new content
    std::map<std::string, bool> deleted;      // path at base -> whether it is a folder
    std::set<std::string> dirs;               // made by mkdir; the Hub keeps no empty folders
    std::string message, description;         // for the next commit (control file)
    std::string owner;                        // the Hub user who staged them ("" before hubfs kept it)

    bool has_changes() const;                 // anything a commit would send
    // Nothing staged at all (not even committed files still open, or mkdir'd folders).
    bool empty() const { return files.empty() && deleted.empty() && dirs.empty(); }
    // Staged files or deletions apply to `base`, so the branch shows `base` below them; folders
    // alone (kept because the Hub stores no empty folder) lie over whatever the branch resolves to.
    bool pins_base() const { return !files.empty() || !deleted.empty(); }
    // The path or one of its parent folders was deleted: the base's entry is hidden.
    bool hides(const std::string& path) const;
    const StagedFile* file(const std::string& path) const;
    // A folder made by mkdir or implied by a staged file below it.
    bool is_staged_dir(const std::string& path) const;
    // Direct children of a folder that exist only through staging: name -> is a folder.
    std::map<std::string, bool> staged_children(const std::string& dir) const;
    size_t change_count() const;
};

// "a/b" + "c" -> "a/b/c"; "" + "c" -> "c".
std::string join_path(const std::string& dir, const std::string& name);
// True when path is inside folder (not equal to it); "" contains everything.
bool is_under(const std::string& path, const std::string& folder);

}  // namespace hubfs::fs
