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
#include "fs/hub_path.hpp"
#include "fs/writer.hpp"
#include "fs/fuse/inode_table.hpp"
#include "fs/fuse/kernel_invalidator.hpp"
#include "fs/fuse/local_attrs.hpp"
#include "fs/fuse/parked_requests.hpp"
#include "fs/fuse/pending_read.hpp"
#include "fs/write/staging_area.hpp"
#include "fs/fuse/kernel_dir_cache.hpp"
#include "fs/read/read_ahead.hpp"
#include "fs/common/unique_fd.hpp"

namespace hubfs::fs {

inline constexpr size_t kMaxNameLength = 255;  // NAME_MAX: longer names answer ENAMETOOLONG

struct FsOptions {
    std::optional<RepoSpec> single_repo;      // mount one repository at the root
    std::chrono::seconds revision_ttl{30};
    uid_t uid = 0;
    gid_t gid = 0;
    // Under 1 MiB: libfuse 3.14 splices a reply (disk-cache bytes, fs/fuse/reply_pieces) only if
    // its header, data and a page per buffer fit one pipe, and a process without CAP_SYS_RESOURCE
    // gets pipes of at most /proc/sys/fs/pipe-max-size (1 MiB); else it copies through memory.
    uint32_t max_read = (1u << 20) - (32u << 10);
    uint32_t kernel_readahead = 8u << 20;     // how far the kernel reads ahead (src/hubfs/kernel_readahead.hpp)
    uint64_t cache_limit = 0;                 // for statfs
    std::set<std::string> own_namespaces;     // the token's user and organisations: exist even without repos
};

// What writes need; absent for a read-only mount.
struct WriteSupport {
    StagingArea& staging;
    Writer& writer;
    Committer& committer;
};

class HubFs {
public:
    HubFs(Catalog& catalog, ChunkFetcher& fetcher, cache::Cache& cache, Remote& remote, FsOptions opts,
          std::optional<WriteSupport> writes = std::nullopt);
    static const fuse_lowlevel_ops& operations();  // userdata must be a HubFs*
    // The control areas shown at the root; areas are added before the session starts.
    ControlTree& control_areas() { return control_areas_; }
    // The session, for telling the kernel what changed behind its back (discarded changes).
    void attach_session(fuse_session* se) { invalidator_.attach(se); }
    void detach_session() {
        pending_.abandon_all();  // no reply may reach a session that is gone
        parked_.abandon_all();
        invalidator_.detach();
    }

    // Reads answered when a fetch lands, and metadata requests waiting for the Hub.
    size_t pending_reads() { return pending_.size() + parked_.size(); }
    ParkedRequests& parked_requests() { return parked_; }

    void init(fuse_conn_info* conn);
    void lookup(fuse_req_t req, fuse_ino_t parent, const char* name);
    void forget(fuse_ino_t ino, uint64_t n);
    void getattr(fuse_req_t req, fuse_ino_t ino);
    void opendir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi);
    void readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi, bool plus);
    void releasedir(fuse_req_t req, fuse_file_info* fi);
    void open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi);
    void read(fuse_req_t req, size_t size, off_t off, fuse_file_info* fi);
    void release(fuse_req_t req, fuse_file_info* fi);
    void statfs(fuse_req_t req);
    void getxattr(fuse_req_t req, fuse_ino_t ino, const char* name, size_t size);
    void listxattr(fuse_req_t req, fuse_ino_t ino, size_t size);

    // hubfs_write.cpp
    void create(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, fuse_file_info* fi);
    void write(fuse_req_t req, const char* buf, size_t size, off_t off, fuse_file_info* fi);
    void setattr(fuse_req_t req, fuse_ino_t ino, struct stat* attr, int to_set, fuse_file_info* fi);
    void unlink(fuse_req_t req, fuse_ino_t parent, const char* name);
    void mkdir(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode);
    void rmdir(fuse_req_t req, fuse_ino_t parent, const char* name);
    void rename(fuse_req_t req, fuse_ino_t parent, const char* name, fuse_ino_t newparent, const char* newname,
                unsigned flags);
    void fsync(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi);
    // Symlinks, FIFOs, sockets and devices live in the mount only (StagedFile::special).
    void mknod(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, dev_t rdev);
    void symlink(fuse_req_t req, const char* target, fuse_ino_t parent, const char* name);
    void readlink(fuse_req_t req, fuse_ino_t ino);

