#include "hub_writer.hpp"

#include "hub_remote.hpp"

namespace hubfs::fs {
HubWriter::HubWriter(api::HubConfig lookups, api::HubConfig commits, bool public_repos, std::chrono::seconds refs_ttl)
    : lookups_(std::move(lookups)), api_(std::move(commits)), public_repos_(public_repos), refs_ttl_(refs_ttl) {}

bool HubWriter::is_branch(const RepoRef& repo, const std::string& rev, Lookup lookup) {
    auto now = std::chrono::steady_clock::now();
    {
        std::lock_guard lock(mutex_);
        auto it = branches_.find(repo.key());
        if (it != branches_.end() && now - it->second.at < refs_ttl_ &&
            !(it->second.failed && lookup == Lookup::retry_failure))
            return it->second.names.count(rev) > 0;
        // A slow Hub holds one caller per repository, not every getattr of it.
        if (it != branches_.end() && it->second.known && it->second.asking) return it->second.names.count(rev) > 0;
        branches_[repo.key()].asking = true;
    }
    Branches found;
    found.at = now;
    try {
        for (const auto& b : lookups_.list_repo_refs(api_repo(repo)).branches) found.names.insert(b.name);
    } catch (...) {
        bool known = false, branch = false;
        {
            std::lock_guard lock(mutex_);
            Branches& b = branches_[repo.key()];
            b.failed = true;
            b.asking = false;
            b.at = now;
            known = b.known;
            branch = b.names.count(rev) > 0;
        }
        // The Hub is down or stalled: what it said last still holds (a branch keeps its modes).
        if (known) return branch;
        if (lookup == Lookup::retry_failure) rethrow_as_remote_error();
        return false;
    }
    found.known = true;
    std::lock_guard lock(mutex_);
    branches_[repo.key()] = found;
    return found.names.count(rev) > 0;
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
