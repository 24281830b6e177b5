// The filesystem: FUSE low-level operations over the catalog (metadata), the chunk fetcher
// (bytes) and, for branches, the staging area (writes) and the committer. Read operations are
// in hubfs.cpp, writes in hubfs_write.cpp, the control file in control_file.cpp.
#pragma once

#define FUSE_USE_VERSION 35
#include <fuse_lowlevel.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "fs/read/catalog.hpp"
#include "fs/read/chunk_fetcher.hpp"
#include "fs/write/committer.hpp"
#include "fs/control/control_tree.hpp"
#include "fs/fuse/deferred_syncs.hpp"
#include "fs/fuse/fs_options.hpp"
#include "fs/hub_path.hpp"
#include "fs/writer.hpp"
#include "fs/fuse/inode_table.hpp"
#include "fs/fuse/kernel_invalidator.hpp"
#include "fs/fuse/local_attrs.hpp"
#include "fs/fuse/open_file.hpp"
#include "fs/fuse/parked_requests.hpp"
#include "fs/fuse/pending_read.hpp"
#include "fs/fuse/request.hpp"
#include "fs/fuse/resolver.hpp"
#include "fs/write/staging_area.hpp"
#include "fs/fuse/kernel_dir_cache.hpp"
#include "fs/fuse/passthrough.hpp"
#include "fs/read/read_ahead.hpp"
#include "fs/common/unique_fd.hpp"

namespace hubfs::fs {

inline constexpr size_t kMaxNameLength = 255;  // NAME_MAX: longer names answer ENAMETOOLONG

class HubFs {
public:
    HubFs(Catalog& catalog, ChunkFetcher& fetcher, cache::Cache& cache, Remote& remote, FsOptions opts,
          std::optional<WriteSupport> writes = std::nullopt);
    static const fuse_lowlevel_ops& operations();  // userdata must be a HubFs*
    // The control areas shown at the root; areas are added before the session starts.
    ControlTree& control_areas() { return control_areas_; }
    // The session, for telling the kernel what changed behind its back (discarded changes).
    void attach_session(fuse_session* se) { invalidator_.attach(se); }
    // Hooks for fuse_session_custom_io (userdata a HubFs*): they let passthrough_ see requests
    // and replies (passthrough.hpp). The session's /dev/fuse registers backing files.
    static fuse_custom_io custom_io();
    void set_fuse_device(int fd) { passthrough_.set_device(fd); }
    void detach_session() {
        pending_.abandon_all();  // no reply may reach a session that is gone
        parked_.abandon_all();
        invalidator_.detach();
    }

    // Reads answered when a fetch lands, and metadata requests waiting for the Hub.
    size_t pending_reads() { return pending_.size() + parked_.size(); }
    ParkedRequests& parked_requests() { return parked_; }

    void init(fuse_conn_info* conn);
    void lookup(Request& req, fuse_ino_t parent, const char* name);
    void forget(fuse_ino_t ino, uint64_t n);
    void getattr(Request& req, fuse_ino_t ino);
    void opendir(Request& req, fuse_ino_t ino, fuse_file_info* fi);
    void readdir(Request& req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi, bool plus);
    void releasedir(Request& req, fuse_file_info* fi);
    void open(Request& req, fuse_ino_t ino, fuse_file_info* fi);
    // Answers an open of `ino` with handle fi->fh: through the disk cache's blob file (FUSE
    // passthrough) when `backing` holds all of `content`, else as a plain open.
    void reply_open(Request& req, fuse_ino_t ino, fuse_file_info* fi, const std::string& content,
                   const std::shared_ptr<const cache::BlobFile>& backing);
    void read(Request& req, size_t size, off_t off, fuse_file_info* fi);
    void release(Request& req, fuse_file_info* fi);
    void statfs(Request& req);
    void getxattr(Request& req, fuse_ino_t ino, const char* name, size_t size);
    void listxattr(Request& req, fuse_ino_t ino, size_t size);

    // hubfs_write.cpp
    void create(Request& req, fuse_ino_t parent, const char* name, mode_t mode, fuse_file_info* fi);
    void write(Request& req, const char* buf, size_t size, off_t off, fuse_file_info* fi);
    void setattr(Request& req, fuse_ino_t ino, struct stat* attr, int to_set, fuse_file_info* fi);
    void unlink(Request& req, fuse_ino_t parent, const char* name);
    void mkdir(Request& req, fuse_ino_t parent, const char* name, mode_t mode);
    void rmdir(Request& req, fuse_ino_t parent, const char* name);
    void rename(Request& req, fuse_ino_t parent, const char* name, fuse_ino_t newparent, const char* newname,
                unsigned flags);
    void fsync(Request& req, fuse_ino_t ino, fuse_file_info* fi);
    // Symlinks, FIFOs, sockets and devices live in the mount only (StagedFile::special).
    void mknod(Request& req, fuse_ino_t parent, const char* name, mode_t mode, dev_t rdev);
    void symlink(Request& req, const char* target, fuse_ino_t parent, const char* name);
    void readlink(Request& req, fuse_ino_t ino);

private:
    // The halves of operations() (fuse_operations.cpp): reads and metadata, then changes.
    static void add_read_operations(fuse_lowlevel_ops& o);
    static void add_write_operations(fuse_lowlevel_ops& o);
    using BranchPtr = std::shared_ptr<StagingArea::Branch>;
    // A read of a staged or control file: from its bytes or its text, never the Hub.
    void read_local(Request& req, OpenFile& f, size_t size, off_t off);
    // Frees an open file's handle (release, or an open the kernel did not take): its errno or 0.
    int close_handle(fuse_file_info* fi);
    // Path and attribute resolution is the Resolver's (resolver.hpp): handlers call resolver_.
    using View = Resolver::View;
    using Found = Resolver::Found;
    using Resolved = Resolver::Resolved;
    using DirEntry = Resolver::DirEntry;

