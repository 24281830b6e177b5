#include "fs/fuse/hubfs.hpp"

#include <sys/statvfs.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>
#include <optional>
#include <ctime>
#include <memory>
#include <set>
#include <system_error>
#include <tuple>
#include <vector>

#include "fs/common/log.hpp"
#include "fs/errno_map.hpp"
#include "fs/network_wait.hpp"

namespace hubfs::fs {
namespace {

HubFs& self(fuse_req_t req) { return *static_cast<HubFs*>(fuse_req_userdata(req)); }

constexpr double kPinnedTimeout = 24 * 3600.0;  // commits never change

}  // namespace

HubFs::HubFs(Catalog& catalog, ChunkFetcher& fetcher, cache::Cache& cache, Remote& remote, FsOptions opts,
             std::optional<WriteSupport> writes)
    : catalog_(catalog), fetcher_(fetcher), cache_(cache), remote_(remote), opts_(std::move(opts)),
      inodes_([&] {
          Node root;
          if (opts_.single_repo) {
              root.kind = NodeKind::repo_dir;
              root.repo = opts_.single_repo->repo;
              root.rev = opts_.single_repo->rev;
              root.type = root.repo.type;
          }
          return root;
      }()),
      mount_time_(static_cast<int64_t>(std::time(nullptr))),
      writes_(writes) {}

struct stat HubFs::dir_attr(int64_t mtime) const {
    struct stat st {};
    st.st_mode = S_IFDIR | 0555;
    st.st_nlink = 2;
    st.st_uid = opts_.uid;
    st.st_gid = opts_.gid;
    st.st_mtim.tv_sec = st.st_ctim.tv_sec = st.st_atim.tv_sec = mtime;
    st.st_blksize = 1 << 20;
    return st;
}

struct stat HubFs::file_attr(const RemoteEntry& e, int64_t mtime) const {
    struct stat st = dir_attr(mtime);
    st.st_mode = S_IFREG | 0444;
    st.st_nlink = 1;
    st.st_size = static_cast<off_t>(e.size);
    st.st_blocks = static_cast<blkcnt_t>((e.size + 511) / 512);
    return st;
}

bool HubFs::may_write(const Node& node) const {
    if (!writes_ || !node.in_repo() || is_commit_sha(node.rev)) return false;
    // A branch (or pull request) this mount staged changes in stays writable whatever the Hub says now.
    if (writes_->staging.find(branch_id(node))) return true;
    if (auto pr = pull_request_number(node.rev))  // its author's and the repository's writers'
        return writes_->writer.may_write_pull_request(node.repo, *pr, writes_->committer.identity());
    if (node.rev.starts_with("refs/")) return false;
    // Tags and short shas are read-only: only the repository's branches are writable.
    return writes_->writer.is_branch(node.repo, branch_id(node).branch, HubWriter::Lookup::cached_failure);
}

BranchId HubFs::branch_id(const Node& node) const {
    return BranchId{node.repo, node.rev.empty() ? "main" : node.rev};
}

double HubFs::timeout_for(const Node& node) const {
    if (node.in_repo() && is_commit_sha(node.rev)) return kPinnedTimeout;
    if (!node.in_repo()) return 1.0;
    return static_cast<double>(opts_.revision_ttl.count());
}

HubFs::View HubFs::view(const Node& node) {
    if (writes_ && !is_commit_sha(node.rev)) {
        if (auto b = writes_->staging.find(branch_id(node))) {
            std::lock_guard lock(b->mutex);
            const StagedBranch& c = b->changes;
            if (c.pins_base()) return View{c.base, b};
            if (!c.dirs.empty()) return View{catalog_.resolve(node.repo, node.rev), b};
        }
    }
    return View{catalog_.resolve(node.repo, node.rev), nullptr};
}

std::optional<HubFs::Found> HubFs::find(const RepoRef& repo, const View& v, const std::string& path) {
    if (v.branch) {
        std::lock_guard lock(v.branch->mutex);
        const StagedBranch& c = v.branch->changes;
        if (const StagedFile* f = c.file(path)) {
            Found out;
            out.staged = true;
            out.entry = f->source;
            out.entry.name = path.substr(path.rfind('/') + 1);
            out.blob = f->blob;
            out.copy_from = f->copy_from;
            out.special = f->special;
            out.rdev = f->rdev;
            return out;
        }
        if (c.is_staged_dir(path)) {
            Found out;
            out.staged = true;
            out.entry.is_dir = true;
            out.entry.name = path.substr(path.rfind('/') + 1);
            return out;
        }
        if (c.hides(path)) return std::nullopt;
    }
    auto e = catalog_.entry(repo, v.rev, path);
    if (!e) return std::nullopt;
    Found out;
    out.entry = *e;
    return out;
}

HubFs::Resolved HubFs::resolve(const Node& node) {
    Resolved r;
    switch (node.kind) {
        case NodeKind::root:
        case NodeKind::type_dir:
        case NodeKind::ns_dir:
            r.attr = dir_attr(mount_time_);
            return r;
        case NodeKind::repo_dir:
            r.rev = view(node).rev;
            r.attr = dir_attr(r.rev->time);
            break;
        case NodeKind::control:
            r.rev = view(node).rev;
            r.attr = file_attr(RemoteEntry{}, mount_time_);
            r.attr.st_size = 4096;  // read with direct I/O: the size only has to let readers start
            break;
        case NodeKind::area_dir:
        case NodeKind::area_file: {
            auto entry = control_areas_.find(node.path);
            if (!entry) throw FsError(ENOENT, node.path + " is gone");
            r.attr = area_attr(*entry);
            return r;
        }
        case NodeKind::folder:
        case NodeKind::file: {
            View v = view(node);
            auto found = find(node.repo, v, node.path);
            if (!found || found->entry.is_dir != (node.kind == NodeKind::folder))
                throw RemoteError(RemoteError::Kind::not_found, node.repo.key() + ": no " + node.path + " at " + v.rev.commit);
            return resolved(node, v.rev, *found);
        }
    }
    if (may_write(node)) r.attr.st_mode |= S_IWUSR | (S_ISDIR(r.attr.st_mode) ? S_IXUSR : 0);
    if (node.kind == NodeKind::repo_dir)
        if (auto a = local_attrs_.get(attr_key(node))) a->apply(r.attr);
    return r;
}

struct stat HubFs::area_attr(const ControlEntry& entry) const {
    if (const auto* folder = std::get_if<ControlFolder>(&entry)) {
        struct stat st = dir_attr(mount_time_);
        st.st_mode = S_IFDIR | folder->mode;
        return st;
    }
    struct stat st = file_attr(RemoteEntry{}, mount_time_);
    st.st_mode = S_IFREG | std::get<ControlFile>(entry).mode;
    st.st_size = 4096;  // as .hubfs-commit: read with direct I/O
    return st;
}

std::string HubFs::attr_key(const Node& node) const { return branch_id(node).key() + "/" + node.path; }

void HubFs::touch_folder(const Node& folder) {
    timespec now = now_timespec();
    local_attrs_.update(attr_key(folder), [&](LocalAttr& a) { a.mtime = a.ctime = now; });
}

void HubFs::set_created(fuse_req_t req, const Node& made, mode_t mode) {
    const fuse_ctx* ctx = fuse_req_ctx(req);
    timespec now = now_timespec();
    local_attrs_.update(attr_key(made), [&](LocalAttr& a) {
        a = LocalAttr{mode & 07777, ctx->uid, ctx->gid, now, now, now};
    });
}

HubFs::Resolved HubFs::resolved(const Node& node, const Revision& rev, const Found& found) {
    Resolved r;
    r.rev = rev;
    r.entry = found.entry;
    r.blob = found.blob;
    r.copy_from = found.copy_from;
    if (found.entry.is_dir) {
        r.attr = dir_attr(rev.time);
    } else if (!found.blob.empty()) {
        struct stat st {};
        if (::stat(writes_->staging.blob_path(found.blob).c_str(), &st) != 0)
            throw std::system_error(errno, std::generic_category(), "stat staged " + node.path);
        r.entry->size = static_cast<uint64_t>(st.st_size);
        r.attr = file_attr(*r.entry, st.st_mtim.tv_sec);
        r.attr.st_atim = st.st_atim;  // writes and utimens move them
        r.attr.st_mtim = st.st_mtim;
        r.attr.st_ctim = st.st_ctim;
        if (found.special) {  // a symlink's size is its target's length, as on a local disk
            r.attr.st_mode = found.special | (found.special == S_IFLNK ? 0777 : 0644);
            r.attr.st_rdev = static_cast<dev_t>(found.rdev);
        }
    } else {
        r.attr = file_attr(*r.entry, rev.time);
    }
    if (may_write(node) && !found.special) r.attr.st_mode |= S_IWUSR | (found.entry.is_dir ? S_IXUSR : 0);
    if (auto a = local_attrs_.get(attr_key(node))) {
        if (found.special == S_IFLNK) a->mode = std::nullopt;  // a symlink's mode is always 0777
        if (!found.blob.empty()) {
            // A staged file's bytes carry its times (writes and utimens move them); a later
            // chmod, chown or rename moves its ctime.
            a->atime = a->mtime = std::nullopt;
            auto later = [](const timespec& x, const timespec& y) { return std::tie(x.tv_sec, x.tv_nsec) > std::tie(y.tv_sec, y.tv_nsec); };
            if (a->ctime && !later(*a->ctime, r.attr.st_ctim)) a->ctime = std::nullopt;
        }
        a->apply(r.attr);
    }
    return r;
}

std::optional<Node> HubFs::child(const Node& parent, const std::string& name) {
    Node n;
    switch (parent.kind) {
        case NodeKind::root: {
            if (control_areas_.has_area(name)) {
                n.kind = NodeKind::area_dir;
                n.path = name;
                return n;
            }
            auto t = type_from_plural(name);
            if (!t) return std::nullopt;
            n.kind = NodeKind::type_dir;
            n.type = *t;
            return n;
        }
        case NodeKind::type_dir: {
            // /models/gpt2 may be a namespace-less repository or a namespace; "x@rev" is a repository.
            auto dir = parse_repo_dir_name(name);
            if (!dir) return std::nullopt;
            RepoRef canonical{parent.type, dir->name};
            bool is_repo = !dir->rev.empty();
            if (!is_repo) {
                try {
                    catalog_.resolve(canonical, "");
                    is_repo = true;
                } catch (const RemoteError& e) {
                    // Not a repository (or the Hub cannot say now): a namespace, the common case.
                    if (e.kind == RemoteError::Kind::invalid || e.kind == RemoteError::Kind::other) throw;
                }
            }
            if (is_repo) {
                n.kind = NodeKind::repo_dir;
                n.repo = canonical;
                n.rev = dir->rev;
            } else {
                // A namespace exists if it holds repositories of this type (or is the user's own):
                // a typo is ENOENT, not an empty folder, and `mkdir` of it is not EEXIST.
                bool exists = opts_.own_namespaces.count(name) > 0;
                try {
                    exists = exists || !catalog_.repos_of(parent.type, name).empty();
                } catch (const RemoteError& e) {
                    if (e.kind != RemoteError::Kind::unavailable) throw;
                    exists = true;  // offline, or the Hub cannot say now: do not hide it
                }
                if (!exists) return std::nullopt;
                n.kind = NodeKind::ns_dir;
                n.ns = name;
            }
            n.type = parent.type;
            return n;
        }
        case NodeKind::ns_dir: {
            auto dir = parse_repo_dir_name(name);
            if (!dir) return std::nullopt;
            n.kind = NodeKind::repo_dir;
            n.type = parent.type;
            n.repo = RepoRef{parent.type, parent.ns + "/" + dir->name};
            n.rev = dir->rev;
            return n;
        }
        case NodeKind::repo_dir:
        case NodeKind::folder: {
            if (parent.kind == NodeKind::repo_dir && name == kControlFileName && may_write(parent)) {
                n = parent;
                n.kind = NodeKind::control;
                return n;
            }
            std::string path = join_path(parent.path, name);
            auto found = find(parent.repo, view(parent), path);
            if (!found) return std::nullopt;
            n = parent;
            n.kind = found->entry.is_dir ? NodeKind::folder : NodeKind::file;
            n.path = path;
            return n;
        }
        case NodeKind::area_dir: {
            std::string path = join_path(parent.path, name);
            auto entry = control_areas_.find(path);
            if (!entry) return std::nullopt;
            n.kind = std::holds_alternative<ControlFolder>(*entry) ? NodeKind::area_dir : NodeKind::area_file;
            n.path = path;
            return n;
        }
        case NodeKind::file:
        case NodeKind::control:
        case NodeKind::area_file: return std::nullopt;
    }
    return std::nullopt;
}

std::vector<HubFs::DirEntry> HubFs::list(const Node& dir) {
    std::vector<DirEntry> out;
    switch (dir.kind) {
        case NodeKind::root:
            for (RepoType t : {RepoType::model, RepoType::dataset, RepoType::space}) {
                Node n;
                n.kind = NodeKind::type_dir;
                n.type = t;
                out.push_back({type_plural(t), n, resolve(n)});
            }
            for (const auto& name : control_areas_.area_names())
                if (auto n = child(dir, name)) out.push_back({name, *n, resolve(*n)});
            break;
        case NodeKind::type_dir: break;  // the Hub's authors cannot be listed; look them up by name
        case NodeKind::ns_dir:
            for (const auto& name : catalog_.repos_of(dir.type, dir.ns)) {
                Node n;
                n.kind = NodeKind::repo_dir;
                n.type = dir.type;
                n.repo = RepoRef{dir.type, dir.ns + "/" + name};
                Resolved r;
                r.attr = dir_attr(mount_time_);  // resolved on lookup; listing stays one request
                if (writes_) r.attr.st_mode |= S_IWUSR;  // its default branch is writable, as lookup says
                out.push_back({name, n, r});
            }
            break;
        case NodeKind::repo_dir:
        case NodeKind::folder: {
            View v = view(dir);
            std::map<std::string, bool> staged;  // name -> is a folder
            bool base_has = true;  // the folder exists in the base commit (not deleted, not new)
            if (v.branch) {
                std::lock_guard lock(v.branch->mutex);
                staged = v.branch->changes.staged_children(dir.path);
                base_has = !v.branch->changes.hides(dir.path);
            }
            if (!dir.path.empty() && base_has) {
                auto e = catalog_.entry(dir.repo, v.rev, dir.path);
                base_has = e && e->is_dir;
            }
            std::set<std::string> names;
            if (base_has)
                for (const auto& e : catalog_.folder(dir.repo, v.rev, dir.path)->entries) names.insert(e.name);
            for (const auto& [name, is_dir] : staged) names.insert(name);
            for (const auto& name : names) {
                Node n = dir;
                n.path = join_path(dir.path, name);
                auto found = find(dir.repo, v, n.path);
                if (!found) continue;  // deleted in staging
                n.kind = found->entry.is_dir ? NodeKind::folder : NodeKind::file;
                out.push_back({name, n, resolved(n, v.rev, *found)});
            }
            break;
        }
        case NodeKind::area_dir: {
            // Its own children, found once (what a folder just listed exists: no check each).
            ControlFolder folder = area_folder(dir);
            if (!folder.names || !folder.child) break;
            for (const auto& name : folder.names()) {
                auto entry = folder.child(name);
                if (!entry) continue;
                Node n = dir;
                n.kind = std::holds_alternative<ControlFolder>(*entry) ? NodeKind::area_dir : NodeKind::area_file;
                n.path = join_path(dir.path, name);
                Resolved r;
                r.attr = area_attr(*entry);
                out.push_back({name, n, r});
            }
            break;
        }
        case NodeKind::file:
        case NodeKind::control:
        case NodeKind::area_file: break;
    }
    return out;
}

fuse_entry_param HubFs::entry_param(const Node& node, const Resolved& r, bool add_ref) {
    fuse_entry_param e{};
    e.ino = add_ref ? inodes_.ref(node) : inodes_.peek(node);
    e.attr = r.attr;
    e.attr.st_ino = e.ino;
    e.attr_timeout = e.entry_timeout = timeout_for(node);
    return e;
}

void HubFs::init(fuse_conn_info* conn) {
    // Must equal -o max_read, or libfuse 3.14 refuses the mount.
    conn->max_read = opts_.max_read;
    // libfuse derives the kernel's max_pages from max_write: without it reads arrive in 128 KiB.
    conn->max_write = std::max<unsigned>(conn->max_write, opts_.max_read);
    // The kernel keeps the smaller of this and its bdi's read_ahead_kb (raised at mount, kernel_readahead.hpp).
    conn->max_readahead = std::max<unsigned>(conn->max_readahead, opts_.kernel_readahead);
    if (conn->capable & FUSE_CAP_READDIRPLUS) conn->want |= FUSE_CAP_READDIRPLUS;
    if (conn->capable & FUSE_CAP_READDIRPLUS_AUTO) conn->want &= ~FUSE_CAP_READDIRPLUS_AUTO;  // always plus
    if (conn->capable & FUSE_CAP_ASYNC_READ) conn->want |= FUSE_CAP_ASYNC_READ;
    if (conn->capable & FUSE_CAP_SPLICE_WRITE) conn->want |= FUSE_CAP_SPLICE_WRITE;
}

// lookup, getattr and opendir may need the Hub (a name to resolve, a folder never listed):
// they run through parked_, which computes them on the FUSE thread when everything they need
// is known and on a thread of their own otherwise (a stalled Hub holds no FUSE thread).
void HubFs::lookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
    auto p = inodes_.get(parent);
    if (!p) return (void)fuse_reply_err(req, ENOENT);
    if (std::strlen(name) > kMaxNameLength) return (void)fuse_reply_err(req, ENAMETOOLONG);
    parked_.run(req, std::string("lookup ") + name, [this, p, name = std::string(name)]() -> ParkedRequests::Reply {
        try {
            auto n = child(*p, name);
            if (!n) {
                fuse_entry_param neg{};  // negative entry, cached like the folder it is missing from
                neg.entry_timeout = p->in_repo() ? timeout_for(*p) : 1.0;
                return [neg](fuse_req_t r) { fuse_reply_entry(r, &neg); };
            }
            Resolved r = resolve(*n);
            // The inode's reference is taken only with the answer (a parked caller may be gone).
            return [this, node = *n, r](fuse_req_t req) {
                fuse_entry_param e = entry_param(node, r, true);
                if (fuse_reply_entry(req, &e) != 0) inodes_.forget(e.ino, 1);
            };
        } catch (const WouldWait&) {
            throw;
        } catch (...) {
            int err = errno_from_current_exception("lookup " + name);
            if (err != ENOENT) return reply_error(err);
            return [](fuse_req_t r) {
                fuse_entry_param neg{};
                neg.entry_timeout = 1.0;
                fuse_reply_entry(r, &neg);
            };
        }
    });
}

