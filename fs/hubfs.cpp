#include "hubfs.hpp"

#include <sys/statvfs.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <memory>
#include <vector>

#include "common/log.hpp"
#include "errno_map.hpp"

namespace hubfs::fs {
namespace {

HubFs& self(fuse_req_t req) { return *static_cast<HubFs*>(fuse_req_userdata(req)); }

std::string join(const std::string& dir, const std::string& name) { return dir.empty() ? name : dir + "/" + name; }

constexpr double kPinnedTimeout = 24 * 3600.0;  // commits never change

}  // namespace

HubFs::HubFs(Catalog& catalog, ChunkFetcher& fetcher, cache::Cache& cache, Remote& remote, FsOptions opts)
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
      mount_time_(static_cast<int64_t>(std::time(nullptr))) {}

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

double HubFs::timeout_for(const Node& node) const {
    if (node.in_repo() && is_commit_sha(node.rev)) return kPinnedTimeout;
    if (!node.in_repo()) return 1.0;
    return static_cast<double>(opts_.revision_ttl.count());
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
            r.rev = catalog_.resolve(node.repo, node.rev);
            r.attr = dir_attr(r.rev->time);
            return r;
        case NodeKind::folder:
        case NodeKind::file: {
            r.rev = catalog_.resolve(node.repo, node.rev);
            r.entry = catalog_.entry(node.repo, *r.rev, node.path);
            if (!r.entry || r.entry->is_dir != (node.kind == NodeKind::folder))
                throw RemoteError(RemoteError::Kind::not_found, node.repo.key() + ": no " + node.path + " at " + r.rev->commit);
            r.attr = node.kind == NodeKind::folder ? dir_attr(r.rev->time) : file_attr(*r.entry, r.rev->time);
            return r;
        }
    }
    return r;
}

std::optional<Node> HubFs::child(const Node& parent, const std::string& name) {
    Node n;
    switch (parent.kind) {
        case NodeKind::root: {
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
            auto rev = catalog_.resolve(parent.repo, parent.rev);
            std::string path = join(parent.path, name);
            auto e = catalog_.entry(parent.repo, rev, path);
            if (!e) return std::nullopt;
            n = parent;
            n.kind = e->is_dir ? NodeKind::folder : NodeKind::file;
            n.path = path;
            return n;
        }
        case NodeKind::file: return std::nullopt;
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
                out.push_back({name, n, r});
            }
            break;
        case NodeKind::repo_dir:
        case NodeKind::folder: {
            auto rev = catalog_.resolve(dir.repo, dir.rev);
            auto folder = catalog_.folder(dir.repo, rev, dir.path);
            for (const auto& e : folder->entries) {
                Node n = dir;
                n.kind = e.is_dir ? NodeKind::folder : NodeKind::file;
                n.path = join(dir.path, e.name);
                Resolved r;
                r.rev = rev;
                r.entry = e;
                r.attr = e.is_dir ? dir_attr(rev.time) : file_attr(e, rev.time);
                out.push_back({e.name, n, r});
            }
            break;
        }
        case NodeKind::file: break;
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
    conn->max_readahead = std::max<unsigned>(conn->max_readahead, opts_.max_read);
    if (conn->capable & FUSE_CAP_READDIRPLUS) conn->want |= FUSE_CAP_READDIRPLUS;
    if (conn->capable & FUSE_CAP_READDIRPLUS_AUTO) conn->want &= ~FUSE_CAP_READDIRPLUS_AUTO;  // always plus
    if (conn->capable & FUSE_CAP_ASYNC_READ) conn->want |= FUSE_CAP_ASYNC_READ;
    if (conn->capable & FUSE_CAP_SPLICE_WRITE) conn->want |= FUSE_CAP_SPLICE_WRITE;
}

void HubFs::lookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
    auto p = inodes_.get(parent);
    if (!p) return (void)fuse_reply_err(req, ENOENT);
    try {
        auto n = child(*p, name);
        if (!n) {
            fuse_entry_param neg{};  // negative entry, cached like the folder it is missing from
            neg.entry_timeout = p->in_repo() ? timeout_for(*p) : 1.0;
            return (void)fuse_reply_entry(req, &neg);
        }
        Resolved r = resolve(*n);
        fuse_entry_param e = entry_param(*n, r, true);
        if (fuse_reply_entry(req, &e) != 0) inodes_.forget(e.ino, 1);
    } catch (...) {
        int err = errno_from_current_exception(std::string("lookup ") + name);
        if (err == ENOENT) {
            fuse_entry_param neg{};
            neg.entry_timeout = 1.0;
            return (void)fuse_reply_entry(req, &neg);
        }
        fuse_reply_err(req, err);
    }
}

