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

#include "fs/cache/blob_file.hpp"
#include "fs/common/log.hpp"
#include "fs/errno_map.hpp"
#include "fs/network_wait.hpp"
#include "fs/fuse/reply_pieces.hpp"

namespace hubfs::fs {
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
      writes_(writes),
      passthrough_(opts_.passthrough),
      pieces_(remote_, fetcher_.chunk_size()),
      resolver_(catalog_, opts_, writes_, inodes_, local_attrs_, control_areas_, mount_time_) {}

void HubFs::touch_folder(const Node& folder) {
    timespec now = now_timespec();
    local_attrs_.update(resolver_.attr_key(folder), [&](LocalAttr& a) { a.mtime = a.ctime = now; });
}

void HubFs::set_created(Request& req, const Node& made, mode_t mode) {
    const fuse_ctx* ctx = req.ctx();
    timespec now = now_timespec();
    local_attrs_.update(resolver_.attr_key(made), [&](LocalAttr& a) {
        a = LocalAttr{mode & 07777, ctx->uid, ctx->gid, now, now, now};
    });
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
    // Replies from the disk cache are spliced only if a pipe can hold the largest (reply_pieces.hpp).
    const size_t largest = opts_.max_read, buffers = opts_.max_read / fetcher_.chunk_size() + 1;
    splice_replies_ = (conn->want & FUSE_CAP_SPLICE_WRITE) && splice_fits(largest, buffers);
    if (splice_replies_)
        HUBFS_LOG(info, "splice: on (reads from the disk cache are spliced to the kernel)");
    else
        HUBFS_LOG(info, "splice: off (a pipe cannot hold a %u KiB reply: see /proc/sys/fs/pipe-max-size); "
                        "reads from the disk cache go through reused buffers", opts_.max_read >> 10);
}

// lookup, getattr and opendir may need the Hub (a name to resolve, a folder never listed):
// they run through parked_, which computes them on the FUSE thread when everything they need
// is known and on a thread of their own otherwise (a stalled Hub holds no FUSE thread).
void HubFs::lookup(Request& req, fuse_ino_t parent, const char* name) {
    auto p = inodes_.get(parent);
    if (!p) return (void)req.err(ENOENT);
    if (std::strlen(name) > kMaxNameLength) return (void)req.err(ENAMETOOLONG);
    parked_.run(std::move(req), std::string("lookup ") + name, [this, p, name = std::string(name)]() -> ParkedRequests::Reply {
        try {
            auto n = resolver_.child(*p, name);
            if (!n) {
                fuse_entry_param neg{};  // negative entry, cached like the folder it is missing from
                neg.entry_timeout = p->in_repo() ? resolver_.timeout_for(*p) : 1.0;
                return [neg](Request& r) { r.entry(&neg); };
            }
            Resolved r = resolver_.resolve(*n);
            // The inode's reference is taken only with the answer (a parked caller may be gone).
            return [this, node = *n, r](Request& req) {
                fuse_entry_param e = resolver_.entry_param(node, r, true);
                if (req.entry(&e) != 0) inodes_.forget(e.ino, 1);
            };
        } catch (const WouldWait&) {
            throw;
        } catch (...) {
            int err = errno_from_current_exception("lookup " + name);
            if (err != ENOENT) return reply_error(err);
            return [](Request& r) {
                fuse_entry_param neg{};
                neg.entry_timeout = 1.0;
                r.entry(&neg);
            };
        }
    });
}

void HubFs::remember_removed(const Node& file) {
    fuse_ino_t ino = inodes_.peek(file);
    if (!ino) return;
    Resolved r = resolver_.resolve(file);
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

void HubFs::getattr(Request& req, fuse_ino_t ino) {
    auto n = inodes_.get(ino);
    if (!n) return (void)req.err(ENOENT);
    parked_.run(std::move(req), "getattr " + n->repo.key() + "/" + n->path, [this, n, ino]() -> ParkedRequests::Reply {
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
            return [attr](Request& req) { req.attr(&attr, 0); };
        }
        Resolved r = resolver_.resolve(*n);
        r.attr.st_ino = ino;
        return [attr = r.attr, timeout = resolver_.timeout_for(*n)](Request& req) { req.attr(&attr, timeout); };
    });
}

void HubFs::opendir(Request& req, fuse_ino_t ino, fuse_file_info* fi) {
    auto n = inodes_.get(ino);
    if (!n) return (void)req.err(ENOENT);
    if (n->kind == NodeKind::file || n->kind == NodeKind::control || n->kind == NodeKind::area_file)
        return (void)req.err(ENOTDIR);
    // The kernel's file info lives only as long as this call: the answer gets a copy.
    parked_.run(std::move(req), "opendir " + n->repo.key() + "/" + n->path, [this, n, ino, info = *fi]() -> ParkedRequests::Reply {
        auto h = std::make_shared<DirHandle>();
        h->entries = resolver_.list(*n);  // a snapshot: readdir pages stay consistent
        // The kernel lists the folder from its cache while it is what we would list (kernel_dir_cache.hpp).
        KernelDirCache::Digest digest;
        for (const auto& e : h->entries) digest.add(e.name, e.resolved.attr);
        bool same = kept_listings_.keep(ino, digest.value());
        return [h, info, same](Request& req) mutable {
            auto owned = std::make_unique<DirHandle>(std::move(*h));
            info.fh = reinterpret_cast<uint64_t>(owned.get());
            info.keep_cache = same;
            info.cache_readdir = true;
            if (req.open(&info) == 0) owned.release();
        };
    });
}

void HubFs::readdir(Request& req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi, bool plus) {
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
                n = fuse_add_direntry_plus(req.raw(), buf.data() + used, size - used, name, &e, static_cast<off_t>(i + 1));
            } else {
                n = fuse_add_direntry(req.raw(), buf.data() + used, size - used, name, &st, static_cast<off_t>(i + 1));
            }
        } else {
            const DirEntry& d = h->entries[i - 2];
            if (plus) {
                // Size first without a reference, so an entry that does not fit takes none.
                fuse_entry_param probe = resolver_.entry_param(d.node, d.resolved, false);
                if (fuse_add_direntry_plus(req.raw(), nullptr, 0, d.name.c_str(), &probe, 0) > size - used) break;
                fuse_entry_param e = resolver_.entry_param(d.node, d.resolved, true);
                n = fuse_add_direntry_plus(req.raw(), buf.data() + used, size - used, d.name.c_str(), &e,
                                           static_cast<off_t>(i + 1));
            } else {
                struct stat st = d.resolved.attr;
                st.st_ino = inodes_.peek(d.node);
                n = fuse_add_direntry(req.raw(), buf.data() + used, size - used, d.name.c_str(), &st, static_cast<off_t>(i + 1));
            }
        }
        if (n > size - used) break;
        used += n;
    }
    req.buf(buf.data(), used);
}