void HubFs::remember_removed(const Node& file) {
    fuse_ino_t ino = inodes_.peek(file);
    if (!ino) return;
    Resolved r = resolve(file);
    r.attr.st_ino = ino;
    r.attr.st_nlink = 0;
    std::lock_guard lock(removed_mutex_);
    removed_[ino] = Removed{r.attr, r.blob};
}

void HubFs::forget(fuse_ino_t ino, uint64_t n) {
    inodes_.forget(ino, n);
    if (inodes_.get(ino)) return;
    std::lock_guard lock(removed_mutex_);
    removed_.erase(ino);
}

void HubFs::getattr(fuse_req_t req, fuse_ino_t ino) {
    auto n = inodes_.get(ino);
    if (!n) return (void)fuse_reply_err(req, ENOENT);
    parked_.run(req, "getattr " + n->repo.key() + "/" + n->path, [this, n, ino]() -> ParkedRequests::Reply {
        if (n->detached()) {
            std::unique_lock lock(removed_mutex_);
            auto it = removed_.find(ino);
            if (it == removed_.end()) throw FsError(ENOENT, "removed");
            struct stat attr = it->second.attr;
            std::string blob = it->second.blob;
            lock.unlock();
            struct stat st {};
            if (writes_ && !blob.empty() && ::stat(writes_->staging.blob_path(blob).c_str(), &st) == 0) {  // written on since
                attr.st_size = st.st_size;
                attr.st_blocks = st.st_blocks;
                attr.st_mtim = st.st_mtim;
            }
            return [attr](fuse_req_t req) { fuse_reply_attr(req, &attr, 0); };
        }
        Resolved r = resolve(*n);
        r.attr.st_ino = ino;
        return [attr = r.attr, timeout = timeout_for(*n)](fuse_req_t req) { fuse_reply_attr(req, &attr, timeout); };
    });
}

