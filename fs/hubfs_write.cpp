// HubFs's write operations: every change lands in the staging area of the node's branch, and
// fsync commits the branch (committer.hpp). Tags, commit shas, pull requests and read-only
// mounts answer EROFS.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "common/log.hpp"
#include "errno_map.hpp"
#include "hubfs.hpp"

namespace hubfs::fs {
namespace {

[[noreturn]] void fail_errno(const std::string& what) { throw std::system_error(errno, std::generic_category(), what); }

void write_all(int fd, const char* data, size_t size, off_t off) {
    while (size > 0) {
        ssize_t n = ::pwrite(fd, data, size, off);
        if (n < 0) {
            if (errno == EINTR) continue;
            fail_errno("write staged file");
        }
        data += n;
        size -= static_cast<size_t>(n);
        off += n;
    }
}

void check_name(const char* name) {
    if (std::strlen(name) > 255) throw FsError(ENAMETOOLONG, std::string("name too long: ") + name);
}

// Files staged under a folder (its own entries included), for removals and renames.
std::vector<std::string> staged_files_under(const StagedBranch& c, const std::string& dir) {
    std::vector<std::string> out;
    std::string prefix = dir + "/";
    for (auto it = c.files.lower_bound(prefix); it != c.files.end() && it->first.starts_with(prefix); ++it)
        out.push_back(it->first);
    return out;
}

}  // namespace

HubFs::View HubFs::branch_view(const BranchPtr& b) {
    std::lock_guard lock(b->mutex);
    return View{b->changes.base, b};
}

HubFs::BranchPtr HubFs::writable_branch(const Node& node) {
    if (!writes_) throw FsError(EROFS, "the mount is read-only (--read-only)");
    if (!node.in_repo()) throw FsError(EPERM, "only repositories hold files");
    if (is_commit_sha(node.rev) || node.rev.starts_with("refs/"))
        throw FsError(EROFS, node.repo.key() + "@" + node.rev + " is a commit or a pull request: read-only");
    BranchId id = branch_id(node);
    auto b = writes_->staging.find(id);
    if (!b && !writes_->writer.is_branch(node.repo, id.branch, HubWriter::Lookup::retry_failure))
        throw FsError(EROFS, node.repo.key() + "@" + id.branch + " is not a branch (a tag?): read-only");
    Revision now = catalog_.resolve(node.repo, node.rev);
    b = writes_->staging.get(id, now);
    std::lock_guard lock(b->mutex);
    StagedBranch& c = b->changes;
    // Nothing staged: new changes apply to what the branch shows now.
    if (c.empty() && c.base.commit != now.commit) {
        c.base = now;
        writes_->staging.save_header(*b);
    }
    return b;
}

std::string HubFs::materialize(const RepoRef& repo, const Revision& base, const std::string& path, const RemoteEntry& e) {
    std::string blob = writes_->staging.new_blob();
    try {
        UniqueFd fd(::open(writes_->staging.blob_path(blob).c_str(), O_WRONLY | O_CLOEXEC));
        if (!fd) fail_errno("open staged file");
        FileSource src{repo, base.commit, path, e};
        const uint64_t cs = fetcher_.chunk_size();
        if (e.size > cs) fetcher_.prefetch(src, 1, (e.size - 1) / cs);  // parallel ranged GETs
        for (uint64_t i = 0; i * cs < e.size; ++i) {
            auto chunk = fetcher_.get(src, i);
            write_all(fd.get(), chunk->data(), chunk->size(), static_cast<off_t>(i * cs));
        }
        return blob;
    } catch (...) {
        writes_->staging.remove_blob(blob);
        throw;
    }
}

std::string HubFs::stage_for_write(const Node& node, const BranchPtr& b, bool truncate, bool as_writer) {
    StagingArea& staging = writes_->staging;
    View v = branch_view(b);
    auto found = find(node.repo, v, node.path);
    if (!found) throw FsError(ENOENT, node.path + " is gone");
    if (found->entry.is_dir) throw FsError(EISDIR, node.path + " is a folder");
    std::string blob;
    if (found->blob.empty()) {
        // Committed bytes (or a renamed file's) are copied into staging before they change.
        blob = truncate ? staging.new_blob()
                        : materialize(node.repo, v.rev, found->copy_from.empty() ? node.path : found->copy_from,
                                      found->entry);
    }
    std::lock_guard lock(b->mutex);
    const StagedFile* current = b->changes.file(node.path);
    if (current && !current->blob.empty()) {  // staged already (perhaps by a writer meanwhile)
        if (!blob.empty()) staging.remove_blob(blob);
        blob = current->blob;
        if (truncate && ::truncate(staging.blob_path(blob).c_str(), 0) != 0) fail_errno("truncate staged file");
        staging.mark_dirty(*b, node.path);
    } else {
        staging.put_file(*b, node.path, StagedFile{blob, {}, {}, true});
    }
    if (as_writer) ++b->writers[blob];
    return blob;
}

void HubFs::stage_remove(const RepoRef& repo, const BranchPtr& b, const std::string& path, bool folder) {
    bool hidden;
    Revision base;
    {
        std::lock_guard lock(b->mutex);
        hidden = b->changes.hides(path);
        base = b->changes.base;
    }
    bool in_base = false;
    if (!hidden) {
        auto e = catalog_.entry(repo, base, path);
        in_base = e && e->is_dir == folder;
    }
    StagingArea& staging = writes_->staging;
    std::lock_guard lock(b->mutex);
    StagedBranch& c = b->changes;
    if (folder) {
        for (const auto& p : staged_files_under(c, path)) staging.erase_file(*b, p);
        std::vector<std::string> dirs, deleted;
        for (const auto& d : c.dirs)
            if (d == path || is_under(d, path)) dirs.push_back(d);
        for (const auto& [p, f] : c.deleted)
            if (is_under(p, path)) deleted.push_back(p);  // a deleted folder covers them
        for (const auto& d : dirs) staging.erase_dir(*b, d);
        for (const auto& p : deleted) staging.erase_deleted(*b, p);
    } else {
        staging.erase_file(*b, path);
    }
    if (in_base) staging.put_deleted(*b, path, folder);
}

std::vector<std::string> HubFs::files_under(const RepoRef& repo, const View& v, const std::string& dir) {
    std::vector<std::string> out;
    Node n;
    n.kind = NodeKind::folder;
    n.type = repo.type;
    n.repo = repo;
    n.rev = v.branch ? v.branch->changes.id.branch : "";
    n.path = dir;
    for (const auto& e : list(n)) {
        if (e.node.kind == NodeKind::folder) {
            auto below = files_under(repo, v, e.node.path);
            out.insert(out.end(), below.begin(), below.end());
        } else if (e.node.kind == NodeKind::file) {
            out.push_back(e.node.path);
        }
    }
    return out;
}

void HubFs::stage_move(const Node& from_node, const BranchPtr& b, const std::string& from, const std::string& to) {
    StagingArea& staging = writes_->staging;
    View v = branch_view(b);
    auto move_one = [&](const std::string& src, const std::string& dst) {
        auto found = find(from_node.repo, v, src);
        if (!found) return;
        if (found->staged) {  // staged bytes or a pending copy: the entry moves as it is
            std::lock_guard lock(b->mutex);
            staging.move_file(*b, src, dst);
            return;
        }
        // A committed file: an LFS file is referenced again (no upload); a small one is copied.
        StagedFile f;
        if (!found->entry.lfs_sha256.empty()) {
            f.copy_from = src;
            f.source = found->entry;
        } else {
            f.blob = materialize(from_node.repo, v.rev, src, found->entry);
        }
        std::lock_guard lock(b->mutex);
        staging.put_file(*b, dst, f);
    };
    auto found = find(from_node.repo, v, from);
    if (!found) throw FsError(ENOENT, from + " is gone");
    if (!found->entry.is_dir) {
        move_one(from, to);
        stage_remove(from_node.repo, b, from, false);
        return;
    }
    for (const auto& path : files_under(from_node.repo, v, from)) move_one(path, to + path.substr(from.size()));
    {
        std::lock_guard lock(b->mutex);
        std::vector<std::string> dirs;
        for (const auto& d : b->changes.dirs)
            if (d == from || is_under(d, from)) dirs.push_back(d);
        for (const auto& d : dirs) staging.put_dir(*b, to + d.substr(from.size()));
        staging.put_dir(*b, to);  // the folder exists even when empty
    }
    stage_remove(from_node.repo, b, from, true);
}

void HubFs::create(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t, fuse_file_info* fi) {
    auto p = inodes_.get(parent);
    if (!p) return (void)fuse_reply_err(req, ENOENT);
    try {
        check_name(name);
        if (p->kind != NodeKind::repo_dir && p->kind != NodeKind::folder) throw FsError(EPERM, "files live in repositories");
        if (p->kind == NodeKind::repo_dir && name == std::string(kControlFileName)) throw FsError(EEXIST, "control file");
        auto b = writable_branch(*p);
        Node n = *p;
        n.kind = NodeKind::file;
        n.path = join_path(p->path, name);
        auto f = std::make_unique<OpenFile>();
        {
            std::shared_lock gate(b->gate);
            auto existing = find(p->repo, branch_view(b), n.path);
            if (existing && existing->entry.is_dir) throw FsError(EISDIR, n.path + " is a folder");
            if (existing && (fi->flags & O_EXCL)) throw FsError(EEXIST, n.path + " exists");
            std::string blob = writes_->staging.new_blob();
            std::lock_guard lock(b->mutex);
            writes_->staging.put_file(*b, n.path, StagedFile{blob, {}, {}, true});
            ++b->writers[blob];
            f->blob = blob;
            f->branch = b;
            f->marked_generation = b->generation;
        }
        f->staged.reset(::open(writes_->staging.blob_path(f->blob).c_str(), O_RDWR | O_CLOEXEC));
        if (!f->staged) fail_errno("open staged file");
        Resolved r = resolve(n);
        fuse_entry_param e = entry_param(n, r, true);
        {
            std::lock_guard lock(kept_mutex_);
            kept_content_[e.ino] = "staged:" + f->blob;
        }
        fi->keep_cache = 0;
        fi->fh = reinterpret_cast<uint64_t>(f.release());
        if (fuse_reply_create(req, &e, fi) != 0) {
            inodes_.forget(e.ino, 1);
            release(nullptr, fi);
        }
    } catch (...) {
        fuse_reply_err(req, errno_from_current_exception(std::string("create ") + name));
    }
}

void HubFs::write(fuse_req_t req, const char* buf, size_t size, off_t off, fuse_file_info* fi) {
    auto* f = reinterpret_cast<OpenFile*>(fi->fh);
    try {
        if (f->control) {
            std::string text(buf, size);
            for (size_t start = 0; start < text.size();) {
                size_t end = text.find('\n', start);
                if (end == std::string::npos) end = text.size();
                std::string line = text.substr(start, end - start);
                if (!line.empty()) control_command(*f->node, line);
                start = end + 1;
            }
            return (void)fuse_reply_write(req, size);
        }
        if (!f->branch) throw FsError(EBADF, "not open for writing");
        StagingArea::Branch& b = *f->branch;
        std::shared_lock gate(b.gate);  // waits while a commit of the branch runs
        {
            std::lock_guard lock(b.mutex);
            if (f->marked_generation != b.generation) {
                // Committed since this handle last wrote: the file is a change again.
                for (const auto& [path, sf] : b.changes.files) {
                    if (sf.blob != f->blob) continue;
                    writes_->staging.mark_dirty(b, path);
                    break;
                }
                f->marked_generation = b.generation;
            }
        }
        write_all(f->staged.get(), buf, size, off);
        fuse_reply_write(req, size);
    } catch (...) {
        fuse_reply_err(req, errno_from_current_exception("write"));
    }
}

void HubFs::setattr(fuse_req_t req, fuse_ino_t ino, struct stat* attr, int to_set, fuse_file_info* fi) {
    auto n = inodes_.get(ino);
    if (!n) return (void)fuse_reply_err(req, ENOENT);
    try {
        if (n->kind == NodeKind::control) {
            Resolved r = resolve(*n);
            r.attr.st_ino = ino;
            return (void)fuse_reply_attr(req, &r.attr, 0);
        }
        if (!may_write(*n) || !writes_) throw FsError(EROFS, n->repo.key() + "@" + n->rev + " is read-only");
        if (to_set & FUSE_SET_ATTR_SIZE) {
            if (n->kind != NodeKind::file) throw FsError(EISDIR, n->path + " is a folder");
            auto* f = fi ? reinterpret_cast<OpenFile*>(fi->fh) : nullptr;
            if (f && f->branch) {
                std::shared_lock gate(f->branch->gate);
                if (::ftruncate(f->staged.get(), attr->st_size) != 0) fail_errno("truncate staged file");
            } else {
                auto b = writable_branch(*n);
                std::shared_lock gate(b->gate);
                std::string blob = stage_for_write(*n, b, attr->st_size == 0, false);
                if (::truncate(writes_->staging.blob_path(blob).c_str(), attr->st_size) != 0) fail_errno("truncate staged file");
            }
        }
        if (to_set & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME | FUSE_SET_ATTR_ATIME_NOW | FUSE_SET_ATTR_MTIME_NOW)) {
            // Times are kept for staged files (the Hub records none); modes and owners are not kept.
            Resolved r = resolve(*n);
            if (!r.blob.empty()) {
                timespec times[2];
                times[0] = to_set & FUSE_SET_ATTR_ATIME_NOW ? timespec{0, UTIME_NOW}
                           : to_set & FUSE_SET_ATTR_ATIME   ? attr->st_atim
                                                            : timespec{0, UTIME_OMIT};
                times[1] = to_set & FUSE_SET_ATTR_MTIME_NOW ? timespec{0, UTIME_NOW}
                           : to_set & FUSE_SET_ATTR_MTIME   ? attr->st_mtim
                                                            : timespec{0, UTIME_OMIT};
                if (::utimensat(AT_FDCWD, writes_->staging.blob_path(r.blob).c_str(), times, 0) != 0)
                    fail_errno("set times of staged file");
            }
        }
        Resolved r = resolve(*n);
        r.attr.st_ino = ino;
        fuse_reply_attr(req, &r.attr, timeout_for(*n));
    } catch (...) {
        fuse_reply_err(req, errno_from_current_exception("setattr " + n->repo.key() + "/" + n->path));
    }
}

