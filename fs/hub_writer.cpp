#include "hub_writer.hpp"

#include "hub_remote.hpp"
#include "common/log.hpp"

namespace hubfs::fs {
namespace {

constexpr auto kRefsLifetime = std::chrono::seconds(30);
constexpr auto kAccessLifetime = std::chrono::seconds(60);

}  // namespace

HubWriter::HubWriter(api::HubConfig lookups, api::HubConfig commits, bool public_repos)
    : lookups_(std::move(lookups)), api_(std::move(commits)), public_repos_(public_repos) {}

bool HubWriter::is_branch(const RepoRef& repo, const std::string& rev, Lookup lookup) {
    auto now = std::chrono::steady_clock::now();
    {
        std::lock_guard lock(mutex_);
        auto it = branches_.find(repo.key());
        if (it != branches_.end() && now - it->second.at < kRefsLifetime &&
            !(it->second.failed && lookup == Lookup::retry_failure))
            return it->second.names.count(rev) > 0;
    }
    Branches found;
    found.at = now;
    try {
        for (const auto& b : lookups_.list_repo_refs(api_repo(repo)).branches) found.names.insert(b.name);
    } catch (...) {
        found.failed = true;
        {
            std::lock_guard lock(mutex_);
            branches_[repo.key()] = found;
        }
        if (lookup == Lookup::retry_failure) rethrow_as_remote_error();
        return false;
    }
    std::lock_guard lock(mutex_);
    branches_[repo.key()] = found;
    return found.names.count(rev) > 0;
}

bool HubWriter::may_write(const RepoRef& repo) {
    auto now = std::chrono::steady_clock::now();
    {
        std::lock_guard lock(mutex_);
        auto it = write_access_.find(repo.key());
        if (it != write_access_.end() && now - it->second.second < kAccessLifetime) return it->second.first;
    }
    bool allowed = true;
    try {
        lookups_.auth_check(api_repo(repo), true);
    } catch (...) {
        try {
            rethrow_as_remote_error();
        } catch (const RemoteError& e) {
            if (e.kind != RemoteError::Kind::access_denied && e.kind != RemoteError::Kind::not_found) {
                // The Hub cannot say now: allowed (the commit decides), asked again in 10 s, so
                // writes while it is down do not each wait for its retries.
                std::lock_guard lock(mutex_);
                write_access_[repo.key()] = {true, now - kAccessLifetime + std::chrono::seconds(10)};
                return true;
            }
            allowed = false;
            HUBFS_LOG(warn, "the token may not write to %s: writes there fail with EACCES (%s)", repo.key().c_str(), e.what());
        }
    }
    std::lock_guard lock(mutex_);
    write_access_[repo.key()] = {allowed, now};
    return allowed;
}

std::string HubWriter::head(const RepoRef& repo, const std::string& branch) {
    try {
        return api_.repo_info(api_repo(repo), branch).sha.value_or("");
    } catch (...) {
        rethrow_as_remote_error();
    }
}

std::map<std::string, std::string> HubWriter::files_at(const RepoRef& repo, const std::string& commit) {
    std::map<std::string, std::string> out;
    try {
        api::ListRepoTreeOptions options;
        options.recursive = true;
        options.revision = commit;
        for (const auto& entry : api_.list_repo_tree(api_repo(repo), options).to_vector())
            if (const auto* f = std::get_if<api::RepoFile>(&entry)) out[f->path] = f->lfs ? f->lfs->sha256 : f->blob_id;
    } catch (...) {
        rethrow_as_remote_error();
    }
    return out;
}

std::set<std::string> HubWriter::changed_paths(const RepoRef& repo, const std::string& from, const std::string& to) {
    auto before = files_at(repo, from);
    auto after = files_at(repo, to);
    std::set<std::string> out;
    for (const auto& [path, id] : before) {
        auto it = after.find(path);
        if (it == after.end() || it->second != id) out.insert(path);
    }
    for (const auto& [path, id] : after)
        if (!before.count(path)) out.insert(path);
    return out;
}

api::CommitInfo HubWriter::commit(const RepoRef& repo, const std::vector<api::CommitOperation>& operations,
                                  const api::CommitOptions& options) {
    try {
        return api_.create_commit(api_repo(repo), operations, options);
    } catch (...) {
        rethrow_as_remote_error();
    }
}

void HubWriter::create_repo(const RepoRef& repo) {
    try {
        api::CreateRepoOptions options;
        options.is_private = !public_repos_;
        if (repo.type == RepoType::space) options.space_sdk = "static";
        api_.create_repo(api_repo(repo), options);
    } catch (...) {
        rethrow_as_remote_error();
    }
    std::lock_guard lock(mutex_);
    write_access_.erase(repo.key());  // a "no such repository" answer from before is stale now
}

void HubWriter::create_branch(const RepoRef& repo, const std::string& branch, const std::string& from) {
    try {
        api_.create_branch(api_repo(repo), branch, from.empty() ? std::nullopt : std::optional<std::string>(from));
    } catch (...) {
        rethrow_as_remote_error();
    }
    std::lock_guard lock(mutex_);
    branches_.erase(repo.key());
}

void HubWriter::delete_branch(const RepoRef& repo, const std::string& branch) {
    try {
        api_.delete_branch(api_repo(repo), branch);
    } catch (...) {
        rethrow_as_remote_error();
    }
    std::lock_guard lock(mutex_);
    branches_.erase(repo.key());
}

}  // namespace hubfs::fs
