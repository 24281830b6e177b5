// Control files: files and folders of the mount that are not a repository's bytes but a view of,
// and a handle on, the Hub's other state (a branch's .hubfs-commit; the discussions, Spaces, Jobs
// and Endpoints areas). A file renders its text when opened for reading (live: rendered again at
// every open) and acts on what is written to it: a write is one action, and its errno is the
// action's outcome. A folder lists names and finds a child by name.
//
// They are plain values built from functions, so that an area is one small unit that composes
// them (see control_tree.hpp for how an area is registered and found).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace hubfs::fs {

struct ControlFile {
    mode_t mode = 0644;                              // permission bits shown by stat
    std::function<std::string()> render;             // unset: write-only (reading is EACCES)
    std::function<void(std::string_view)> act;       // unset: read-only (writing is EACCES)
    std::function<void()> check_write;               // at open for writing: refuses before any byte
    // A file that grows while it is open (a job's logs): read where the reader is, not a text
    // rendered at open, and stat shows its current length (so `tail -f` sees it grow).
    std::function<std::string(uint64_t offset, size_t size)> read_at;
    std::function<uint64_t()> size;
    std::function<void()> prepare_read;  // at open for reading, before any read_at: may wait for the Hub
};

struct ControlFolder;
using ControlEntry = std::variant<ControlFile, ControlFolder>;

struct ControlFolder {
    mode_t mode = 0755;
    std::function<std::vector<std::string>()> names;                         // what `ls` shows
    std::function<std::optional<ControlEntry>(const std::string&)> child;    // nullopt: ENOENT
    std::function<void(const std::string&)> remove;                          // rm; unset: EPERM
    // Asked only when this folder is the entry looked up: not when a path passes through it
    // (the kernel looked it up first), nor when its parent lists it. Unset: it exists.
    std::function<bool()> exists;
};

}  // namespace hubfs::fs