void HubFs::unlink(fuse_req_t req, fuse_ino_t parent, const char* name) {
    auto p = inodes_.get(parent);
    if (!p) return (void)fuse_reply_err(req, ENOENT);
    try {
        if (p->kind == NodeKind::repo_dir && name == std::string(kControlFileName)) throw FsError(EPERM, "control file");
        auto b = writable_branch(*p);
        std::shared_lock gate(b->gate);
        std::string path = join_path(p->path, name);
        auto found = find(p->repo, branch_view(b), path);
        if (!found) throw FsError(ENOENT, path);
        if (found->entry.is_dir) throw FsError(EISDIR, path + " is a folder");
        stage_remove(p->repo, b, path, false);
        Node n = *p;
        n.kind = NodeKind::file;
        n.path = path;
        inodes_.detach(n);
        fuse_reply_err(req, 0);
    } catch (...) {
        fuse_reply_err(req, errno_from_current_exception(std::string("unlink ") + name));
    }
}

void HubFs::mkdir(fuse_req_t req, fuse_ino_t parent, const char* name) {
    auto p = inodes_.get(parent);
    if (!p) return (void)fuse_reply_err(req, ENOENT);
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
            auto made = child(*p, name);
            if (!made) throw FsError(EIO, "created but not found: " + repo.key());
            n = *made;
        } else if (p->kind == NodeKind::repo_dir || p->kind == NodeKind::folder) {
            auto b = writable_branch(*p);
            std::shared_lock gate(b->gate);
            n = *p;
            n.kind = NodeKind::folder;
            n.path = join_path(p->path, name);
            if (find(p->repo, branch_view(b), n.path)) throw FsError(EEXIST, n.path);
            std::lock_guard lock(b->mutex);
            writes_->staging.put_dir(*b, n.path);
        } else {
            throw FsError(EPERM, "folders here are namespaces: make repositories inside one");
        }
        Resolved r = resolve(n);
        fuse_entry_param e = entry_param(n, r, true);
        if (fuse_reply_entry(req, &e) != 0) inodes_.forget(e.ino, 1);
    } catch (...) {
        fuse_reply_err(req, errno_from_current_exception(std::string("mkdir ") + name));
    }
}

