// Path and attribute resolution: which node a name in a folder is (child), what a folder lists
// (list), which revision a repository node shows (view: a branch's staged changes over their
// base), an entry of it (find), a node's attributes (resolve, resolved, the *_attr helpers), its
// mode bits (may_write) and cache timeouts. HubFs's handlers (hubfs.cpp, hubfs_write.cpp,
// control_file.cpp) ask it; nothing here replies to a request.
#pragma once

#define FUSE_USE_VERSION 35
#include <fuse_lowlevel.h>
#include <sys/stat.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fs/control/control_tree.hpp"
#include "fs/fuse/fs_options.hpp"
#include "fs/fuse/inode_table.hpp"
#include "fs/fuse/local_attrs.hpp"
#include "fs/fuse/node.hpp"
#include "fs/read/catalog.hpp"

namespace hubfs::fs {

class Resolver {
public:
    using BranchPtr = std::shared_ptr<StagingArea::Branch>;
    // The revision a repository node shows: a branch with staged changes shows them over their
    // base commit; anything else shows what its revision resolves to.
    struct View {
        Revision rev;
        BranchPtr branch;  // set when staged changes apply
    };
    // An entry of a repository as the view has it.
    struct Found {
        RemoteEntry entry;
        std::string blob;       // staged bytes ("" for the base's or a copy's)
        std::string copy_from;  // a staged copy: the base path of its bytes
        bool staged = false;
        uint32_t special = 0;   // a local symlink, FIFO, socket or device (StagedFile::special)
        uint64_t rdev = 0;
    };
    struct Resolved {  // a node with its current attributes
        struct stat attr {};
        std::optional<Revision> rev;
        std::optional<RemoteEntry> entry;  // files and folders in a repository
        std::string blob;                  // a staged file's bytes
        std::string copy_from;             // a staged copy: the base path of its bytes
    };
    struct DirEntry {
        std::string name;
        Node node;
        Resolved resolved;
    };

    // Holds references: they outlive it (all are HubFs's members).
    Resolver(Catalog& catalog, const FsOptions& opts, const std::optional<WriteSupport>& writes, InodeTable& inodes,
             LocalAttrs& local_attrs, ControlTree& control_areas, const int64_t& mount_time)
        : catalog_(catalog), opts_(opts), writes_(writes), inodes_(inodes), local_attrs_(local_attrs),
          control_areas_(control_areas), mount_time_(mount_time) {}

    View view(const Node& node);
    std::optional<Found> find(const RepoRef& repo, const View& v, const std::string& path);
    Resolved resolve(const Node& node);
    // A repository entry's attributes as the view found it at `rev` (a staged file's from its bytes).
    Resolved resolved(const Node& node, const Revision& rev, const Found& found);
    bool may_write(const Node& node) const;  // the mode bits: a branch of a writable mount
    BranchId branch_id(const Node& node) const;
    std::string attr_key(const Node& node) const;  // the node's key in local_attrs_
    // An area's folder as the framework's (control/control_entry.hpp); throws ENOENT when gone.
    ControlFolder area_folder(const Node& node);
    struct stat area_attr(const ControlEntry& entry) const;  // an area's file or folder as stat shows it
    std::optional<Node> child(const Node& parent, const std::string& name);
    std::optional<Node> type_dir_child(const Node& parent, const std::string& name);
    std::vector<DirEntry> list(const Node& dir);
    struct stat dir_attr(int64_t mtime) const;
    struct stat file_attr(const RemoteEntry& e, int64_t mtime) const;
    double timeout_for(const Node& node) const;
    fuse_entry_param entry_param(const Node& node, const Resolved& r, bool add_ref);

private:
    Catalog& catalog_;
    const FsOptions& opts_;
    const std::optional<WriteSupport>& writes_;
    InodeTable& inodes_;
    LocalAttrs& local_attrs_;
    ControlTree& control_areas_;
    const int64_t& mount_time_;
};

}  // namespace hubfs::fs