void HubFs::opendir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
    auto n = inodes_.get(ino);
    if (!n) return (void)fuse_reply_err(req, ENOENT);
    if (n->kind == NodeKind::file || n->kind == NodeKind::control || n->kind == NodeKind::area_file)
        return (void)fuse_reply_err(req, ENOTDIR);
    // The kernel's file info lives only as long as this call: the answer gets a copy.
    parked_.run(req, "opendir " + n->repo.key() + "/" + n->path, [this, n, ino, info = *fi]() -> ParkedRequests::Reply {
        auto h = std::make_shared<DirHandle>();
        h->entries = list(*n);  // a snapshot: readdir pages stay consistent
        // The kernel lists the folder from its cache while it is what we would list (kernel_dir_cache.hpp).
        KernelDirCache::Digest digest;
        for (const auto& e : h->entries) digest.add(e.name, e.resolved.attr);
        bool same = kept_listings_.keep(ino, digest.value());
        return [h, info, same](fuse_req_t req) mutable {
            auto owned = std::make_unique<DirHandle>(std::move(*h));
            info.fh = reinterpret_cast<uint64_t>(owned.get());
            info.keep_cache = same;
            info.cache_readdir = true;
            if (fuse_reply_open(req, &info) == 0) owned.release();
        };
    });
}