void HubFs::releasedir(Request& req, fuse_file_info* fi) {
    delete reinterpret_cast<DirHandle*>(fi->fh);
    req.err(0);
}

void HubFs::open(Request& req, fuse_ino_t ino, fuse_file_info* fi) {
    auto n = inodes_.get(ino);
    if (!n) return (void)req.err(ENOENT);
    if (n->kind == NodeKind::control || n->kind == NodeKind::area_file) return open_control(req, *n, fi);
    if (n->kind != NodeKind::file) return (void)req.err(EISDIR);
    const bool for_writing = (fi->flags & O_ACCMODE) != O_RDONLY;
    try {
        auto f = std::make_unique<OpenFile>();
        std::string content_id, blob;
        if (for_writing) {
            auto& w = f->emplace<StagedHandle>();
            w.branch = writable_branch(*n);
            if (!(fi->flags & O_TRUNC)) fetch_base_bytes(*n, w.branch);
            std::shared_lock gate(w.branch->gate);
            w.blob = blob = stage_for_write(*n, w.branch, fi->flags & O_TRUNC, true);
            std::lock_guard lock(w.branch->mutex);
            w.marked_generation = w.branch->generation;
        } else if (Resolved r = resolver_.resolve(*n); !r.blob.empty()) {
            f->emplace<StagedHandle>().blob = blob = r.blob;
        } else {
            auto& c = f->emplace<CommittedHandle>();
            c.read_ahead = ReadAhead(opts_.read_ahead);
            c.src = FileSource{n->repo, r.rev->commit, n->path, *r.entry};
            content_id = r.entry->content_id();
            // A renamed file not yet committed: its bytes are at its old path in the base.
            if (!r.copy_from.empty()) c.src.path = r.copy_from;
        }
        std::shared_ptr<const cache::BlobFile> backing;
        if (!blob.empty()) {
            content_id = "staged:" + blob;
            int fd = ::open(writes_->staging.blob_path(blob).c_str(), (for_writing ? O_RDWR : O_RDONLY) | O_CLOEXEC);
            if (fd < 0) throw std::system_error(errno, std::generic_category(), "open staged " + n->path);
            std::get<StagedHandle>(*f).fd.reset(fd);
        } else if (passthrough_.active()) {
            try {
                // Also a blob file only on disk: the kernel's read-ahead of it was as fast as hubfs's
                // chunk reads or 4-5x faster, at no daemon CPU (BENCHMARKS.md, "Passthrough from disk").
                backing = cache_.locate_whole(content_id);
            } catch (const std::exception& e) {  // not fatal: the open reads through hubfs
                HUBFS_LOG(warn, "passthrough: cannot look up %s in the cache: %s", n->path.c_str(), e.what());
            }
        }
        fi->fh = reinterpret_cast<uint64_t>(f.release());
        reply_open(req, ino, fi, content_id, backing);
    } catch (...) {
        req.err(errno_from_current_exception("open " + n->repo.key() + "/" + n->path));
    }
}