private:
    // The halves of operations() (fuse_operations.cpp): reads and metadata, then changes.
    static void add_read_operations(fuse_lowlevel_ops& o);
    static void add_write_operations(fuse_lowlevel_ops& o);
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
    struct DirHandle {
        std::vector<DirEntry> entries;
    };
    struct OpenFile {
        FileSource src;
        UniqueFd staged;            // a staged file: its bytes are read and written here
        BranchPtr branch;           // set for handles open for writing
        std::string blob;
        uint64_t marked_generation = UINT64_MAX;  // commit generation at which writes marked it dirty
        std::atomic<bool> wrote{false};           // changed through this handle since its last seal
        // Who last wrote through it (thread, and its process): a close by another process (a
        // child closing inherited descriptors at exec) does not seal the file mid-write.
        std::atomic<pid_t> writer_thread{0}, writer_process{0};
        std::shared_ptr<const ControlFile> control;  // a control file: it, and what it showed when opened
        std::string control_text;
        std::mutex mutex;
        ReadAhead read_ahead;       // which chunks a reader of this handle gets fetched ahead
        ChunkFetcher::Chunk last_chunk;
        uint64_t last_index = UINT64_MAX;
    };

    View view(const Node& node);
    std::optional<Found> find(const RepoRef& repo, const View& v, const std::string& path);
    Resolved resolve(const Node& node);
    // A repository entry's attributes as the view found it at `rev` (a staged file's from its bytes).
    Resolved resolved(const Node& node, const Revision& rev, const Found& found);
    bool may_write(const Node& node) const;  // the mode bits: a branch of a writable mount
    // The staging of the node's branch, ready for a change (its base set if it had none);
    // throws RemoteError(read_only) for tags, shas, pull requests and read-only mounts.
    BranchPtr writable_branch(const Node& node);
    BranchId branch_id(const Node& node) const;
    std::string attr_key(const Node& node) const;  // the node's key in local_attrs_
    // A folder's entries changed (create, unlink, mkdir, rmdir, rename): its mtime and ctime.
    void touch_folder(const Node& folder);
    // Mode and owner of what a request just made: the mode it asked for, the caller's ids.
    void set_created(fuse_req_t req, const Node& made, mode_t mode);
    // Copies a file's committed bytes into a new staged file.
    // The committed bytes a change starts from, fetched before the branch's gate is taken: a
    // download must not hold up the branch's commits and its other writers. Materialize then
    // copies them from the cache.
    void fetch_base_bytes(const Node& node, const BranchPtr& b);
    std::string materialize(const RepoRef& repo, const Revision& base, const std::string& path, const RemoteEntry& e);
    View branch_view(const BranchPtr& b);  // a branch's base and staged changes
    // Every change through a handle open for writing (write, ftruncate) goes through here: a
    // file committed since the handle last changed it becomes a change again.
    void note_change(fuse_req_t req, OpenFile& f);
    // At close (flush, release) and fsync: records the file's bytes as the ones a commit takes
    // (when the handle changed them, or `always` when the file has no seal yet).
    void seal_written(OpenFile& f, bool always);
    void flush(fuse_req_t req, fuse_file_info* fi);
    // The node a new file `name` of `parent` is (create, mknod, symlink), once the name passes
    // the checks every name made in a repository passes.
    Node new_file_node(const Node& parent, const char* name);
    // A node made whole at once (mknod, symlink): `content` is its bytes (a symlink's target).
    void make_node(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, dev_t rdev, const std::string& content);
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
    ControlFolder area_folder(const Node& node);
    struct stat area_attr(const ControlEntry& entry) const;  // an area's file or folder as stat shows it
    void open_control(fuse_req_t req, const Node& node, fuse_file_info* fi);
    // rm or rmdir in an area's folder: the folder's remove action.
    void remove_in_area(fuse_req_t req, const Node& folder, const std::string& name);
    // A file goes (unlink, replaced by a rename): its inode stops answering to the name, and
    // keeps answering stat with its last attributes while a process holds it open, as on POSIX.
    void remember_removed(const Node& file);
    // Makes the kernel drop what it caches of these paths of a repository node's revision.
    void forget_in_kernel(const Node& repo_node, const std::vector<std::string>& paths);
    std::optional<Node> child(const Node& parent, const std::string& name);
    std::optional<Node> type_dir_child(const Node& parent, const std::string& name);
    std::vector<DirEntry> list(const Node& dir);
    struct stat dir_attr(int64_t mtime) const;
    struct stat file_attr(const RemoteEntry& e, int64_t mtime) const;
    double timeout_for(const Node& node) const;
    fuse_entry_param entry_param(const Node& node, const Resolved& r, bool add_ref);
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
    PendingReads pending_;
    ControlTree control_areas_;
    struct Removed {
        struct stat attr;  // as it was when removed, with no link left
        std::string blob;  // its staged bytes, kept while a writer holds them
    };
    std::mutex removed_mutex_;
    std::map<fuse_ino_t, Removed> removed_;  // inodes of removed files the kernel still holds
    ParkedRequests parked_;  // last member: its threads are joined first, while the rest is alive
};

}  // namespace hubfs::fs