void HubFs::readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi, bool plus) {
    auto* h = reinterpret_cast<DirHandle*>(fi->fh);
    std::vector<char> buf(size);
    size_t used = 0;
    // Offsets: 1 is ".", 2 is "..", 3 + i is entries[i].
    for (size_t i = static_cast<size_t>(off); i < h->entries.size() + 2; ++i) {
        size_t n;
        if (i < 2) {
            struct stat st {};
            st.st_ino = ino;
            st.st_mode = S_IFDIR;
            const char* name = i == 0 ? "." : "..";
            if (plus) {
                fuse_entry_param e{};
                e.attr = st;  // ino 0: no lookup reference for "." and ".."
                n = fuse_add_direntry_plus(req, buf.data() + used, size - used, name, &e, static_cast<off_t>(i + 1));
            } else {
                n = fuse_add_direntry(req, buf.data() + used, size - used, name, &st, static_cast<off_t>(i + 1));
            }
        } else {
            const DirEntry& d = h->entries[i - 2];
            if (plus) {
                // Size first without a reference, so an entry that does not fit takes none.
                fuse_entry_param probe = entry_param(d.node, d.resolved, false);
                if (fuse_add_direntry_plus(req, nullptr, 0, d.name.c_str(), &probe, 0) > size - used) break;
                fuse_entry_param e = entry_param(d.node, d.resolved, true);
                n = fuse_add_direntry_plus(req, buf.data() + used, size - used, d.name.c_str(), &e,
                                           static_cast<off_t>(i + 1));
            } else {
                struct stat st = d.resolved.attr;
                st.st_ino = inodes_.peek(d.node);
                n = fuse_add_direntry(req, buf.data() + used, size - used, d.name.c_str(), &st, static_cast<off_t>(i + 1));
            }
        }
        if (n > size - used) break;
        used += n;
    }
    fuse_reply_buf(req, buf.data(), used);
}

