#include "fs/hub/hub_writer.hpp"

#include "fs/hub/hub_remote.hpp"
#include "fs/network_wait.hpp"
#include "fs/common/log.hpp"

namespace hubfs::fs {
namespace {

constexpr auto kAccessLifetime = std::chrono::seconds(60);

}  // namespace

HubWriter::HubWriter(api::HubConfig lookups, api::HubConfig commits, bool public_repos, std::chrono::seconds refs_ttl)
    : lookups_(std::move(lookups)), api_(std::move(commits)), public_repos_(public_repos), refs_ttl_(refs_ttl) {}

void HubWriter::prefetch_branches(const RepoRef& repo) {
    std::lock_guard lock(mutex_);
    if (branches_.count(repo.key())) return;  // known, or being asked
    branches_[repo.key()].asking = true;
    refreshes_.run([this, repo] { fetch_refs(repo); });
}

bool HubWriter::is_branch(const RepoRef& repo, const std::string& rev, Lookup lookup) {
    auto now = std::chrono::steady_clock::now();
    {
        std::unique_lock lock(mutex_);
        auto it = branches_.find(repo.key());
        if (it != branches_.end() && it->second.asking && !it->second.known && !it->second.failed) {
            // The first lookup is running (prefetch_branches): its answer, not a second request.
            may_wait_for_network();
            refs_landed_.wait(lock, [&] { return !branches_[repo.key()].asking; });
            it = branches_.find(repo.key());
            now = std::chrono::steady_clock::now();
        }
        if (it != branches_.end() && now - it->second.at < refs_ttl_ &&
            !(it->second.failed && lookup == Lookup::retry_failure))
            return it->second.names.count(rev) > 0;
        // Known refs answer file modes at once (a getattr must not wait for a slow Hub); a
        // lookup already running, for whatever caller, counts as asking again.
        if (it != branches_.end() && it->second.known && (it->second.asking || lookup == Lookup::cached_failure)) {
            if (!it->second.asking) {
                it->second.asking = true;
                refreshes_.run([this, repo] { fetch_refs(repo); });
            }
            return it->second.names.count(rev) > 0;
        }
        may_wait_for_network();
        branches_[repo.key()].asking = true;
    }
    bool answered = fetch_refs(repo);
    std::lock_guard lock(mutex_);
    const Branches& b = branches_[repo.key()];
    // The Hub is down or stalled: what it said last still holds (a branch keeps its modes).
    if (answered || b.known) return b.names.count(rev) > 0;
    if (lookup == Lookup::retry_failure)
        throw RemoteError(b.error_kind, b.error);
    return false;
}

bool HubWriter::fetch_refs(const RepoRef& repo) {
    Branches found;
    found.at = std::chrono::steady_clock::now();
    try {
        for (const auto& b : lookups_.list_repo_refs(api_repo(repo)).branches) found.names.insert(b.name);
    } catch (...) {
        std::string error = "unknown error";
        RemoteError::Kind kind = RemoteError::Kind::other;
        try {
            rethrow_as_remote_error();
        } catch (const RemoteError& e) {
            error = e.what();
            kind = e.kind;
        } catch (const std::exception& e) {
            error = e.what();
        } catch (...) {
        }
        std::lock_guard lock(mutex_);
        Branches& b = branches_[repo.key()];
        b.failed = true;
        b.asking = false;
        b.at = found.at;
        b.error = error;
        b.error_kind = kind;
        refs_landed_.notify_all();
        return false;
    }
    found.known = true;
    std::lock_guard lock(mutex_);
    branches_[repo.key()] = found;
    refs_landed_.notify_all();
    return true;
}

bool HubWriter::may_write(const RepoRef& repo) {
    auto now = std::chrono::steady_clock::now();
    {
        std::lock_guard lock(mutex_);
        auto it = write_access_.find(repo.key());
        if (it != write_access_.end() && now - it->second.second < kAccessLifetime) return it->second.first;
    }
    may_wait_for_network();
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

bool HubWriter::may_write_pull_request(const RepoRef& repo, int num, const std::string& user) {
    const auto now = std::chrono::steady_clock::now();
    const std::string key = repo.key() + "#" + std::to_string(num) + ":" + user;
    {
        std::lock_guard lock(mutex_);
        auto it = pr_access_.find(key);
        if (it != pr_access_.end() && now - it->second.second < kAccessLifetime) return it->second.first;
    }
    may_wait_for_network();
    bool allowed = false;
    try {
        api::DiscussionWithDetails pr = lookups_.get_discussion_details(api_repo(repo), num);
        allowed = pr.is_pull_request && (pr.status == "open" || pr.status == "draft") &&
                  ((!user.empty() && pr.author == user) || may_write(repo));
    } catch (const std::exception& e) {
        HUBFS_LOG(info, "%s pull request %d: read-only (%s)", repo.key().c_str(), num, e.what());
    }
    std::lock_guard lock(mutex_);
    pr_access_[key] = {allowed, now};
    return allowed;
}

std::string HubWriter::head(const RepoRef& repo, const std::string& branch) {
    may_wait_for_network();
    try {
        return api_.repo_info(api_repo(repo), branch).sha.value_or("");
    } catch (...) {
        rethrow_as_remote_error();
    }
}

std::map<std::string, std::string> HubWriter::files_at(const RepoRef& repo, const std::string& commit) {
    may_wait_for_network();
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

CommitResult HubWriter::commit(const RepoRef& repo, const CommitRequest& request) {
    may_wait_for_network();
    std::vector<api::CommitOperation> ops;
    for (const CommitChange& change : request.changes) {
        if (const auto* d = std::get_if<CommitDelete>(&change)) ops.push_back(api::CommitOperationDelete{d->path, d->folder});
        else if (const auto* a = std::get_if<CommitAdd>(&change)) {
            auto add = api::CommitOperationAdd::from_file(a->path, a->local);
            if (!a->sha256.empty()) add.known = api::CommitOperationAdd::Known{a->size, a->sha256};
            ops.push_back(std::move(add));
        }
        else if (const auto* c = std::get_if<CommitCopy>(&change)) ops.push_back(api::CommitOperationCopy{c->from, c->path, c->revision});
    }
    api::CommitOptions options;
    options.commit_message = request.message;
    options.commit_description = request.description;
    options.revision = request.branch;
    options.create_pr = request.create_pr;
    options.parent_commit = request.parent;
    if (request.progress)
        options.progress = [progress = request.progress](const api::CommitProgress& p) {
            progress(CommitUpload{p.files_total, p.bytes_total, p.bytes_uploaded});
        };
    try {
        api::CommitInfo info = api_.create_commit(api_repo(repo), ops, options);
        return CommitResult{info.oid, info.pr_revision, info.ignored};
    } catch (...) {
        try {
            rethrow_as_remote_error();
        } catch (const RemoteError& e) {
            if (e.kind == RemoteError::Kind::conflict) throw BranchMoved(e.what());
            throw;
        }
    }
}

void HubWriter::create_repo(const RepoRef& repo) {
    may_wait_for_network();  // a FUSE thread never waits for it: the request runs again elsewhere
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
    branches_.erase(repo.key());      // so are its refs (asked for by a lookup before it existed)
}

void HubWriter::create_branch(const RepoRef& repo, const std::string& branch, const std::string& from) {
    may_wait_for_network();
    try {
        api_.create_branch(api_repo(repo), branch, from.empty() ? std::nullopt : std::optional<std::string>(from));
    } catch (...) {
        rethrow_as_remote_error();
    }
    std::lock_guard lock(mutex_);
    branches_.erase(repo.key());
}

void HubWriter::delete_branch(const RepoRef& repo, const std::string& branch) {
    may_wait_for_network();
    try {
        api_.delete_branch(api_repo(repo), branch);
    } catch (...) {
        rethrow_as_remote_error();
    }
    std::lock_guard lock(mutex_);
    branches_.erase(repo.key());
}

}  // namespace hubfs::fs