    struct DirHandle {
        std::vector<DirEntry> entries;
    };

    // The staging of the node's branch, ready for a change (its base set if it had none);
    // throws RemoteError(read_only) for tags, shas, pull requests and read-only mounts.
    BranchPtr writable_branch(const Node& node);
    // A folder's entries changed (create, unlink, mkdir, rmdir, rename): its mtime and ctime.
    void touch_folder(const Node& folder);
    // Mode and owner of what a request just made: the mode it asked for, the caller's ids.
    void set_created(Request& req, const Node& made, mode_t mode);
    // Copies a file's committed bytes into a new staged file.
    // The committed bytes a change starts from, fetched before the branch's gate is taken: a
    // download must not hold up the branch's commits and its other writers. Materialize then
    // copies them from the cache.
    void fetch_base_bytes(const Node& node, const BranchPtr& b);
    std::string materialize(const RepoRef& repo, const Revision& base, const std::string& path, const RemoteEntry& e);
    View branch_view(const BranchPtr& b);  // a branch's base and staged changes
    // Every change through a handle open for writing (write, ftruncate) goes through here: a
    // file committed since the handle last changed it becomes a change again.
    void note_change(Request& req, StagedHandle& f);
    // At close (flush, release) and fsync: records the file's bytes as the ones a commit takes
    // (when the handle changed them, or `always` when the file has no seal yet).
    void seal_written(StagedHandle& f, bool always);
    // After a commit of `b`: the staged file `blob` still holds bytes the Hub lacks.
    bool holds_uncommitted(const BranchPtr& b, const std::string& blob);
    void flush(Request& req, fuse_file_info* fi);
    // The node a new file `name` of `parent` is (create, mknod, symlink), once the name passes
    // the checks every name made in a repository passes.
    Node new_file_node(const Node& parent, const char* name);
    // A node made whole at once (mknod, symlink): `content` is its bytes (a symlink's target).
    void make_node(Request& req, fuse_ino_t parent, const char* name, mode_t mode, dev_t rdev, const std::string& content);
    // Stages the bytes `path` will have when opened for writing (the caller holds the gate),
    // returns the staged file; a writer is counted until its handle is released.
    std::string stage_for_write(const Node& node, const BranchPtr& b, bool truncate, bool as_writer);
    // A rename as one journal transaction; replaces_folder: `to` is an empty folder it replaces.
    void stage_move(const Node& from_node, const BranchPtr& b, const std::string& from, const std::string& to,
                    bool replaces_folder);
    void stage_remove(const RepoRef& repo, const BranchPtr& b, const std::string& path, bool folder);
    // Whether removing path deletes something of the branch's base commit.
    bool in_base(const RepoRef& repo, const BranchPtr& b, const std::string& path, bool folder);
    // The staging side of a removal; the caller holds the branch's mutex.
    void apply_remove(StagingArea::Branch& b, const std::string& path, bool folder, bool in_base);
    std::vector<std::string> files_under(const RepoRef& repo, const View& v, const std::string& dir);
    // The control file (.hubfs-commit): its text, and a command written to it.
    std::string control_text(const Node& node);
    void control_command(const Node& node, const std::string& line);
    // A control node as the framework's file or folder (control/control_entry.hpp): the
    // branch's .hubfs-commit, or an entry of an area; throws ENOENT when it is gone.
    ControlFile control_file(const Node& node);
    void open_control(Request& req, const Node& node, fuse_file_info* fi);
    // rm or rmdir in an area's folder: the folder's remove action.
    void remove_in_area(Request& req, const Node& folder, const std::string& name);
    // A file goes (unlink, replaced by a rename): its inode stops answering to the name, and
    // keeps answering stat with its last attributes while a process holds it open, as on POSIX.
    void remember_removed(const Node& file);
    // Makes the kernel drop what it caches of these paths of a repository node's revision.
    void forget_in_kernel(const Node& repo_node, const std::vector<std::string>& paths);
    std::map<std::string, std::string> xattrs(const Node& node);

    Catalog& catalog_;
    ChunkFetcher& fetcher_;
    cache::Cache& cache_;
    Remote& remote_;
    FsOptions opts_;
    InodeTable inodes_;
    int64_t mount_time_;
    std::mutex kept_mutex_;
    std::map<fuse_ino_t, std::string> kept_content_;  // content id each inode's page cache holds
    KernelDirCache kept_listings_;                    // which folders' listings the kernel may keep
    std::optional<WriteSupport> writes_;
    DeferredSyncs deferred_syncs_;  // scratch files fsync'd without a commit
    LocalAttrs local_attrs_;        // modes, owners, times: kept for this mount only
    KernelInvalidator invalidator_;
    Passthrough passthrough_;
    std::atomic<bool> splice_replies_{false};  // disk-cache bytes reach the kernel spliced (set by init)
    PendingReads pending_;
    PieceFetcher pieces_;  // lone reads' pages (after pending_: its last answers go through it)
    ControlTree control_areas_;
    Resolver resolver_;  // over the members above
    struct Removed {
        struct stat attr;  // as it was when removed, with no link left
        std::string blob;  // its staged bytes, kept while a writer holds them
    };
    std::mutex removed_mutex_;
    std::map<fuse_ino_t, Removed> removed_;  // inodes of removed files the kernel still holds
    ParkedRequests parked_;  // last member: its threads are joined first, while the rest is alive
};

}  // namespace hubfs::fs