void HubFs::releasedir(fuse_req_t req, fuse_file_info* fi) {
    delete reinterpret_cast<DirHandle*>(fi->fh);
    fuse_reply_err(req, 0);
}

void HubFs::open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
    auto n = inodes_.get(ino);
    if (!n) return (void)fuse_reply_err(req, ENOENT);
    if (n->kind == NodeKind::control || n->kind == NodeKind::area_file) return open_control(req, *n, fi);
    if (n->kind != NodeKind::file) return (void)fuse_reply_err(req, EISDIR);
    const bool for_writing = (fi->flags & O_ACCMODE) != O_RDONLY;
    try {
        auto f = std::make_unique<OpenFile>();
        std::string content_id;
        if (for_writing) {
            f->branch = writable_branch(*n);
            if (!(fi->flags & O_TRUNC)) fetch_base_bytes(*n, f->branch);
            std::shared_lock gate(f->branch->gate);
            f->blob = stage_for_write(*n, f->branch, fi->flags & O_TRUNC, true);
            std::lock_guard lock(f->branch->mutex);
            f->marked_generation = f->branch->generation;
            content_id = "staged:" + f->blob;
        } else {
            Resolved r = resolve(*n);
            // The handle pins the commit: a reader never sees a mix of two versions.
            f->src = FileSource{n->repo, r.rev->commit, n->path, *r.entry};
            f->blob = r.blob;
            if (!r.blob.empty()) content_id = "staged:" + r.blob;
            else content_id = r.entry->content_id();
            // A renamed file not yet committed: its bytes are at its old path in the base.
            if (!r.copy_from.empty()) f->src.path = r.copy_from;
        }
        if (!f->blob.empty()) {
            int fd = ::open(writes_->staging.blob_path(f->blob).c_str(), (for_writing ? O_RDWR : O_RDONLY) | O_CLOEXEC);
            if (fd < 0) throw std::system_error(errno, std::generic_category(), "open staged " + n->path);
            f->staged.reset(fd);
        }
        {
            // Keep the kernel's pages only if they hold these very bytes (staged bytes change).
            std::lock_guard lock(kept_mutex_);
            auto& kept = kept_content_[ino];
            fi->keep_cache = kept == content_id && f->blob.empty();
            kept = content_id;
        }
        fi->fh = reinterpret_cast<uint64_t>(f.release());
        if (fuse_reply_open(req, fi) != 0) release(nullptr, fi);
    } catch (...) {
        fuse_reply_err(req, errno_from_current_exception("open " + n->repo.key() + "/" + n->path));
    }
}