void HubFs::reply_open(Request& req, fuse_ino_t ino, fuse_file_info* fi, const std::string& content,
                      const std::shared_ptr<const cache::BlobFile>& backing) {
    if (auto grant = passthrough_.decide(ino, fi->fh, content, backing ? backing->fd() : -1)) {
        fi->keep_cache = false;  // not allowed with passthrough; FUSE's page cache is not used
        fi->direct_io = grant->through_daemon;
    } else {
        // Keep the kernel's pages only if they hold these very bytes (staged bytes change).
        std::lock_guard lock(kept_mutex_);
        auto& kept = kept_content_[ino];
        fi->keep_cache = kept == content && content.rfind("staged:", 0) != 0;
        kept = content;
    }
    if (req.open(fi) != 0) close_handle(fi);
}

void HubFs::read_local(Request& req, OpenFile& open, size_t size, off_t off) {
    std::string buf;
    if (auto* s = std::get_if<StagedHandle>(&open)) {
        buf.resize(size);
        ssize_t got = ::pread(s->fd.get(), buf.data(), size, off);
        if (got < 0) return (void)req.err(errno);
        buf.resize(static_cast<size_t>(got));
    } else if (auto& c = std::get<ControlHandle>(open); c.file->read_at) {
        try {
            buf = c.file->read_at(static_cast<uint64_t>(off), size);
        } catch (...) {
            return (void)req.err(errno_from_current_exception("read control file"));
        }
    } else if (static_cast<size_t>(off) < c.text.size()) {
        buf = c.text.substr(static_cast<size_t>(off), size);
    }
    req.buf(buf.data(), buf.size());
}

