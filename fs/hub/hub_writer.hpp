// The Hub calls of the write path (fs/writer.hpp) over api/HfApi: which revisions are branches,
// commits, and the repositories and branches mkdir and rmdir make or remove. Errors are RemoteErrors.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "api/hf_api.hpp"
#include "fs/background_tasks.hpp"
#include "fs/remote.hpp"
#include "fs/writer.hpp"

namespace hubfs::fs {

class HubWriter final : public Writer {
public:
    // Lookups (which refs are branches) use `lookups` (the mount's short retries: a getattr
    // waits for them); commits and the rest use `commits` (patient retries).
    HubWriter(api::HubConfig lookups, api::HubConfig commits, bool public_repos,
              std::chrono::seconds refs_ttl = std::chrono::seconds(30));

    // A branch name (not a tag, a sha or a pull request), from the repository's refs, which are
    // kept for refs_ttl; for cached_failure, expired refs answer at once while they are asked
    // again in the background. When the Hub cannot say, the last refs it gave answer; with none
    // known, the answer is "no" for refs_ttl (cached_failure: file modes, which must not wait)
    // or asked again (retry_failure: a write).
    bool is_branch(const RepoRef& repo, const std::string& rev, Lookup lookup) override;
    // Asks for the refs in the background unless they are known or being asked; is_branch
    // then waits for that answer.
    void prefetch_branches(const RepoRef& repo) override;
    // At unmount: ref lookups in flight end now (commits go on, on their own connections).
    void cancel_lookups() { lookups_.http().cancel(); }
    // A signal during the flush at unmount: the commit in flight ends now (its changes stay staged).
    void cancel_commits() { api_.http().cancel(); }
    std::string head(const RepoRef& repo, const std::string& branch) override;  // asked afresh
    // Whether the token may write to the repository (auth-check/write, kept 60 s), so a write
    // it may not make fails at once, not at the commit. True when the Hub cannot say.
    bool may_write(const RepoRef& repo) override;
    // Whether `user` may commit to pull request `num` (its refs/pr/N): it is open or a draft,
    // and `user` opened it or may write to the repository. Kept 60 s; false when the Hub cannot say.
    bool may_write_pull_request(const RepoRef& repo, int num, const std::string& user) override;
    // Paths whose file differs (added, changed or removed) between two commits.
    std::set<std::string> changed_paths(const RepoRef& repo, const std::string& from, const std::string& to) override;
    // A stale parent (the Hub's 412, or any conflict of the commit) is BranchMoved.
    CommitResult commit(const RepoRef& repo, const CommitRequest& request) override;
    void create_repo(const RepoRef& repo) override;
    // From `from` (a commit or branch), else from the default branch.
    void create_branch(const RepoRef& repo, const std::string& branch, const std::string& from = "") override;
    void delete_branch(const RepoRef& repo, const std::string& branch) override;

private:
    std::map<std::string, std::string> files_at(const RepoRef& repo, const std::string& commit);  // path -> id

    api::HfApi lookups_;
    api::HfApi api_;
    bool public_repos_;
    std::chrono::seconds refs_ttl_;
    struct Branches {
        std::set<std::string> names;
        bool failed = false;  // the Hub did not answer
        bool known = false;   // names holds an answer of the Hub (maybe an old one)
        bool asking = false;  // a lookup is running: the known names answer meanwhile
        std::string error;    // why the last lookup failed
        RemoteError::Kind error_kind = RemoteError::Kind::other;
        std::chrono::steady_clock::time_point at;
    };
    std::mutex mutex_;
    std::map<std::string, Branches> branches_;  // by RepoRef::key()
    std::condition_variable refs_landed_;       // a lookup of refs ended
    std::map<std::string, std::pair<bool, std::chrono::steady_clock::time_point>> write_access_;  // by RepoRef::key()
    std::map<std::string, std::pair<bool, std::chrono::steady_clock::time_point>> pr_access_;  // by key#N:user
    // Asks the Hub for the refs and records them; false if it could not say.
    bool fetch_refs(const RepoRef& repo);
    BackgroundTasks refreshes_;  // last member: joined first, while the rest is alive
};

}  // namespace hubfs::fs
