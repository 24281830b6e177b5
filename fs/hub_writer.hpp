// The Hub calls of the write path, over api/HfApi: which revisions are branches, commits, and
// the repositories and branches mkdir and rmdir make or remove. Errors are RemoteErrors.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "api/hf_api.hpp"
#include "remote.hpp"

namespace hubfs::fs {

class HubWriter {
public:
    HubWriter(api::HubConfig config, bool public_repos);

    // A branch name (not a tag, a sha or a pull request), from the repository's refs.
    bool is_branch(const RepoRef& repo, const std::string& rev);
    std::string head(const RepoRef& repo, const std::string& branch);  // asked afresh
    // Paths whose file differs (added, changed or removed) between two commits.
    std::set<std::string> changed_paths(const RepoRef& repo, const std::string& from, const std::string& to);
    api::CommitInfo commit(const RepoRef& repo, const std::vector<api::CommitOperation>& operations,
                           const api::CommitOptions& options);
    void create_repo(const RepoRef& repo);
    // From `from` (a commit or branch), else from the default branch.
    void create_branch(const RepoRef& repo, const std::string& branch, const std::string& from = "");
    void delete_branch(const RepoRef& repo, const std::string& branch);

private:
    std::map<std::string, std::string> files_at(const RepoRef& repo, const std::string& commit);  // path -> id

    api::HfApi api_;
    bool public_repos_;
    std::mutex mutex_;
    std::map<std::string, std::pair<std::set<std::string>, std::chrono::steady_clock::time_point>> branches_;
};

}  // namespace hubfs::fs
