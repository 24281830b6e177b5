// Files that stay local: the scratch files editors and tools make next to the files a user
// edits (vim swap files, emacs autosaves, backups, Finder metadata, temp files of an atomic
// save), the folders the Hub refuses (a `.git` or `.cache` path segment), and the nodes it cannot
// hold (symlinks, FIFOs, sockets, devices: StagedFile::special). They are staged
// and shown in the mount like any file, but a commit never carries them and an fsync of one
// never makes a commit.
//
// A pattern is an fnmatch(3) glob matched against every segment of a path (so `.git` covers a
// whole folder); a pattern with a `/` is matched against the path itself and its parent folders.
#pragma once

#include <string>
#include <vector>

#include "fs/write/staged_branch.hpp"

namespace hubfs::fs {

class ScratchFiles {
public:
    // vim, emacs, backups, macOS metadata, Python's tempfile names, *.tmp, __pycache__.
    static const std::vector<std::string>& default_patterns();

    ScratchFiles() : ScratchFiles(default_patterns()) {}
    explicit ScratchFiles(std::vector<std::string> patterns);

    // Why a repository path stays local ("" when it is committed like any file).
    std::string reason(const std::string& path) const;
    bool matches(const std::string& path) const { return !reason(path).empty(); }
    // Why a staged entry stays local: its path, or a kind of node the Hub cannot hold.
    std::string reason(const std::string& path, const StagedFile& f) const;
    const std::vector<std::string>& patterns() const { return patterns_; }

    // The changes a commit of the branch carries: without staged files and mkdir'd folders
    // that stay local. Deletions are kept: removing a committed file is a change either way.
    StagedBranch committable(const StagedBranch& changes) const;
    size_t committable_count(const StagedBranch& changes) const;
    bool has_committable(const StagedBranch& changes) const { return committable_count(changes) > 0; }

private:
    std::vector<std::string> patterns_;
};

}  // namespace hubfs::fs