void HubFs::getattr(fuse_req_t req, fuse_ino_t ino) {
    auto n = inodes_.get(ino);
    if (!n) return (void)fuse_reply_err(req, ENOENT);
    try {
        Resolved r = resolve(*n);
        r.attr.st_ino = ino;
        fuse_reply_attr(req, &r.attr, timeout_for(*n));
    } catch (...) {
        fuse_reply_err(req, errno_from_current_exception("getattr " + n->repo.key() + "/" + n->path));
    }
}

void HubFs::opendir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
    auto n = inodes_.get(ino);
    if (!n) return (void)fuse_reply_err(req, ENOENT);
    if (n->kind == NodeKind::file) return (void)fuse_reply_err(req, ENOTDIR);
    try {
        auto h = std::make_unique<DirHandle>();
        h->entries = list(*n);  // a snapshot: readdir pages stay consistent
        fi->fh = reinterpret_cast<uint64_t>(h.release());
        fi->keep_cache = n->in_repo() && is_commit_sha(n->rev);
        fi->cache_readdir = fi->keep_cache;
        if (fuse_reply_open(req, fi) != 0) delete reinterpret_cast<DirHandle*>(fi->fh);
    } catch (...) {
        fuse_reply_err(req, errno_from_current_exception("opendir " + n->repo.key() + "/" + n->path));
    }
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
    if (n->kind != NodeKind::file) return (void)fuse_reply_err(req, EISDIR);
    if ((fi->flags & O_ACCMODE) != O_RDONLY) return (void)fuse_reply_err(req, EROFS);
    try {
        Resolved r = resolve(*n);
        // The handle pins the commit: a reader never sees a mix of two versions.
        auto f = std::make_unique<OpenFile>();
        f->src = FileSource{n->repo, r.rev->commit, n->path, *r.entry};
        {
            // Keep the kernel's pages only if they hold these very bytes.
            std::lock_guard lock(kept_mutex_);
            auto& kept = kept_content_[ino];
            fi->keep_cache = kept == r.entry->content_id();
            kept = r.entry->content_id();
        }
        fi->fh = reinterpret_cast<uint64_t>(f.release());
        if (fuse_reply_open(req, fi) != 0) delete reinterpret_cast<OpenFile*>(fi->fh);
    } catch (...) {
        fuse_reply_err(req, errno_from_current_exception("open " + n->repo.key() + "/" + n->path));
    }
}

void HubFs::read(fuse_req_t req, size_t size, off_t off, fuse_file_info* fi) {
    auto* f = reinterpret_cast<OpenFile*>(fi->fh);
    const uint64_t file_size = f->src.entry.size;
    const uint64_t cs = fetcher_.chunk_size();
    uint64_t start = static_cast<uint64_t>(off);
    if (start >= file_size || size == 0) return (void)fuse_reply_buf(req, nullptr, 0);
    uint64_t end = std::min<uint64_t>(file_size, start + size);
    uint64_t first = start / cs, last = (end - 1) / cs;

    // Read-ahead: a stream that goes on where it stopped gets a window that doubles each time
    // the reader gets within half a window of its end; a jump resets it (random reads fetch only
    // what they need). The kernel may split and reorder one large read: "near" counts as on.
    uint64_t prefetch_from = 0, prefetch_to = 0;
    {
        std::lock_guard lock(f->mutex);
        bool sequential = f->next_offset > 0 && start + opts_.max_read >= f->next_offset &&
                          start <= f->next_offset + opts_.max_read;
        if (!sequential) {
            f->window = 0;
            f->prefetched = 0;
            f->next_offset = end;
        } else {
            f->next_offset = std::max(f->next_offset, end);
            // Once the reader is within half a window of what was asked for, ask for more,
            // with a window twice as large (1 MiB, 2, 4, ... up to readahead_max).
            uint64_t asked = f->prefetched * cs;
            uint64_t half = f->window ? f->window / 2 : opts_.readahead_initial;
            if (end + half >= asked) {
                f->window = f->window ? std::min(f->window * 2, opts_.readahead_max) : opts_.readahead_initial;
                uint64_t to = (std::min<uint64_t>(file_size, end + f->window) - 1) / cs;
                uint64_t from = std::max(last + 1, f->prefetched);
                if (to >= from) {
                    prefetch_from = from;
                    prefetch_to = to;
                    f->prefetched = to + 1;
                }
            }
        }
    }
    HUBFS_LOG(debug, "read %s [%llu, +%zu) prefetch %llu..%llu", f->src.path.c_str(), static_cast<unsigned long long>(start),
              size, static_cast<unsigned long long>(prefetch_from), static_cast<unsigned long long>(prefetch_to));
    if (prefetch_from) fetcher_.prefetch(f->src, prefetch_from, prefetch_to);

    try {
        std::vector<ChunkFetcher::Chunk> chunks;
        for (uint64_t i = first; i <= last; ++i) {
            ChunkFetcher::Chunk c;
            {
                std::lock_guard lock(f->mutex);
                if (f->last_index == i) c = f->last_chunk;
            }
            if (!c) c = fetcher_.get(f->src, i);
            chunks.push_back(c);
        }
        {
            std::lock_guard lock(f->mutex);
            f->last_chunk = chunks.back();
            f->last_index = last;
        }
        std::vector<iovec> iov;
        for (uint64_t i = first; i <= last; ++i) {
            const std::string& c = *chunks[i - first];
            uint64_t chunk_start = i * cs;
            uint64_t from = std::max(start, chunk_start) - chunk_start;
            uint64_t to = std::min<uint64_t>(end, chunk_start + c.size()) - chunk_start;
            if (to > from) iov.push_back({const_cast<char*>(c.data() + from), static_cast<size_t>(to - from)});
        }
        fuse_reply_iov(req, iov.data(), static_cast<int>(iov.size()));
    } catch (...) {
        fuse_reply_err(req, errno_from_current_exception("read " + f->src.repo.key() + "/" + f->src.path));
    }
}

