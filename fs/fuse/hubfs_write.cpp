// HubFs's write operations: every change lands in the staging area of the node's branch, and
// fsync commits the branch (committer.hpp). Tags, commit shas, pull requests and read-only
// mounts answer EROFS.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <system_error>

#include "fs/common/log.hpp"
#include "fs/common/write_all.hpp"
#include "fs/errno_map.hpp"
#include "fs/network_wait.hpp"
#include "fs/fuse/hubfs.hpp"

namespace hubfs::fs {
namespace {

// Names the Hub would refuse in a commit are refused when made, so one never blocks the rest
// of a commit. (A `.git` or `.cache` folder is allowed: it stays local, scratch_files.hpp.)
void check_name(const char* name) {
    if (std::strlen(name) > kMaxNameLength) throw FsError(ENAMETOOLONG, std::string("name too long: ") + name);
    if (std::strchr(name, '\\')) {
        HUBFS_LOG(warn, "refused the name '%s': the Hub refuses a backslash in a path", name);
        throw FsError(EINVAL, std::string("a backslash in a name: ") + name);
    }
}

// The process of a thread: the kernel names the calling thread in a FUSE request.
pid_t process_of(pid_t thread) {
    std::ifstream in("/proc/" + std::to_string(thread) + "/status");
    std::string line;
    while (std::getline(in, line))
        if (line.starts_with("Tgid:")) return static_cast<pid_t>(std::atol(line.c_str() + 5));
    return thread;
}

}  // namespace

HubFs::View HubFs::branch_view(const BranchPtr& b) {
    std::lock_guard lock(b->mutex);
    return View{b->changes.base, b};
}

void HubFs::note_change(Request& req, StagedHandle& f) {
    pid_t thread = req.ctx()->pid;
    if (f.writer_thread.exchange(thread) != thread) f.writer_process = process_of(thread);
    f.wrote = true;
    StagingArea::Branch& b = *f.branch;
    std::lock_guard lock(b.mutex);
    if (f.marked_generation == b.generation) return;
    // Committed since this handle last changed it: the file is a change again.
    writes_->staging.mark_dirty(b, writes_->staging.path_of(b, f.blob));
    f.marked_generation = b.generation;
}

void HubFs::seal_written(StagedHandle& f, bool always) {
    if (!f.branch) return;
    StagingArea::Branch& b = *f.branch;
    if (!f.wrote.exchange(false)) {
        if (!always) return;
        std::lock_guard lock(b.mutex);
        auto it = b.changes.files.find(writes_->staging.path_of(b, f.blob));
        if (it == b.changes.files.end() || it->second.seal) return;
    }
    Seal s = writes_->staging.seal_of(f.blob);
    std::lock_guard lock(b.mutex);
    writes_->staging.seal(b, f.blob, s);
}

void HubFs::flush(Request& req, fuse_file_info* fi) {
    try {
        auto* f = std::get_if<StagedHandle>(&open_file(fi));
        pid_t thread = req.ctx()->pid;
        if (f && f->wrote && (thread == f->writer_thread || process_of(thread) == f->writer_process)) seal_written(*f, false);
        req.err(0);
    } catch (...) {
        req.err(errno_from_current_exception("flush"));
    }
}

HubFs::BranchPtr HubFs::writable_branch(const Node& node) {
    if (!writes_) throw FsError(EROFS, "the mount is read-only (--read-only)");
    if (!node.in_repo()) throw FsError(EPERM, "only repositories hold files");
    auto pr = pull_request_number(node.rev);
    if (is_commit_sha(node.rev) || (node.rev.starts_with("refs/") && !pr))
        throw FsError(EROFS, node.repo.key() + "@" + node.rev + " is a commit or a ref: read-only");
    if (pr && !writes_->writer.may_write_pull_request(node.repo, *pr, writes_->committer.identity()))
        throw FsError(EROFS, node.repo.key() + " pull request #" + std::to_string(*pr) +
                                 " is closed, merged, or someone else's: read-only");
    if (!pr && !writes_->writer.may_write(node.repo))
        throw FsError(EACCES, "the token of " + writes_->committer.identity() + " may not write to " + node.repo.key());
    BranchId id = resolver_.branch_id(node);
    auto b = writes_->staging.find(id);
    if (!b && !pr && !writes_->writer.is_branch(node.repo, id.branch, Writer::Lookup::retry_failure))
        throw FsError(EROFS, node.repo.key() + "@" + id.branch + " is not a branch (a tag?): read-only");
    Revision now = catalog_.resolve(node.repo, node.rev);
    b = writes_->staging.get(id, now);
    std::lock_guard lock(b->mutex);
    StagedBranch& c = b->changes;
    // Nothing staged over the base: new changes apply to what the branch shows now, staged by
    // this mount's user.
    const std::string& me = writes_->committer.identity();
    if (!c.pins_base() && (c.base.commit != now.commit || c.owner != me)) {
        c.base = now;
        c.owner = me;
        writes_->staging.save_header(*b);
    }
    if (writes_->committer.held(c) && node.kind != NodeKind::control)  // the control file shows them, discards them
        throw FsError(EACCES, id.key() + " holds changes staged by " + c.owner + ", which this mount never commits");
    return b;
}

Node HubFs::new_file_node(const Node& parent, const char* name) {
    check_name(name);
    if (parent.kind != NodeKind::repo_dir && parent.kind != NodeKind::folder) throw FsError(EPERM, "files live in repositories");
    if (parent.kind == NodeKind::repo_dir && name == std::string(kControlFileName)) throw FsError(EEXIST, "control file");
    Node n = parent;
    n.kind = NodeKind::file;
    n.path = join_path(parent.path, name);
    return n;
}

void HubFs::create(Request& req, fuse_ino_t parent, const char* name, mode_t mode, fuse_file_info* fi) {
    auto p = inodes_.get(parent);
    if (!p) return (void)req.err(ENOENT);
    try {
        Node n = new_file_node(*p, name);
        auto b = writable_branch(*p);
        auto handle = std::make_unique<OpenFile>();
        auto* f = &handle->emplace<StagedHandle>();
        bool made = false;
        {
            std::shared_lock gate(b->gate);
            auto existing = resolver_.find(p->repo, branch_view(b), n.path);
            made = !existing;
            if (existing && existing->entry.is_dir) throw FsError(EISDIR, n.path + " is a folder");
            if (existing && (fi->flags & O_EXCL)) throw FsError(EEXIST, n.path + " exists");
            std::string blob = writes_->staging.new_blob();
            std::lock_guard lock(b->mutex);
            writes_->staging.put_file(*b, n.path, StagedFile{blob, {}, {}, true, {}});
            ++b->writers[blob];
            f->blob = blob;
            f->branch = b;
            f->marked_generation = b->generation;
        }
        f->fd.reset(::open(writes_->staging.blob_path(f->blob).c_str(), O_RDWR | O_CLOEXEC));
        if (!f->fd) fail_errno("open staged file");
        if (made) {
            set_created(req, n, mode);
            touch_folder(*p);
        }
        Resolved r = resolver_.resolve(n);
        fuse_entry_param e = resolver_.entry_param(n, r, true);
        {
            std::lock_guard lock(kept_mutex_);
            kept_content_[e.ino] = "staged:" + f->blob;
        }
        fi->keep_cache = 0;
        fi->fh = reinterpret_cast<uint64_t>(handle.release());
        if (auto grant = passthrough_.decide(e.ino, fi->fh, "", -1)) fi->direct_io = true;  // O_CREAT of an open file
        if (req.create(&e, fi) != 0) {
            inodes_.forget(e.ino, 1);
            close_handle(fi);
        }
    } catch (...) {
        req.err(errno_from_current_exception(std::string("create ") + name));
    }
}

void HubFs::make_node(Request& req, fuse_ino_t parent, const char* name, mode_t mode, dev_t rdev,
                      const std::string& content) {
    auto p = inodes_.get(parent);
    if (!p) return (void)req.err(ENOENT);
    Node n = new_file_node(*p, name);
    auto b = writable_branch(*p);
    {
        std::shared_lock gate(b->gate);
        if (resolver_.find(p->repo, branch_view(b), n.path)) throw FsError(EEXIST, n.path + " exists");
        std::string blob = writes_->staging.new_blob();
        StagedFile f{blob, {}, {}, true, {}};
        f.special = S_ISREG(mode) ? 0 : (mode & S_IFMT);
        f.rdev = rdev;
        try {
            UniqueFd fd(::open(writes_->staging.blob_path(blob).c_str(), O_WRONLY | O_CLOEXEC));
            if (!fd) fail_errno("open staged file");
            write_all(fd.get(), content, 0, "write staged node");
            f.seal = writes_->staging.measure(blob);  // complete once made
        } catch (...) {
            writes_->staging.remove_blob(blob);
            throw;
        }
        std::lock_guard lock(b->mutex);
        writes_->staging.put_file(*b, n.path, std::move(f));
    }
    set_created(req, n, mode);
    touch_folder(*p);
    fuse_entry_param e = resolver_.entry_param(n, resolver_.resolve(n), true);
    if (req.entry(&e) != 0) inodes_.forget(e.ino, 1);
}

void HubFs::mknod(Request& req, fuse_ino_t parent, const char* name, mode_t mode, dev_t rdev) {
    try {
        if (!S_ISREG(mode) && !S_ISFIFO(mode) && !S_ISSOCK(mode) && !S_ISCHR(mode) && !S_ISBLK(mode))
            throw FsError(EINVAL, std::string("mknod of an unknown file type: ") + name);
        make_node(req, parent, name, mode, rdev, "");
    } catch (...) {
        req.err(errno_from_current_exception(std::string("mknod ") + name));
    }
}

void HubFs::symlink(Request& req, const char* target, fuse_ino_t parent, const char* name) {
    try {
        make_node(req, parent, name, S_IFLNK | 0777, 0, target);
    } catch (...) {
        req.err(errno_from_current_exception(std::string("symlink ") + name));
    }
}

void HubFs::readlink(Request& req, fuse_ino_t ino) {
    auto n = inodes_.get(ino);
    if (!n) return (void)req.err(ENOENT);
    try {
        Resolved r = resolver_.resolve(*n);
        if (!S_ISLNK(r.attr.st_mode)) throw FsError(EINVAL, n->path + " is not a symlink");
        std::ifstream in(writes_->staging.blob_path(r.blob), std::ios::binary);
        if (!in) fail_errno("open symlink " + n->path);
        std::string target((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        req.readlink(target.c_str());
    } catch (...) {
        req.err(errno_from_current_exception("readlink " + n->path));
    }
}

void HubFs::write(Request& req, const char* buf, size_t size, off_t off, fuse_file_info* fi) {
    try {
        if (auto* c = std::get_if<ControlHandle>(&open_file(fi))) {  // a write is one action, its errno the outcome
            if (!c->file->act) throw FsError(EBADF, "not open for writing");
            c->file->act(std::string_view(buf, size));
            return (void)req.write(size);
        }
        auto* f = std::get_if<StagedHandle>(&open_file(fi));
        if (!f || !f->branch) throw FsError(EBADF, "not open for writing");
        std::shared_lock gate(f->branch->gate);  // waits while a commit of the branch runs
        note_change(req, *f);
        writes_->staging.write(f->blob, f->fd.get(), std::string_view(buf, size), static_cast<uint64_t>(off));
        req.write(size);
    } catch (...) {
        req.err(errno_from_current_exception("write"));
    }
}

void HubFs::setattr(Request& req, fuse_ino_t ino, struct stat* attr, int to_set, fuse_file_info* fi) {
    auto n = inodes_.get(ino);
    if (!n) return (void)req.err(ENOENT);
    try {
        if (n->kind == NodeKind::control || n->kind == NodeKind::area_file) {  // `echo > FILE` truncates first
            Resolved r = resolver_.resolve(*n);
            r.attr.st_ino = ino;
            return (void)req.attr(&r.attr, 0);
        }
        if (!resolver_.may_write(*n) || !writes_) throw FsError(EROFS, n->repo.key() + "@" + n->rev + " is read-only");
        if (to_set & FUSE_SET_ATTR_SIZE) {
            if (n->kind != NodeKind::file) throw FsError(EISDIR, n->path + " is a folder");
            auto* f = fi ? std::get_if<StagedHandle>(&open_file(fi)) : nullptr;
            if (f && f->branch) {
                std::shared_lock gate(f->branch->gate);
                note_change(req, *f);
                writes_->staging.truncate(f->blob, f->fd.get(), attr->st_size);
            } else {
                auto b = writable_branch(*n);
                if (attr->st_size > 0) fetch_base_bytes(*n, b);
                std::shared_lock gate(b->gate);
                std::string blob = stage_for_write(*n, b, attr->st_size == 0, false);
                writes_->staging.truncate(blob, -1, attr->st_size);
                Seal s = writes_->staging.measure(blob);  // no handle: complete at once
                std::lock_guard lock(b->mutex);
                writes_->staging.seal(*b, blob, s);
            }
        }
        // Modes, owners and times are kept by the mount (the kernel checked who may set them);
        // the Hub stores none of them.
        const timespec now = now_timespec();
        const bool times = to_set & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME | FUSE_SET_ATTR_ATIME_NOW | FUSE_SET_ATTR_MTIME_NOW);
        auto time_of = [&](int set, int set_now, const timespec& given) -> std::optional<timespec> {
            if (to_set & set_now) return now;
            if (to_set & set) return given;
            return std::nullopt;
        };
        auto atime = time_of(FUSE_SET_ATTR_ATIME, FUSE_SET_ATTR_ATIME_NOW, attr->st_atim);
        auto mtime = time_of(FUSE_SET_ATTR_MTIME, FUSE_SET_ATTR_MTIME_NOW, attr->st_mtim);
        std::string staged_blob = times ? resolver_.resolve(*n).blob : "";
        if (!staged_blob.empty()) {  // a staged file's bytes carry its times
            timespec ts[2] = {atime.value_or(timespec{0, UTIME_OMIT}), mtime.value_or(timespec{0, UTIME_OMIT})};
            if (::utimensat(AT_FDCWD, writes_->staging.blob_path(staged_blob).c_str(), ts, 0) != 0)
                fail_errno("set times of staged file");
        }
        if (to_set & (FUSE_SET_ATTR_MODE | FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID | FUSE_SET_ATTR_SIZE) || times) {
            local_attrs_.update(resolver_.attr_key(*n), [&](LocalAttr& a) {
                if (to_set & FUSE_SET_ATTR_MODE) a.mode = attr->st_mode & 07777;
                if (to_set & FUSE_SET_ATTR_UID) a.uid = attr->st_uid;
                if (to_set & FUSE_SET_ATTR_GID) a.gid = attr->st_gid;
                if (atime) a.atime = atime;
                if (mtime) a.mtime = mtime;
                if ((to_set & FUSE_SET_ATTR_SIZE) && !mtime) a.mtime = now;
                a.ctime = now;
            });
        }
        Resolved r = resolver_.resolve(*n);
        r.attr.st_ino = ino;
        req.attr(&r.attr, resolver_.timeout_for(*n));
    } catch (...) {
        req.err(errno_from_current_exception("setattr " + n->repo.key() + "/" + n->path));
    }
}

void HubFs::unlink(Request& req, fuse_ino_t parent, const char* name) {
    auto p = inodes_.get(parent);
    if (!p) return (void)req.err(ENOENT);
    try {
        if (p->kind == NodeKind::repo_dir && name == std::string(kControlFileName)) throw FsError(EPERM, "control file");
        if (p->kind == NodeKind::area_dir) return remove_in_area(req, *p, name);
        auto b = writable_branch(*p);
        std::shared_lock gate(b->gate);
        std::string path = join_path(p->path, name);
        auto found = resolver_.find(p->repo, branch_view(b), path);
        if (!found) throw FsError(ENOENT, path);
        if (found->entry.is_dir) throw FsError(EISDIR, path + " is a folder");
        Node n = *p;
        n.kind = NodeKind::file;
        n.path = path;
        remember_removed(n);
        stage_remove(p->repo, b, path, false);
        local_attrs_.erase(resolver_.attr_key(n));
        touch_folder(*p);
        inodes_.detach(n);
        req.err(0);
    } catch (...) {
        req.err(errno_from_current_exception(std::string("unlink ") + name));
    }
}

void HubFs::mkdir(Request& req, fuse_ino_t parent, const char* name, mode_t mode) {
    auto p = inodes_.get(parent);
    if (!p) return (void)req.err(ENOENT);
    try {
        check_name(name);
        if (!writes_) throw FsError(EROFS, "the mount is read-only");
        Node n;
        if (p->kind == NodeKind::ns_dir) {
            // mkdir NAME makes a repository, mkdir NAME@BRANCH a branch of it.
            auto dir = parse_repo_dir_name(name);
            if (!dir) throw FsError(EINVAL, std::string("not a repository name: ") + name);
            RepoRef repo{p->type, p->ns + "/" + dir->name};
            try {
                if (dir->rev.empty()) writes_->writer.create_repo(repo);
                else writes_->writer.create_branch(repo, dir->rev);
            } catch (const RemoteError& e) {
                if (e.kind == RemoteError::Kind::conflict) throw FsError(EEXIST, e.what());
                throw;
            }
            catalog_.forget_revision(repo, dir->rev);
            HUBFS_LOG(info, "created %s%s%s", repo.key().c_str(), dir->rev.empty() ? "" : "@", dir->rev.c_str());
            auto made = resolver_.child(*p, name);
            if (!made) throw FsError(EIO, "created but not found: " + repo.key());
            n = *made;
        } else if (p->kind == NodeKind::repo_dir || p->kind == NodeKind::folder) {
            auto b = writable_branch(*p);
            std::shared_lock gate(b->gate);
            n = *p;
            n.kind = NodeKind::folder;
            n.path = join_path(p->path, name);
            if (resolver_.find(p->repo, branch_view(b), n.path)) throw FsError(EEXIST, n.path);
            {
                std::lock_guard lock(b->mutex);
                writes_->staging.put_dir(*b, n.path);
            }
            set_created(req, n, mode);
            touch_folder(*p);
        } else {
            throw FsError(EPERM, "folders here are namespaces: make repositories inside one");
        }
        Resolved r = resolver_.resolve(n);
        fuse_entry_param e = resolver_.entry_param(n, r, true);
        if (req.entry(&e) != 0) inodes_.forget(e.ino, 1);
    } catch (...) {
        req.err(errno_from_current_exception(std::string("mkdir ") + name));
    }
}

void HubFs::rmdir(Request& req, fuse_ino_t parent, const char* name) {
    auto p = inodes_.get(parent);
    if (!p) return (void)req.err(ENOENT);
    try {
        if (p->kind == NodeKind::area_dir) return remove_in_area(req, *p, name);
        if (!writes_) throw FsError(EROFS, "the mount is read-only");
        auto n = resolver_.child(*p, name);
        if (!n) throw FsError(ENOENT, name);
        if (n->kind == NodeKind::repo_dir) {
            // A branch goes when its folder is empty; a repository never goes through rmdir.
            if (n->rev.empty() || is_commit_sha(n->rev)) throw FsError(EPERM, "hubfs never deletes a repository");
            if (!resolver_.list(*n).empty()) throw FsError(ENOTEMPTY, std::string(name) + " is not empty");
            auto b = writes_->staging.find(resolver_.branch_id(*n));
            if (!writes_->writer.is_branch(n->repo, n->rev, Writer::Lookup::retry_failure))
                throw FsError(EROFS, n->rev + " is not a branch");
            writes_->writer.delete_branch(n->repo, n->rev);
            if (b) {
                std::lock_guard serial(b->commit_mutex);
                std::unique_lock gate(b->gate);
                std::lock_guard lock(b->mutex);
                writes_->staging.discard(*b);
            }
            catalog_.forget_revision(n->repo, n->rev);
            HUBFS_LOG(info, "deleted branch %s@%s", n->repo.key().c_str(), n->rev.c_str());
        } else if (n->kind == NodeKind::folder) {
            auto b = writable_branch(*p);
            std::shared_lock gate(b->gate);
            if (!resolver_.list(*n).empty()) throw FsError(ENOTEMPTY, n->path + " is not empty");
            stage_remove(n->repo, b, n->path, true);
            local_attrs_.erase(resolver_.attr_key(*n));
            touch_folder(*p);
        } else {
            throw FsError(ENOTDIR, std::string(name) + " is not a folder");
        }
        inodes_.detach(*n);
        req.err(0);
    } catch (...) {
        req.err(errno_from_current_exception(std::string("rmdir ") + name));
    }
}

void HubFs::rename(Request& req, fuse_ino_t parent, const char* name, fuse_ino_t newparent, const char* newname,
                   unsigned flags) {
    auto p = inodes_.get(parent);
    auto np = inodes_.get(newparent);
    if (!p || !np) return (void)req.err(ENOENT);
    try {
        check_name(newname);
        if (flags & RENAME_EXCHANGE) throw FsError(EINVAL, "exchange is not supported");
        auto b = writable_branch(*p);
        auto nb = writable_branch(*np);
        if (b != nb) throw FsError(EXDEV, "rename across repositories or branches");
        std::shared_lock gate(b->gate);
        std::string from = join_path(p->path, name), to = join_path(np->path, newname);
        View v = branch_view(b);
        auto src = resolver_.find(p->repo, v, from);
        if (!src) throw FsError(ENOENT, from);
        if (from == to) return (void)req.err(0);
        if (src->entry.is_dir && is_under(to, from)) throw FsError(EINVAL, "a folder cannot move into itself");
        bool replaces_folder = false;
        if (auto dst = resolver_.find(p->repo, v, to)) {
            if (flags & RENAME_NOREPLACE) throw FsError(EEXIST, to);
            if (dst->entry.is_dir != src->entry.is_dir)
                throw FsError(dst->entry.is_dir ? EISDIR : ENOTDIR, to);
            Node target = *np;
            target.kind = dst->entry.is_dir ? NodeKind::folder : NodeKind::file;
            target.path = to;
            if (dst->entry.is_dir && !resolver_.list(target).empty()) throw FsError(ENOTEMPTY, to);
            replaces_folder = dst->entry.is_dir;
            if (!replaces_folder) remember_removed(target);
            inodes_.detach(target);
        }
        stage_move(*p, b, from, to, replaces_folder);
        inodes_.rename(p->repo, p->rev, from, to);
        Node moved = *np;
        moved.path = to;
        local_attrs_.move(resolver_.branch_id(*p).key() + "/" + from, resolver_.attr_key(moved));
        local_attrs_.update(resolver_.attr_key(moved), [](LocalAttr& a) { a.ctime = now_timespec(); });
        touch_folder(*p);
        touch_folder(*np);
        const ScratchFiles& scratch = writes_->committer.scratch();
        if (!src->blob.empty() && deferred_syncs_.take(src->blob) && scratch.matches(from) && !scratch.matches(to))
            writes_->committer.commit_soon(b->changes.id);
        req.err(0);
    } catch (...) {
        req.err(errno_from_current_exception(std::string("rename ") + name));
    }
}

// Whether the staged file `blob` still holds changes the Hub does not have (a commit that
// carried it removed it, or left it a clean entry while open).
bool HubFs::holds_uncommitted(const BranchPtr& b, const std::string& blob) {
    std::lock_guard lock(b->mutex);
    const StagedFile* f = b->changes.file(writes_->staging.path_of(*b, blob));
    return f && f->blob == blob && f->dirty;
}

void HubFs::fsync(Request& req, fuse_ino_t ino, fuse_file_info* fi) {
    auto n = inodes_.get(ino);
    if (!n) return (void)req.err(ENOENT);
    try {
        // Staged changes exist only in branches: commit them without asking the Hub which refs
        // are branches (a lookup that fails must not make fsync answer 0 with nothing sent).
        const bool in_branch = writes_ && n->in_repo() && !is_commit_sha(n->rev) &&
                               (!n->rev.starts_with("refs/") || pull_request_number(n->rev));
        if (in_branch) may_wait_for_network();  // a commit: not on a FUSE thread
        auto* f = fi ? std::get_if<StagedHandle>(&open_file(fi)) : nullptr;  // only a staged file has bytes to sync
        if (f) seal_written(*f, false);
        // The staged bytes are made durable here only if the commit did not carry them: once on
        // the Hub they need no local disk write (a committed file's blob is deleted with its
        // dirty pages, so a 1 GiB commit does not first write 1 GiB to the local disk).
        bool on_hub = false;
        if (in_branch) {
            if (writes_->committer.scratch().matches(n->path)) {
                // A scratch file's fsync stays local; an atomic save's rename commits it (rename).
                if (f) deferred_syncs_.add(f->blob);
            } else if (auto b = writes_->staging.find(resolver_.branch_id(*n))) {
                try {
                    writes_->committer.commit(*b);
                } catch (...) {
                    if (f) ::fdatasync(f->fd.get());  // stays staged: durable, whatever the commit's error
                    throw;
                }
                on_hub = f && !holds_uncommitted(b, f->blob);
            }
        }
        if (f && !on_hub && ::fdatasync(f->fd.get()) != 0) fail_errno("sync staged file");
        req.err(0);
    } catch (...) {
        req.err(errno_from_current_exception("fsync " + n->repo.key() + "/" + n->path));
    }
}

}  // namespace hubfs::fs