void HubFs::read(fuse_req_t req, size_t size, off_t off, fuse_file_info* fi) {
    auto* f = reinterpret_cast<OpenFile*>(fi->fh);
    if (f->staged || f->control) {
        std::string buf;
        if (f->staged) {
            buf.resize(size);
            ssize_t got = ::pread(f->staged.get(), buf.data(), size, off);
            if (got < 0) return (void)fuse_reply_err(req, errno);
            buf.resize(static_cast<size_t>(got));
        } else if (static_cast<size_t>(off) < f->control_text.size()) {
            buf = f->control_text.substr(static_cast<size_t>(off), size);
        }
        return (void)fuse_reply_buf(req, buf.data(), buf.size());
    }
    const uint64_t file_size = f->src.entry.size;
    const uint64_t cs = fetcher_.chunk_size();
    uint64_t start = static_cast<uint64_t>(off);
    if (start >= file_size || size == 0) return (void)fuse_reply_buf(req, nullptr, 0);
    uint64_t end = std::min<uint64_t>(file_size, start + size);
    uint64_t first = start / cs, last = (end - 1) / cs;

    // Read-ahead (fs/read/read_ahead): a stream gets the chunks ahead of it fetched in parallel.
    ReadAhead::Plan plan;
    {
        std::lock_guard lock(f->mutex);
        plan = f->read_ahead.on_read(start, end, file_size, cs);
    }
    HUBFS_LOG(debug, "read %s [%llu, +%zu) prefetch %llu..%llu", f->src.path.c_str(), static_cast<unsigned long long>(start),
              size, static_cast<unsigned long long>(plan.first), static_cast<unsigned long long>(plan.last));
    if (!plan.empty()) {
        uint64_t taken = fetcher_.prefetch(f->src, plan.first, plan.last, plan.request_chunks);
        std::lock_guard lock(f->mutex);
        f->read_ahead.asked_until(taken);
    }

    try {
        // What is at hand (memory, disk) answers now; anything else is answered by the fetch.
        std::vector<ChunkFetcher::Chunk> chunks;
        bool all_here = true;
        for (uint64_t i = first; i <= last; ++i) {
            ChunkFetcher::Chunk c;
            {
                std::lock_guard lock(f->mutex);
                if (f->last_index == i) c = f->last_chunk;
            }
            if (!c) c = fetcher_.cached(f->src, i);
            all_here = all_here && c;
            chunks.push_back(c);
        }
        if (!all_here) return pending_.start(req, fetcher_, f->src, start, end, std::move(chunks));
        {
            std::lock_guard lock(f->mutex);
            f->last_chunk = chunks.back();
            f->last_index = last;
        }
        reply_from_chunks(req, chunks, first, cs, start, end);
    } catch (...) {
        fuse_reply_err(req, errno_from_current_exception("read " + f->src.repo.key() + "/" + f->src.path));
    }
}

void HubFs::release(fuse_req_t req, fuse_file_info* fi) {
    std::unique_ptr<OpenFile> f(reinterpret_cast<OpenFile*>(fi->fh));
    int err = 0;
    if (f->branch && !f->blob.empty()) {
        try {
            seal_written(*f, true);  // a file closed without a write is complete too (touch)
        } catch (...) {
            err = errno_from_current_exception("release");
        }
        // The last writer gone: a file already committed needs no staged copy any more.
        StagingArea::Branch& b = *f->branch;
        std::lock_guard lock(b.mutex);
        if (--b.writers[f->blob] == 0) {
            b.writers.erase(f->blob);
            std::string path = writes_->staging.path_of(b, f->blob);
            auto it = b.changes.files.find(path);
            if (it != b.changes.files.end() && !it->second.dirty) writes_->staging.erase_file(b, path);
            else if (path.empty()) writes_->staging.drop_blob(b, f->blob);
        }
    }
    if (req) fuse_reply_err(req, err);
}

void HubFs::statfs(fuse_req_t req) {
    struct statvfs st {};
    const uint64_t bsize = 4096;
    uint64_t used = cache_.total_bytes();
    uint64_t total = std::max<uint64_t>(opts_.cache_limit, used);
    st.f_bsize = st.f_frsize = bsize;
    st.f_blocks = total / bsize;
    st.f_bfree = st.f_bavail = (total - used) / bsize;
    // A Hub repository has no inode limit: report plenty free, or tools that check `df -i` refuse to write.
    st.f_files = std::max<uint64_t>(inodes_.size(), 1ull << 32);
    st.f_ffree = st.f_favail = st.f_files - inodes_.size();
    st.f_namemax = kMaxNameLength;
    fuse_reply_statfs(req, &st);
}

std::map<std::string, std::string> HubFs::xattrs(const Node& node) {
    std::map<std::string, std::string> out;
    if (!node.in_repo()) return out;
    Resolved r = resolve(node);
    out["user.hub.commit"] = r.rev->commit;
    out["user.hub.repo"] = node.repo.key();
    if (node.kind != NodeKind::file) return out;
    if (!r.blob.empty()) {  // written here, not yet committed: no id on the Hub yet
        out["user.hub.staged"] = "new";
        return out;
    }
    if (!r.copy_from.empty()) out["user.hub.staged"] = "renamed from " + r.copy_from;
    out["user.hub.oid"] = r.entry->oid;
    if (!r.entry->lfs_sha256.empty()) out["user.hub.lfs.sha256"] = r.entry->lfs_sha256;
    out["user.hub.url"] = remote_.file_url(node.repo, r.rev->commit, r.copy_from.empty() ? node.path : r.copy_from);
    out["user.hub.cached"] = std::to_string(cache_.cached_bytes(r.entry->content_id()));
    return out;
}

