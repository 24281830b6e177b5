// A branch's control file, .hubfs-commit: reading it tells what is staged and how commits go;
// writing a line to it sets the next commit's message or commits, to the branch, a new pull
// request or a new branch. The format is in the README. Also: control nodes as the framework's
// files and folders (control/control_entry.hpp), for the FUSE operations.
#include <sstream>

#include "fs/common/log.hpp"
#include "fs/errno_map.hpp"
#include "fs/network_wait.hpp"
#include "fs/fuse/hubfs.hpp"

namespace hubfs::fs {

std::string HubFs::control_text(const Node& node) {
    auto b = writable_branch(node);
    std::ostringstream out;
    std::lock_guard lock(b->mutex);
    const StagedBranch& c = b->changes;
    const CommitStatus& s = b->status;
    uint64_t bytes = writes_->staging.staged_bytes(*b);
    out << "repo: " << c.id.repo.key() << "\n"
        << "branch: " << c.id.branch << "\n"
        << "base: " << c.base.commit << "\n"
        << "staged: " << writes_->committer.scratch().committable_count(c) << " changes, " << bytes << " bytes\n"
        << "message: " << c.message << "\n"
        << "description: " << c.description << "\n"
        << "state: " << (writes_->committer.held(c) ? "held (staged by " + c.owner + ", never committed by this mount)" : s.state);
    if (s.state == "uploading")
        out << " " << s.files_total << " files, " << s.bytes_uploaded << "/" << s.bytes_total << " bytes";
    out << "\nlast: " << (s.last.empty() ? "none" : s.last) << "\n";
    if (!s.conflicts.empty()) {
        out << "conflicts:";
        for (const auto& p : s.conflicts) out << " " << p;
        out << "\n";
    }
    if (!s.ignored.empty()) {
        out << "ignored:";  // refused by the Hub's .gitignore; kept here, not committed
        for (const auto& p : s.ignored) out << " " << p;
        out << "\n";
    }
    for (const auto& [path, folder] : c.deleted) out << "  " << (folder ? "delete-folder " : "delete ") << path << "\n";
    std::string local;
    for (const auto& [path, f] : c.files) {
        if (!f.dirty) continue;
        if (std::string why = writes_->committer.scratch().reason(path, f); !why.empty()) {
            std::error_code ec;
            uint64_t size = f.is_copy() ? f.source.size : std::filesystem::file_size(writes_->staging.blob_path(f.blob), ec);
            local += "  local " + path + " " + std::to_string(size) + " (" + why + ")\n";
        } else if (f.is_copy()) {
            out << "  copy " << f.copy_from << " -> " << path << "\n";
        } else {
            std::error_code ec;
            uint64_t size = std::filesystem::file_size(writes_->staging.blob_path(f.blob), ec);
            out << "  add " << path << " " << (ec ? 0 : size) << (f.ready() ? "" : " (open for writing: waits for its close)")
                << "\n";
        }
    }
    return out.str() + local;  // kept in the mount, never committed
}

void HubFs::control_command(const Node& node, const std::string& line) {
    auto space = line.find(' ');
    std::string command = line.substr(0, space);
    if (command == "commit" || command == "pr" || command == "branch") may_wait_for_network();  // not on a FUSE thread
    auto b = writable_branch(node);
    std::string arg = space == std::string::npos ? "" : line.substr(space + 1);
    while (!arg.empty() && (arg.back() == '\r' || arg.back() == ' ')) arg.pop_back();
    if (command == "message" || command == "description") {
        std::lock_guard lock(b->mutex);
        (command == "message" ? b->changes.message : b->changes.description) = arg;
        writes_->staging.save_header(*b);
    } else if (command == "commit") {
        writes_->committer.commit(*b);
    } else if (command == "pr") {
        writes_->committer.commit(*b, CommitTarget{CommitTarget::Kind::pull_request, {}});
    } else if (command == "branch") {
        if (arg.empty() || arg.find_first_of(" \t") != std::string::npos || arg.starts_with("refs/"))
            throw FsError(EINVAL, "`branch` needs the name of a new branch");
        writes_->committer.commit(*b, CommitTarget{CommitTarget::Kind::new_branch, arg});
    } else if (command == "adopt") {
        // The user asks to commit changes another user staged, as this mount's user.
        std::lock_guard lock(b->mutex);
        if (b->changes.owner != writes_->committer.identity()) {
            HUBFS_LOG(warn, "%s: changes staged by %s adopted by %s", b->changes.id.key().c_str(), b->changes.owner.c_str(),
                      writes_->committer.identity().c_str());
            b->changes.owner = writes_->committer.identity();
            writes_->staging.save_header(*b);
        }
    } else if (command == "discard") {
        std::vector<std::string> paths;
        {
            std::lock_guard serial(b->commit_mutex);
            std::unique_lock gate(b->gate);
            std::lock_guard lock(b->mutex);
            for (const auto& [path, f] : b->changes.files) paths.push_back(path);
            for (const auto& dir : b->changes.dirs) paths.push_back(dir);
            for (const auto& [path, folder] : b->changes.deleted) paths.push_back(path);
            writes_->staging.discard(*b);
        }
        forget_in_kernel(node, paths);
    } else {
        throw FsError(EINVAL, "unknown command for " + std::string(kControlFileName) + ": " + command +
                                  " (message, description, commit, pr, branch NAME, adopt, discard)");
    }
}

void HubFs::forget_in_kernel(const Node& repo_node, const std::vector<std::string>& paths) {
    for (const auto& path : paths) {
        auto slash = path.rfind('/');
        Node parent = repo_node;
        parent.kind = slash == std::string::npos ? NodeKind::repo_dir : NodeKind::folder;
        parent.path = slash == std::string::npos ? "" : path.substr(0, slash);
        invalidator_.entry(inodes_.peek(parent), path.substr(slash == std::string::npos ? 0 : slash + 1));
        for (NodeKind kind : {NodeKind::file, NodeKind::folder}) {
            Node n = repo_node;
            n.kind = kind;
            n.path = path;
            invalidator_.inode(inodes_.peek(n));
        }
    }
}

ControlFile HubFs::control_file(const Node& node) {
    if (node.kind == NodeKind::area_file) {
        auto entry = control_areas_.find(node.path);
        if (!entry || !std::holds_alternative<ControlFile>(*entry)) throw FsError(ENOENT, node.path + " is gone");
        return std::get<ControlFile>(std::move(*entry));
    }
    if (node.kind != NodeKind::control) throw FsError(EINVAL, "not a control file");
    ControlFile f;
    f.mode = 0644;
    f.render = [this, node] { return control_text(node); };
    f.act = [this, node](std::string_view text) {
        for (size_t start = 0; start < text.size();) {  // one command a line
            size_t end = text.find('\n', start);
            if (end == std::string_view::npos) end = text.size();
            std::string line(text.substr(start, end - start));
            if (!line.empty()) control_command(node, line);
            start = end + 1;
        }
    };
    f.check_write = [this, node] { writable_branch(node); };  // EROFS for what is not a branch
    return f;
}

void HubFs::remove_in_area(Request& req, const Node& folder, const std::string& name) {
    ControlFolder f = resolver_.area_folder(folder);
    if (!f.child || !f.child(name)) throw FsError(ENOENT, join_path(folder.path, name));
    if (!f.remove) throw FsError(EPERM, join_path(folder.path, name) + " cannot be removed");
    f.remove(name);
    Node gone = folder;
    gone.path = join_path(folder.path, name);
    for (NodeKind kind : {NodeKind::area_file, NodeKind::area_dir}) {
        gone.kind = kind;
        inodes_.detach(gone);
    }
    req.err(0);
}

void HubFs::open_control(Request& req, const Node& node, fuse_file_info* fi) {
    try {
        auto handle = std::make_unique<OpenFile>();
        auto& f = handle->emplace<ControlHandle>();
        f.file = std::make_shared<const ControlFile>(control_file(node));
        const int access = fi->flags & O_ACCMODE;
        if (access != O_WRONLY) {
            if (!f.file->render && !f.file->read_at) throw FsError(EACCES, node.path + " is write-only");
            if (!f.file->read_at) f.text = f.file->render();
            else if (f.file->prepare_read) f.file->prepare_read();  // an open may wait (parked); a read may not
        }
        if (access != O_RDONLY) {
            if (!f.file->act) throw FsError(EACCES, node.path + " is read-only");
            if (f.file->check_write) f.file->check_write();
        }
        fi->direct_io = 1;  // the text changes all the time: no page cache, no size needed
        fi->fh = reinterpret_cast<uint64_t>(handle.release());
        if (req.open(fi) != 0) close_handle(fi);
    } catch (...) {
        req.err(errno_from_current_exception("open " + node.repo.key() + "/" + node.path));
    }
}

}  // namespace hubfs::fs
