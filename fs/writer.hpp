// What the write path needs from the Hub, in the file system's own types: which revisions are
// branches and may be written, a branch's head, what changed between two commits, a commit, and
// the repositories and branches mkdir and rmdir make or remove. The implementation over api/ is
// fs/hub/hub_writer.*; the committer and the FUSE adapter see only this. Errors are RemoteErrors.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "fs/remote.hpp"

namespace hubfs::fs {

// One change of a commit. The Hub applies them in order (a file may replace a deleted folder).
struct CommitDelete {
    std::string path;
    bool folder = false;  // everything under path
};
struct CommitAdd {
    std::string path;
    std::filesystem::path local;  // the bytes to send, read at upload time
    // Their size and sha256 when known (computed as they were written), else "": hashed at commit.
    uint64_t size = 0;
    std::string sha256 = {};
};
struct CommitCopy {
    std::string from;  // a file at `revision`
    std::string path;
    std::string revision;
};
using CommitChange = std::variant<CommitDelete, CommitAdd, CommitCopy>;

struct CommitUpload {  // progress of the large files' upload
    uint64_t files_total = 0, bytes_total = 0, bytes_uploaded = 0;
};

struct CommitRequest {
    std::vector<CommitChange> changes;
    std::string branch;  // where the commit goes (the base of a pull request)
    std::string parent;  // the commit the changes apply to: the Hub refuses if `branch` moved since
    bool create_pr = false;
    std::string message, description;
    std::function<void(const CommitUpload&)> progress;  // called from upload threads
};

struct CommitResult {
    std::string commit;                      // the new commit's sha
    std::optional<std::string> pr_revision;  // "refs/pr/N" for a pull request
    std::vector<std::string> ignored;        // added paths the Hub ignored (its .gitignore): not committed
};

// The commit's parent is no longer the branch's head: someone else committed meanwhile.
struct BranchMoved : RemoteError {
    explicit BranchMoved(const std::string& what) : RemoteError(Kind::conflict, what) {}
};

class Writer {
public:
    virtual ~Writer() = default;
    // Whether `rev` is a branch (not a tag, a sha or a pull request). cached_failure: answer at
    // once from what is known (file modes must not wait); retry_failure: ask again (a write).
    enum class Lookup { cached_failure, retry_failure };
    virtual bool is_branch(const RepoRef& repo, const std::string& rev, Lookup lookup) = 0;
    // Starts the lookup is_branch will need, without waiting: a repository's first lookup asks
    // the Hub for its branches while its revision is being resolved, not after.
    virtual void prefetch_branches(const RepoRef&) {}
    virtual std::string head(const RepoRef& repo, const std::string& branch) = 0;  // asked afresh
    // Whether the token may write to the repository; true when the Hub cannot say.
    virtual bool may_write(const RepoRef& repo) = 0;
    // Whether `user` may commit to pull request `num`; false when the Hub cannot say.
    virtual bool may_write_pull_request(const RepoRef& repo, int num, const std::string& user) = 0;
    // Paths whose file differs (added, changed or removed) between two commits.
    virtual std::set<std::string> changed_paths(const RepoRef& repo, const std::string& from, const std::string& to) = 0;
    // Throws BranchMoved when request.parent is no longer the branch's head.
    virtual CommitResult commit(const RepoRef& repo, const CommitRequest& request) = 0;
    virtual void create_repo(const RepoRef& repo) = 0;
    // From `from` (a commit or branch), else from the default branch.
    virtual void create_branch(const RepoRef& repo, const std::string& branch, const std::string& from = "") = 0;
    virtual void delete_branch(const RepoRef& repo, const std::string& branch) = 0;
};

}  // namespace hubfs::fs