void HubFs::release(fuse_req_t req, fuse_file_info* fi) {
    delete reinterpret_cast<OpenFile*>(fi->fh);
    fuse_reply_err(req, 0);
}

void HubFs::statfs(fuse_req_t req) {
    struct statvfs st {};
    const uint64_t bsize = 4096;
    uint64_t used = cache_.total_bytes();
    uint64_t total = std::max<uint64_t>(opts_.cache_limit, used);
    st.f_bsize = st.f_frsize = bsize;
    st.f_blocks = total / bsize;
    st.f_bfree = st.f_bavail = (total - used) / bsize;
    st.f_files = inodes_.size();
    st.f_namemax = 255;
    fuse_reply_statfs(req, &st);
}

std::map<std::string, std::string> HubFs::xattrs(const Node& node) {
    std::map<std::string, std::string> out;
    if (!node.in_repo()) return out;
    Resolved r = resolve(node);
    out["user.hub.commit"] = r.rev->commit;
    out["user.hub.repo"] = node.repo.key();
    if (node.kind != NodeKind::file) return out;
    out["user.hub.oid"] = r.entry->oid;
    if (!r.entry->lfs_sha256.empty()) out["user.hub.lfs.sha256"] = r.entry->lfs_sha256;
    out["user.hub.url"] = remote_.file_url(node.repo, r.rev->commit, node.path);
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

const fuse_lowlevel_ops& HubFs::operations() {
    static const fuse_lowlevel_ops ops = [] {
        fuse_lowlevel_ops o{};
        o.init = [](void* userdata, fuse_conn_info* conn) { static_cast<HubFs*>(userdata)->init(conn); };
        o.lookup = [](fuse_req_t r, fuse_ino_t p, const char* n) { self(r).lookup(r, p, n); };
        o.forget = [](fuse_req_t r, fuse_ino_t i, uint64_t n) {
            self(r).forget(i, n);
            fuse_reply_none(r);
        };
        o.forget_multi = [](fuse_req_t r, size_t count, fuse_forget_data* list) {
            for (size_t k = 0; k < count; ++k) self(r).forget(list[k].ino, list[k].nlookup);
            fuse_reply_none(r);
        };
        o.getattr = [](fuse_req_t r, fuse_ino_t i, fuse_file_info*) { self(r).getattr(r, i); };
        o.opendir = [](fuse_req_t r, fuse_ino_t i, fuse_file_info* fi) { self(r).opendir(r, i, fi); };
        o.readdir = [](fuse_req_t r, fuse_ino_t i, size_t s, off_t off, fuse_file_info* fi) {
            self(r).readdir(r, i, s, off, fi, false);
        };
        o.readdirplus = [](fuse_req_t r, fuse_ino_t i, size_t s, off_t off, fuse_file_info* fi) {
            self(r).readdir(r, i, s, off, fi, true);
        };
        o.releasedir = [](fuse_req_t r, fuse_ino_t, fuse_file_info* fi) { self(r).releasedir(r, fi); };
        o.open = [](fuse_req_t r, fuse_ino_t i, fuse_file_info* fi) { self(r).open(r, i, fi); };
        o.read = [](fuse_req_t r, fuse_ino_t, size_t s, off_t off, fuse_file_info* fi) { self(r).read(r, s, off, fi); };
        o.release = [](fuse_req_t r, fuse_ino_t, fuse_file_info* fi) { self(r).release(r, fi); };
        o.statfs = [](fuse_req_t r, fuse_ino_t) { self(r).statfs(r); };
        o.getxattr = [](fuse_req_t r, fuse_ino_t i, const char* n, size_t s) { self(r).getxattr(r, i, n, s); };
        o.listxattr = [](fuse_req_t r, fuse_ino_t i, size_t s) { self(r).listxattr(r, i, s); };
        return o;
    }();
    return ops;
}

}  // namespace hubfs::fs