void HubFs::getxattr(fuse_req_t req, fuse_ino_t ino, const char* name, size_t size) {
    auto n = inodes_.get(ino);
    if (!n) return (void)fuse_reply_err(req, ENOENT);
    try {
        auto all = xattrs(*n);
        auto it = all.find(name);
        if (it == all.end()) return (void)fuse_reply_err(req, ENODATA);
        if (size == 0) return (void)fuse_reply_xattr(req, it->second.size());
        if (size < it->second.size()) return (void)fuse_reply_err(req, ERANGE);
        fuse_reply_buf(req, it->second.data(), it->second.size());
    } catch (...) {
        fuse_reply_err(req, errno_from_current_exception(std::string("getxattr ") + name));
    }
}

void HubFs::listxattr(fuse_req_t req, fuse_ino_t ino, size_t size) {
    auto n = inodes_.get(ino);
    if (!n) return (void)fuse_reply_err(req, ENOENT);
    try {
        std::string names;
        for (const auto& [k, v] : xattrs(*n)) names += k + '\0';
        if (size == 0) return (void)fuse_reply_xattr(req, names.size());
        if (size < names.size()) return (void)fuse_reply_err(req, ERANGE);
        fuse_reply_buf(req, names.data(), names.size());
    } catch (...) {
        fuse_reply_err(req, errno_from_current_exception("listxattr"));
    }
}

// Every request goes through here: an exception that escapes a handler (which replies last, so
// it has not replied yet) becomes its errno, and the request is answered once, never dropped
// and never allowed to end the process with std::terminate.
template <typename Handler>
void guarded(fuse_req_t req, const char* what, Handler&& handler) {
    try {
        handler(self(req));
    } catch (...) {
        fuse_reply_err(req, errno_from_current_exception(what));
    }
}

// The same for requests that may need the Hub (opens, xattrs, changes, fsync): the handler
// runs on the FUSE thread with network waits forbidden; one that would wait (WouldWait, thrown
// before it changed anything) runs again from the start on a thread of its own, as `owned()`:
// a copy of the call that outlives the kernel's arguments. So no FUSE thread waits for the Hub.
template <typename Handler, typename Owned>
void parkable(fuse_req_t req, const char* what, Handler&& handler, Owned&& owned) {
    try {
        NoNetworkWaits here;
        handler(self(req));
    } catch (const WouldWait&) {
        HubFs& fs = self(req);
        fs.parked_requests().run_again(req, what, [&fs, call = std::function<void(HubFs&)>(owned())] { call(fs); });
    } catch (...) {
        fuse_reply_err(req, errno_from_current_exception(what));
    }
}

