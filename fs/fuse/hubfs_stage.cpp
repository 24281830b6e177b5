// HubFs's staging of changes for the write handlers (hubfs_write.cpp): a file's bytes made
// ready to write (materialize, stage_for_write), and removals and renames as journal
// transactions of the branch's staging (stage_remove, apply_remove, stage_move).
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "fs/common/log.hpp"
#include "fs/common/write_all.hpp"
#include "fs/errno_map.hpp"
#include "fs/fuse/hubfs.hpp"
#include "fs/network_wait.hpp"

namespace hubfs::fs {
namespace {

bool read_by_commit(StagingArea::Branch& b, const std::string& blob) {
    std::lock_guard lock(b.mutex);
    return b.in_flight.count(blob) > 0;
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

void HubFs::fetch_base_bytes(const Node& node, const BranchPtr& b) {
    View v = branch_view(b);
    auto found = resolver_.find(node.repo, v, node.path);
    if (!found || !found->blob.empty() || found->entry.is_dir) return;  // staged already, or no bytes
    const RemoteEntry& e = found->entry;
    if (cache_.cached_bytes(e.content_id()) >= e.size) return;
    may_wait_for_network();
    FileSource src{node.repo, v.rev.commit, found->copy_from.empty() ? node.path : found->copy_from, e};
    fetcher_.get_all(src, [](uint64_t, const ChunkFetcher::Chunk&) {});  // into the cache
}

std::string HubFs::materialize(const RepoRef& repo, const Revision& base, const std::string& path, const RemoteEntry& e) {
    if (cache_.cached_bytes(e.content_id()) < e.size) may_wait_for_network();
    std::string blob = writes_->staging.new_blob();
    try {
        UniqueFd fd(::open(writes_->staging.blob_path(blob).c_str(), O_WRONLY | O_CLOEXEC));
        if (!fd) fail_errno("open staged file");
        const uint64_t cs = fetcher_.chunk_size();
        fetcher_.get_all(FileSource{repo, base.commit, path, e}, [&](uint64_t i, const ChunkFetcher::Chunk& chunk) {
            write_all(fd.get(), *chunk, i * cs, "write staged file");
        });
        return blob;
    } catch (...) {
        writes_->staging.remove_blob(blob);
        throw;
    }
}

std::string HubFs::stage_for_write(const Node& node, const BranchPtr& b, bool truncate, bool as_writer) {
    StagingArea& staging = writes_->staging;
    View v = branch_view(b);
    auto found = resolver_.find(node.repo, v, node.path);
    if (!found) throw FsError(ENOENT, node.path + " is gone");
    if (found->entry.is_dir) throw FsError(EISDIR, node.path + " is a folder");
    std::string blob;
    std::optional<Seal> seal;
    if (found->blob.empty()) {
        // Committed bytes (or a renamed file's) are copied into staging before they change.
        blob = truncate ? staging.new_blob()
                        : materialize(node.repo, v.rev, found->copy_from.empty() ? node.path : found->copy_from,
                                      found->entry);
    } else if (read_by_commit(*b, found->blob)) {
        // A running commit uploads these bytes: the writer gets a copy, never changes them under it.
        blob = staging.new_blob();
        if (!truncate) {
            std::filesystem::copy_file(staging.blob_path(found->blob), staging.blob_path(blob),
                                       std::filesystem::copy_options::overwrite_existing);
            std::lock_guard lock(b->mutex);
            if (const StagedFile* f = b->changes.file(node.path); f && f->blob == found->blob) seal = f->seal;
        }
    }
    {
        std::lock_guard lock(b->mutex);
        const StagedFile* current = b->changes.file(node.path);
        if (current && !current->blob.empty() && !b->in_flight.count(current->blob)) {  // staged already
            if (!blob.empty()) staging.remove_blob(blob);
            blob = current->blob;
            if (truncate) staging.truncate(blob, -1, 0);
            staging.mark_dirty(*b, node.path);
        } else if (!blob.empty()) {
            staging.put_file(*b, node.path, StagedFile{blob, {}, {}, true, seal});
        }
        if (!blob.empty()) {
            if (as_writer) ++b->writers[blob];
            return blob;
        }
    }
    // A commit began, or the file went, between the look above and the lock: look again.
    return stage_for_write(node, b, truncate, as_writer);
}

bool HubFs::in_base(const RepoRef& repo, const BranchPtr& b, const std::string& path, bool folder) {
    Revision base;
    {
        std::lock_guard lock(b->mutex);
        if (b->changes.hides(path)) return false;
        base = b->changes.base;
    }
    auto e = catalog_.entry(repo, base, path);
    return e && e->is_dir == folder;
}

void HubFs::apply_remove(StagingArea::Branch& b, const std::string& path, bool folder, bool in_base) {
    StagingArea& staging = writes_->staging;
    StagedBranch& c = b.changes;
    if (folder) {
        for (const auto& p : staged_files_under(c, path)) staging.erase_file(b, p);
        std::vector<std::string> dirs, deleted;
        for (const auto& d : c.dirs)
            if (d == path || is_under(d, path)) dirs.push_back(d);
        for (const auto& [p, f] : c.deleted)
            if (is_under(p, path)) deleted.push_back(p);  // a deleted folder covers them
        for (const auto& d : dirs) staging.erase_dir(b, d);
        for (const auto& p : deleted) staging.erase_deleted(b, p);
    } else {
        staging.erase_file(b, path);
    }
    if (in_base) staging.put_deleted(b, path, folder);
    // The folder it leaves stays, even empty (on the Hub a folder exists only through its files).
    if (auto slash = path.rfind('/'); slash != std::string::npos) staging.put_dir(b, path.substr(0, slash));
}

void HubFs::stage_remove(const RepoRef& repo, const BranchPtr& b, const std::string& path, bool folder) {
    bool deletes_base = in_base(repo, b, path, folder);
    std::lock_guard lock(b->mutex);
    StagingArea::Batch batch(writes_->staging, *b);
    apply_remove(*b, path, folder, deletes_base);
}

std::vector<std::string> HubFs::files_under(const RepoRef& repo, const View& v, const std::string& dir) {
    std::vector<std::string> out;
    Node n;
    n.kind = NodeKind::folder;
    n.type = repo.type;
    n.repo = repo;
    n.rev = v.branch ? v.branch->changes.id.branch : "";
    n.path = dir;
    for (const auto& e : resolver_.list(n)) {
        if (e.node.kind == NodeKind::folder) {
            auto below = files_under(repo, v, e.node.path);
            out.insert(out.end(), below.begin(), below.end());
        } else if (e.node.kind == NodeKind::file) {
            out.push_back(e.node.path);
        }
    }
    return out;
}

void HubFs::stage_move(const Node& from_node, const BranchPtr& b, const std::string& from, const std::string& to,
                       bool replaces_folder) {
    StagingArea& staging = writes_->staging;
    const RepoRef& repo = from_node.repo;
    View v = branch_view(b);
    auto found = resolver_.find(repo, v, from);
    if (!found) throw FsError(ENOENT, from + " is gone");
    const bool folder = found->entry.is_dir;
    // First everything that reads the Hub or copies bytes, without the branch's lock...
    struct Move {
        std::string src, dst;
        std::optional<StagedFile> made;  // unset: a staged entry that moves as it is
        bool special = false;            // a local node (StagedFile::special): never committed
        bool replaces_base = false;      // lands on a file of the base commit
    };
    std::vector<Move> moves;
    try {
        auto plan = [&](const std::string& src, const std::string& dst) {
            auto f = src == from ? found : resolver_.find(repo, v, src);
            if (!f) return;
            Move m{src, dst, std::nullopt, f->special != 0};
            if (!f->staged) {
                // A committed file: an LFS file is referenced again (no upload); a small one is copied.
                StagedFile made;
                if (!f->entry.lfs_sha256.empty()) {
                    made.copy_from = src;
                    made.source = f->entry;
                } else {
                    made.blob = materialize(repo, v.rev, src, f->entry);
                    made.seal = staging.measure(made.blob);
                }
                m.made = made;
            }
            moves.push_back(std::move(m));
        };
        if (!folder) plan(from, to);
        else
            for (const auto& path : files_under(repo, v, from)) plan(path, to + path.substr(from.size()));
    } catch (...) {
        for (const auto& m : moves)
            if (m.made) staging.remove_blob(m.made->blob);
        throw;
    }
    bool from_in_base = in_base(repo, b, from, folder);
    bool to_in_base = replaces_folder && in_base(repo, b, to, true);
    // A local node is never committed: the base's file it replaces must go by a deletion.
    for (auto& m : moves) m.replaces_base = m.special && in_base(repo, b, m.dst, false);
    // ...then every change of the rename as one journal transaction: a crash keeps all or none.
    std::lock_guard lock(b->mutex);
    StagingArea::Batch batch(staging, *b);
    if (replaces_folder) apply_remove(*b, to, true, to_in_base);
    for (auto& m : moves) {
        if (m.made) staging.put_file(*b, m.dst, std::move(*m.made));
        else staging.move_file(*b, m.src, m.dst);
        if (m.replaces_base) staging.put_deleted(*b, m.dst, false);
    }
    if (folder) {
        std::vector<std::string> dirs;
        for (const auto& d : b->changes.dirs)
            if (d == from || is_under(d, from)) dirs.push_back(d);
        for (const auto& d : dirs) staging.put_dir(*b, to + d.substr(from.size()));
        staging.put_dir(*b, to);  // the folder exists even when empty
    }
    apply_remove(*b, from, folder, from_in_base);
}

}  // namespace hubfs::fs