void HubFs::read(Request& req, size_t size, off_t off, fuse_file_info* fi) {
    auto* f = std::get_if<CommittedHandle>(&open_file(fi));
    if (!f) return read_local(req, open_file(fi), size, off);
    const uint64_t file_size = f->src.entry.size;
    const uint64_t cs = fetcher_.chunk_size();
    uint64_t start = static_cast<uint64_t>(off);
    if (start >= file_size || size == 0) return (void)req.buf(nullptr, 0);
    uint64_t end = std::min<uint64_t>(file_size, start + size);
    uint64_t first = start / cs, last = (end - 1) / cs;

    // Read-ahead (fs/read/read_ahead): a stream gets the chunks ahead of it fetched in parallel.
    ReadAhead::Plan plan;
    bool lone = false;
    {
        std::lock_guard lock(f->mutex);
        plan = f->read_ahead.on_read(start, end, file_size, cs);
        lone = f->read_ahead.lone();
    }
    HUBFS_LOG(debug, "read %s [%llu, +%zu) prefetch %llu..%llu", f->src.path.c_str(), static_cast<unsigned long long>(start),
              size, static_cast<unsigned long long>(plan.first), static_cast<unsigned long long>(plan.last));
    if (!plan.empty()) {
        uint64_t taken = fetcher_.prefetch(f->src, plan.first, plan.last, plan.request_chunks);
        std::lock_guard lock(f->mutex);
        f->read_ahead.asked_until(taken);
    }

    try {
        // What is at hand (memory, disk) answers now, disk bytes spliced from the blob file
        // (reply_pieces); anything else is answered by the fetch.
        std::vector<ChunkFetcher::Piece> pieces;
        bool all_here = true;
        for (uint64_t i = first; i <= last; ++i) {
            ChunkFetcher::Piece p;
            {
                std::lock_guard lock(f->mutex);
                if (f->last_index == i) p.mem = f->last_chunk;
            }
            if (!p.mem) p = fetcher_.at_hand(f->src, i);
            all_here = all_here && p.here();
            pieces.push_back(std::move(p));
        }
        if (!all_here) {
            // A lone read fetches its pages only (fs/read/piece_fetcher), unless its chunk is on its way.
            auto span = lone ? pieces_.span(start, end, file_size) : PieceFetcher::Span{};
            if (span.length && !fetcher_.fetching(f->src, first, last))
                return pending_.start_piece(std::move(req), pieces_, f->src, start, end, span);
            std::vector<ChunkFetcher::Chunk> chunks;
            for (uint64_t i = first; i <= last; ++i) {
                const auto& p = pieces[i - first];
                chunks.push_back(p.mem ? p.mem : p.disk.file ? fetcher_.cached(f->src, i) : nullptr);
            }
            return pending_.start(std::move(req), fetcher_, f->src, start, end, std::move(chunks));
        }
        if (pieces.back().mem) {
            std::lock_guard lock(f->mutex);
            f->last_chunk = pieces.back().mem;
            f->last_index = last;
        }
        reply_from_pieces(req, pieces, first, cs, start, end, splice_replies_ ? nullptr : &fetcher_);
    } catch (...) {
        req.err(errno_from_current_exception("read " + f->src.repo.key() + "/" + f->src.path));
    }
}

void HubFs::release(Request& req, fuse_file_info* fi) { req.err(close_handle(fi)); }

int HubFs::close_handle(fuse_file_info* fi) {
    passthrough_.closed(fi->fh);
    std::unique_ptr<OpenFile> open(&open_file(fi));
    auto* f = std::get_if<StagedHandle>(open.get());
    int err = 0;
    if (f && f->branch) {
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
    return err;
}

void HubFs::statfs(Request& req) {
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
    req.statfs(&st);
}

std::map<std::string, std::string> HubFs::xattrs(const Node& node) {
    std::map<std::string, std::string> out;
    if (!node.in_repo()) return out;
    Resolved r = resolver_.resolve(node);
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

void HubFs::getxattr(Request& req, fuse_ino_t ino, const char* name, size_t size) {
    // --no-xattrs: ENOSYS makes the kernel answer every later getxattr itself (EOPNOTSUPP).
    if (!opts_.xattrs) return (void)req.err(ENOSYS);
    auto n = inodes_.get(ino);
    if (!n) return (void)req.err(ENOENT);
    // Only user.hub.* exist, so the rest is answered without resolving the node. A name outside
    // the user namespace is EOPNOTSUPP, not ENODATA: `ls -l` asks every file for
    // security.selinux and system.posix_acl_access (FUSE caches neither answer), and stops
    // asking for the rest of a device once one says "not supported" (ENODATA: 2 round trips a file).
    if (std::strncmp(name, "user.", 5) != 0) return (void)req.err(EOPNOTSUPP);
    if (std::strncmp(name, "user.hub.", 9) != 0) return (void)req.err(ENODATA);
    try {
        auto all = xattrs(*n);
        auto it = all.find(name);
        if (it == all.end()) return (void)req.err(ENODATA);
        if (size == 0) return (void)req.xattr(it->second.size());
        if (size < it->second.size()) return (void)req.err(ERANGE);
        req.buf(it->second.data(), it->second.size());
    } catch (...) {
        req.err(errno_from_current_exception(std::string("getxattr ") + name));
    }
}

void HubFs::listxattr(Request& req, fuse_ino_t ino, size_t size) {
    if (!opts_.xattrs) return (void)req.err(ENOSYS);  // as getxattr: the kernel asks no more
    auto n = inodes_.get(ino);
    if (!n) return (void)req.err(ENOENT);
    try {
        std::string names;
        for (const auto& [k, v] : xattrs(*n)) names += k + '\0';
        if (size == 0) return (void)req.xattr(names.size());
        if (size < names.size()) return (void)req.err(ERANGE);
        req.buf(names.data(), names.size());
    } catch (...) {
        req.err(errno_from_current_exception("listxattr"));
    }
}

}  // namespace hubfs::fs