const fuse_lowlevel_ops& HubFs::operations() {
    static const fuse_lowlevel_ops ops = [] {
        fuse_lowlevel_ops o{};
        o.init = [](void* userdata, fuse_conn_info* conn) { static_cast<HubFs*>(userdata)->init(conn); };
        o.lookup = [](fuse_req_t r, fuse_ino_t p, const char* n) { guarded(r, "lookup", [&](HubFs& fs) { fs.lookup(r, p, n); }); };
        o.forget = [](fuse_req_t r, fuse_ino_t i, uint64_t n) {
            self(r).forget(i, n);
            fuse_reply_none(r);
        };
        o.forget_multi = [](fuse_req_t r, size_t count, fuse_forget_data* list) {
            for (size_t k = 0; k < count; ++k) self(r).forget(list[k].ino, list[k].nlookup);
            fuse_reply_none(r);
        };
        o.getattr = [](fuse_req_t r, fuse_ino_t i, fuse_file_info*) { guarded(r, "getattr", [&](HubFs& fs) { fs.getattr(r, i); }); };
        o.opendir = [](fuse_req_t r, fuse_ino_t i, fuse_file_info* fi) { guarded(r, "opendir", [&](HubFs& fs) { fs.opendir(r, i, fi); }); };
        o.readdir = [](fuse_req_t r, fuse_ino_t i, size_t s, off_t off, fuse_file_info* fi) {
            guarded(r, "readdir", [&](HubFs& fs) { fs.readdir(r, i, s, off, fi, false); });
        };
        o.readdirplus = [](fuse_req_t r, fuse_ino_t i, size_t s, off_t off, fuse_file_info* fi) {
            guarded(r, "readdirplus", [&](HubFs& fs) { fs.readdir(r, i, s, off, fi, true); });
        };
        o.releasedir = [](fuse_req_t r, fuse_ino_t, fuse_file_info* fi) { guarded(r, "releasedir", [&](HubFs& fs) { fs.releasedir(r, fi); }); };
        o.open = [](fuse_req_t r, fuse_ino_t i, fuse_file_info* fi) {
            parkable(r, "open", [&](HubFs& fs) { fs.open(r, i, fi); },
                     [&] { return [r, i, info = *fi](HubFs& fs) mutable { fs.open(r, i, &info); }; });
        };
        o.read = [](fuse_req_t r, fuse_ino_t, size_t s, off_t off, fuse_file_info* fi) {
            guarded(r, "read", [&](HubFs& fs) { fs.read(r, s, off, fi); });
        };
        o.release = [](fuse_req_t r, fuse_ino_t, fuse_file_info* fi) { guarded(r, "release", [&](HubFs& fs) { fs.release(r, fi); }); };
        o.statfs = [](fuse_req_t r, fuse_ino_t) { guarded(r, "statfs", [&](HubFs& fs) { fs.statfs(r); }); };
        o.getxattr = [](fuse_req_t r, fuse_ino_t i, const char* n, size_t s) {
            parkable(r, "getxattr", [&](HubFs& fs) { fs.getxattr(r, i, n, s); },
                     [&] { return [r, i, name = std::string(n), s](HubFs& fs) { fs.getxattr(r, i, name.c_str(), s); }; });
        };
        o.listxattr = [](fuse_req_t r, fuse_ino_t i, size_t s) {
            parkable(r, "listxattr", [&](HubFs& fs) { fs.listxattr(r, i, s); },
                     [&] { return [r, i, s](HubFs& fs) { fs.listxattr(r, i, s); }; });
        };
        o.create = [](fuse_req_t r, fuse_ino_t p, const char* n, mode_t m, fuse_file_info* fi) {
            parkable(r, "create", [&](HubFs& fs) { fs.create(r, p, n, m, fi); }, [&] {
                return [r, p, name = std::string(n), m, info = *fi](HubFs& fs) mutable { fs.create(r, p, name.c_str(), m, &info); };
            });
        };
        o.write = [](fuse_req_t r, fuse_ino_t, const char* b, size_t s, off_t off, fuse_file_info* fi) {
            parkable(r, "write", [&](HubFs& fs) { fs.write(r, b, s, off, fi); }, [&] {  // only a control file's write waits
                return [r, bytes = std::string(b, s), off, info = *fi](HubFs& fs) mutable {
                    fs.write(r, bytes.data(), bytes.size(), off, &info);
                };
            });
        };
        o.setattr = [](fuse_req_t r, fuse_ino_t i, struct stat* a, int to_set, fuse_file_info* fi) {
            parkable(r, "setattr", [&](HubFs& fs) { fs.setattr(r, i, a, to_set, fi); }, [&] {
                std::optional<fuse_file_info> info;
                if (fi) info = *fi;
                return [r, i, attr = *a, to_set, info](HubFs& fs) mutable {
                    fs.setattr(r, i, &attr, to_set, info ? &*info : nullptr);
                };
            });
        };
        o.unlink = [](fuse_req_t r, fuse_ino_t p, const char* n) {
            parkable(r, "unlink", [&](HubFs& fs) { fs.unlink(r, p, n); },
                     [&] { return [r, p, name = std::string(n)](HubFs& fs) { fs.unlink(r, p, name.c_str()); }; });
        };
        o.mkdir = [](fuse_req_t r, fuse_ino_t p, const char* n, mode_t m) {
            parkable(r, "mkdir", [&](HubFs& fs) { fs.mkdir(r, p, n, m); },
                     [&] { return [r, p, name = std::string(n), m](HubFs& fs) { fs.mkdir(r, p, name.c_str(), m); }; });
        };
        o.rmdir = [](fuse_req_t r, fuse_ino_t p, const char* n) {
            parkable(r, "rmdir", [&](HubFs& fs) { fs.rmdir(r, p, n); },
                     [&] { return [r, p, name = std::string(n)](HubFs& fs) { fs.rmdir(r, p, name.c_str()); }; });
        };
        o.rename = [](fuse_req_t r, fuse_ino_t p, const char* n, fuse_ino_t np, const char* nn, unsigned flags) {
            parkable(r, "rename", [&](HubFs& fs) { fs.rename(r, p, n, np, nn, flags); }, [&] {
                return [r, p, name = std::string(n), np, new_name = std::string(nn), flags](HubFs& fs) {
                    fs.rename(r, p, name.c_str(), np, new_name.c_str(), flags);
                };
            });
        };
        o.flush = [](fuse_req_t r, fuse_ino_t, fuse_file_info* fi) { guarded(r, "flush", [&](HubFs& fs) { fs.flush(r, fi); }); };
        o.fsync = [](fuse_req_t r, fuse_ino_t i, int, fuse_file_info* fi) {
            parkable(r, "fsync", [&](HubFs& fs) { fs.fsync(r, i, fi); },
                     [&] { return [r, i, info = *fi](HubFs& fs) mutable { fs.fsync(r, i, &info); }; });
        };
        o.fsyncdir = [](fuse_req_t r, fuse_ino_t i, int, fuse_file_info*) {
            parkable(r, "fsyncdir", [&](HubFs& fs) { fs.fsync(r, i, nullptr); },
                     [&] { return [r, i](HubFs& fs) { fs.fsync(r, i, nullptr); }; });
        };
        o.mknod = [](fuse_req_t r, fuse_ino_t p, const char* n, mode_t m, dev_t d) {
            parkable(r, "mknod", [&](HubFs& fs) { fs.mknod(r, p, n, m, d); },
                     [&] { return [r, p, name = std::string(n), m, d](HubFs& fs) { fs.mknod(r, p, name.c_str(), m, d); }; });
        };
        o.symlink = [](fuse_req_t r, const char* t, fuse_ino_t p, const char* n) {
            parkable(r, "symlink", [&](HubFs& fs) { fs.symlink(r, t, p, n); }, [&] {
                return [r, target = std::string(t), p, name = std::string(n)](HubFs& fs) {
                    fs.symlink(r, target.c_str(), p, name.c_str());
                };
            });
        };
        o.readlink = [](fuse_req_t r, fuse_ino_t i) { guarded(r, "readlink", [&](HubFs& fs) { fs.readlink(r, i); }); };
        // A hard link would be two names of one file; the Hub stores each path's bytes apart.
        o.link = [](fuse_req_t r, fuse_ino_t, fuse_ino_t, const char*) { fuse_reply_err(r, EPERM); };
        return o;
    }();
    return ops;
}

}  // namespace hubfs::fs
