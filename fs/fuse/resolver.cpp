#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <set>
#include <vector>

#include "fs/common/log.hpp"
#include "fs/errno_map.hpp"
#include "fs/fuse/resolver.hpp"

namespace hubfs::fs {
namespace {

constexpr double kPinnedTimeout = 24 * 3600.0;  // commits never change

}  // namespace

struct stat Resolver::dir_attr(int64_t mtime) const {
    struct stat st {};
    st.st_mode = S_IFDIR | 0555;
    st.st_nlink = 2;
    st.st_uid = opts_.uid;
    st.st_gid = opts_.gid;
    st.st_mtim.tv_sec = st.st_ctim.tv_sec = st.st_atim.tv_sec = mtime;
    st.st_blksize = 1 << 20;
    return st;
}

struct stat Resolver::file_attr(const RemoteEntry& e, int64_t mtime) const {
    struct stat st = dir_attr(mtime);
    st.st_mode = S_IFREG | 0444;
    st.st_nlink = 1;
    st.st_size = static_cast<off_t>(e.size);
    st.st_blocks = static_cast<blkcnt_t>((e.size + 511) / 512);
    return st;
}

bool Resolver::may_write(const Node& node) const {
    if (!writes_ || !node.in_repo() || is_commit_sha(node.rev)) return false;
    // A branch (or pull request) this mount staged changes in stays writable whatever the Hub says now.
    if (writes_->staging.find(branch_id(node))) return true;
    if (auto pr = pull_request_number(node.rev))  // its author's and the repository's writers'
        return writes_->writer.may_write_pull_request(node.repo, *pr, writes_->committer.identity());
    if (node.rev.starts_with("refs/")) return false;
    // Tags and short shas are read-only: only the repository's branches are writable.
    return writes_->writer.is_branch(node.repo, branch_id(node).branch, Writer::Lookup::cached_failure);
}

BranchId Resolver::branch_id(const Node& node) const {
    return BranchId{node.repo, node.rev.empty() ? "main" : node.rev};
}

std::string Resolver::attr_key(const Node& node) const { return branch_id(node).key() + "/" + node.path; }

double Resolver::timeout_for(const Node& node) const {
    if (node.in_repo() && is_commit_sha(node.rev)) return kPinnedTimeout;
    if (!node.in_repo()) return 1.0;
    return static_cast<double>(opts_.revision_ttl.count());
}

Resolver::View Resolver::view(const Node& node) {
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

std::optional<Resolver::Found> Resolver::find(const RepoRef& repo, const View& v, const std::string& path) {
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

Resolver::Resolved Resolver::resolve(const Node& node) {
    Resolved r;
    switch (node.kind) {
        case NodeKind::root:
        case NodeKind::type_dir:
        case NodeKind::ns_dir:
            r.attr = dir_attr(mount_time_);
            return r;
        case NodeKind::repo_dir:
            // may_write's branches (below) are asked for while the revision resolves, not after.
            if (writes_ && !is_commit_sha(node.rev) && !node.rev.starts_with("refs/")) writes_->writer.prefetch_branches(node.repo);
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

struct stat Resolver::area_attr(const ControlEntry& entry) const {
    if (const auto* folder = std::get_if<ControlFolder>(&entry)) {
        struct stat st = dir_attr(mount_time_);
        st.st_mode = S_IFDIR | folder->mode;
        return st;
    }
    struct stat st = file_attr(RemoteEntry{}, mount_time_);
    const ControlFile& file = std::get<ControlFile>(entry);
    st.st_mode = S_IFREG | file.mode;
    // A growing file shows its length (tail -f follows it); others, as .hubfs-commit, are read
    // with direct I/O and the size only has to let readers start.
    st.st_size = file.size ? static_cast<off_t>(file.size()) : 4096;
    return st;
}

Resolver::Resolved Resolver::resolved(const Node& node, const Revision& rev, const Found& found) {
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

// A name in /models, /datasets or /spaces: a repository ("x@rev", or a namespace-less one) or a namespace.
std::optional<Node> Resolver::type_dir_child(const Node& parent, const std::string& name) {
    Node n;
    // /models/gpt2 may be a namespace-less repository or a namespace; "x@rev" is a repository.
    auto dir = parse_repo_dir_name(name);
    if (!dir) return std::nullopt;
    RepoRef canonical{parent.type, dir->name};
    bool is_repo = !dir->rev.empty();
    // The token's own user and organisations are namespaces: not asked for as a repository
    // (a request before the repository's own on every first path walk).
    if (!is_repo && !opts_.own_namespaces.count(name)) {
        catalog_.prefetch_repos_of(parent.type, name);  // asked with the repository, not after it
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

std::optional<Node> Resolver::child(const Node& parent, const std::string& name) {
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
        case NodeKind::type_dir: return type_dir_child(parent, name);
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

std::vector<Resolver::DirEntry> Resolver::list(const Node& dir) {
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

ControlFolder Resolver::area_folder(const Node& node) {
    auto entry = control_areas_.find(node.path);
    if (!entry || !std::holds_alternative<ControlFolder>(*entry)) throw FsError(ENOENT, node.path + " is gone");
    return std::get<ControlFolder>(std::move(*entry));
}

fuse_entry_param Resolver::entry_param(const Node& node, const Resolved& r, bool add_ref) {
    fuse_entry_param e{};
    e.ino = add_ref ? inodes_.ref(node) : inodes_.peek(node);
    e.attr = r.attr;
    e.attr.st_ino = e.ino;
    e.attr_timeout = e.entry_timeout = timeout_for(node);
    return e;
}

}  // namespace hubfs::fs