void HubFs::rmdir(fuse_req_t req, fuse_ino_t parent, const char* name) {
    auto p = inodes_.get(parent);
    if (!p) return (void)fuse_reply_err(req, ENOENT);
    try {
        if (!writes_) throw FsError(EROFS, "the mount is read-only");
        auto n = child(*p, name);
        if (!n) throw FsError(ENOENT, name);
        if (n->kind == NodeKind::repo_dir) {
            // A branch goes when its folder is empty; a repository never goes through rmdir.
            if (n->rev.empty() || is_commit_sha(n->rev)) throw FsError(EPERM, "hubfs never deletes a repository");
            if (!list(*n).empty()) throw FsError(ENOTEMPTY, std::string(name) + " is not empty");
            auto b = writes_->staging.find(branch_id(*n));
            if (!writes_->writer.is_branch(n->repo, n->rev, HubWriter::Lookup::retry_failure))
                throw FsError(EROFS, n->rev + " is not a branch");
            writes_->writer.delete_branch(n->repo, n->rev);
            if (b) {
                std::unique_lock gate(b->gate);
                std::lock_guard lock(b->mutex);
                writes_->staging.discard(*b);
            }
            catalog_.forget_revision(n->repo, n->rev);
            HUBFS_LOG(info, "deleted branch %s@%s", n->repo.key().c_str(), n->rev.c_str());
        } else if (n->kind == NodeKind::folder) {
            auto b = writable_branch(*p);
            std::shared_lock gate(b->gate);
            if (!list(*n).empty()) throw FsError(ENOTEMPTY, n->path + " is not empty");
            stage_remove(n->repo, b, n->path, true);
        } else {
            throw FsError(ENOTDIR, std::string(name) + " is not a folder");
        }
        inodes_.detach(*n);
        fuse_reply_err(req, 0);
    } catch (...) {
        fuse_reply_err(req, errno_from_current_exception(std::string("rmdir ") + name));
    }
}

void HubFs::rename(fuse_req_t req, fuse_ino_t parent, const char* name, fuse_ino_t newparent, const char* newname,
                   unsigned flags) {
    auto p = inodes_.get(parent);
    auto np = inodes_.get(newparent);
    if (!p || !np) return (void)fuse_reply_err(req, ENOENT);
    try {
        check_name(newname);
        if (flags & RENAME_EXCHANGE) throw FsError(EINVAL, "exchange is not supported");
        auto b = writable_branch(*p);
        auto nb = writable_branch(*np);
        if (b != nb) throw FsError(EXDEV, "rename across repositories or branches");
        std::shared_lock gate(b->gate);
        std::string from = join_path(p->path, name), to = join_path(np->path, newname);
        View v = branch_view(b);
        auto src = find(p->repo, v, from);
        if (!src) throw FsError(ENOENT, from);
        if (from == to) return (void)fuse_reply_err(req, 0);
        if (src->entry.is_dir && is_under(to, from)) throw FsError(EINVAL, "a folder cannot move into itself");
        if (auto dst = find(p->repo, v, to)) {
            if (flags & RENAME_NOREPLACE) throw FsError(EEXIST, to);
            if (dst->entry.is_dir != src->entry.is_dir)
                throw FsError(dst->entry.is_dir ? EISDIR : ENOTDIR, to);
            Node target = *np;
            target.kind = dst->entry.is_dir ? NodeKind::folder : NodeKind::file;
            target.path = to;
            if (dst->entry.is_dir) {
                if (!list(target).empty()) throw FsError(ENOTEMPTY, to);
                stage_remove(p->repo, b, to, true);
            }
            inodes_.detach(target);
        }
        stage_move(*p, b, from, to);
        inodes_.rename(p->repo, p->rev, from, to);
        fuse_reply_err(req, 0);
    } catch (...) {
        fuse_reply_err(req, errno_from_current_exception(std::string("rename ") + name));
    }
}

void HubFs::fsync(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
    auto n = inodes_.get(ino);
    if (!n) return (void)fuse_reply_err(req, ENOENT);
    try {
        auto* f = fi ? reinterpret_cast<OpenFile*>(fi->fh) : nullptr;
        if (f && f->staged && ::fdatasync(f->staged.get()) != 0) fail_errno("sync staged file");
        // Staged changes exist only in branches: commit them without asking the Hub which refs
        // are branches (a lookup that fails must not make fsync answer 0 with nothing sent).
        if (writes_ && n->in_repo() && !is_commit_sha(n->rev) && !n->rev.starts_with("refs/")) {
            if (auto b = writes_->staging.find(branch_id(*n))) writes_->committer.commit(*b);
        }
        fuse_reply_err(req, 0);
    } catch (...) {
        fuse_reply_err(req, errno_from_current_exception("fsync " + n->repo.key() + "/" + n->path));
    }
}

}  // namespace hubfs::fs
