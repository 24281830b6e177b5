#include "catalog.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "hub_path.hpp"

namespace hubfs::fs {
namespace {

constexpr size_t kMaxFolders = 8192;
constexpr char kSep = '\x1f';

std::string revision_key(const RepoRef& repo, const std::string& rev) {
    return std::string("rev") + kSep + repo.key() + kSep + rev;
}

std::string folder_key(const RepoRef& repo, const std::string& commit, const std::string& path) {
    return std::string("dir") + kSep + repo.key() + kSep + commit + kSep + path;
}

nlohmann::json to_json(const Folder& f) {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& e : f.entries)
        a.push_back({{"n", e.name}, {"d", e.is_dir}, {"s", e.size}, {"o", e.oid}, {"l", e.lfs_sha256}});
    return a;
}

std::shared_ptr<Folder> from_json(const nlohmann::json& a) {
    auto f = std::make_shared<Folder>();
    for (const auto& j : a)
        f->entries.push_back({j.at("n").get<std::string>(), j.at("d").get<bool>(), j.at("s").get<uint64_t>(),
                              j.at("o").get<std::string>(), j.at("l").get<std::string>()});
    return f;
}

}  // namespace

const RemoteEntry* Folder::find(const std::string& name) const {
    auto it = std::lower_bound(entries.begin(), entries.end(), name,
                               [](const RemoteEntry& e, const std::string& n) { return e.name < n; });
    return it != entries.end() && it->name == name ? &*it : nullptr;
}

Catalog::Catalog(Remote& remote, cache::Cache& cache, CatalogOptions opts)
    : remote_(remote), cache_(cache), opts_(opts) {}

Revision Catalog::resolve(const RepoRef& repo, const std::string& rev) {
    const std::string key = revision_key(repo, rev);
    const bool pinned = is_commit_sha(rev);
    auto now = std::chrono::steady_clock::now();
    std::shared_ptr<Flight<Revision>> flight;
    bool leader = false;
    {
        std::unique_lock lock(mutex_);
        if (auto it = revisions_.find(key); it != revisions_.end()) {
            if (pinned || opts_.offline || now - it->second.fetched < opts_.revision_ttl) return it->second.rev;
        }
        auto& slot = revision_flights_[key];
        if (!slot) {
            slot = std::make_shared<Flight<Revision>>();
            leader = true;
        }
        flight = slot;
        if (!leader) {
            landed_.wait(lock, [&] { return flight->done; });
            if (flight->error) std::rethrow_exception(flight->error);
            return *flight->value;
        }
    }
    // The leader asks: LMDB for pinned/offline, else the Hub (falling back to LMDB when it is down).
    std::optional<Revision> result;
    std::exception_ptr error;
    auto from_index = [&]() -> std::optional<Revision> {
        auto v = cache_.get(key);
        if (!v) return std::nullopt;
        auto j = nlohmann::json::parse(*v, nullptr, false);
        if (j.is_discarded()) return std::nullopt;
        return Revision{j.value("commit", ""), j.value("time", int64_t(0))};
    };
    try {
        if (pinned || opts_.offline) result = from_index();
        if (!result) {
            if (opts_.offline) throw RemoteError(RemoteError::Kind::unavailable, "offline and not cached: " + repo.key() + "@" + rev);
            try {
                result = remote_.resolve(repo, rev);
                cache_.put(key, nlohmann::json{{"commit", result->commit}, {"time", result->time}}.dump());
            } catch (const RemoteError& e) {
                if (e.kind != RemoteError::Kind::unavailable) throw;
                result = from_index();  // the Hub is down: serve the last known commit
                if (!result) throw;
            }
        }
    } catch (...) {
        error = std::current_exception();
    }
    std::lock_guard lock(mutex_);
    flight->done = true;
    flight->error = error;
    flight->value = result;
    if (result) revisions_[key] = TimedRevision{*result, std::chrono::steady_clock::now()};
    revision_flights_.erase(key);
    landed_.notify_all();
    if (error) std::rethrow_exception(error);
    return *result;
}

std::shared_ptr<const Folder> Catalog::load_folder(const RepoRef& repo, const std::string& commit,
                                                   const std::string& path) {
    const std::string key = folder_key(repo, commit, path);
    if (auto v = cache_.get(key)) {
        auto j = nlohmann::json::parse(*v, nullptr, false);
        if (j.is_array()) {
            try {
                return from_json(j);
            } catch (const nlohmann::json::exception&) {
                // a damaged record: fetch again
            }
        }
    }
    if (opts_.offline)
        throw RemoteError(RemoteError::Kind::unavailable, "offline and not cached: " + repo.key() + "/" + path);
    auto f = std::make_shared<Folder>();
    f->entries = remote_.list_folder(repo, commit, path);
    std::sort(f->entries.begin(), f->entries.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    cache_.put(key, to_json(*f).dump());
    return f;
}

std::shared_ptr<const Folder> Catalog::folder(const RepoRef& repo, const Revision& at, const std::string& path) {
    const std::string key = folder_key(repo, at.commit, path);
    std::shared_ptr<Flight<std::shared_ptr<const Folder>>> flight;
    {
        std::unique_lock lock(mutex_);
        if (auto it = folders_.find(key); it != folders_.end()) return it->second;
        auto& slot = folder_flights_[key];
        if (slot) {
            flight = slot;
            landed_.wait(lock, [&] { return flight->done; });
            if (flight->error) std::rethrow_exception(flight->error);
            return *flight->value;
        }
        slot = flight = std::make_shared<Flight<std::shared_ptr<const Folder>>>();
    }
    std::shared_ptr<const Folder> result;
    std::exception_ptr error;
    try {
        result = load_folder(repo, at.commit, path);
    } catch (...) {
        error = std::current_exception();
    }
    std::lock_guard lock(mutex_);
    if (result) {
        if (folders_.size() >= kMaxFolders) folders_.erase(folders_.begin());  // listings are in LMDB too
        folders_[key] = result;
    }
    flight->done = true;
    flight->error = error;
    flight->value = result;
    folder_flights_.erase(key);
    landed_.notify_all();
    if (error) std::rethrow_exception(error);
    return result;
}

std::optional<RemoteEntry> Catalog::entry(const RepoRef& repo, const Revision& at, const std::string& path) {
    auto slash = path.rfind('/');
    std::string parent = slash == std::string::npos ? "" : path.substr(0, slash);
    std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
    auto f = folder(repo, at, parent);
    const RemoteEntry* e = f->find(name);
    if (!e) return std::nullopt;
    return *e;
}

std::vector<std::string> Catalog::repos_of(RepoType type, const std::string& author) {
    std::string key = std::string(type_plural(type)) + "/" + author;
    auto now = std::chrono::steady_clock::now();
    {
        std::lock_guard lock(mutex_);
        auto it = repo_lists_.find(key);
        if (it != repo_lists_.end() && (opts_.offline || now - it->second.second < opts_.repo_list_ttl))
            return it->second.first;
    }
    std::string index_key = std::string("repos") + kSep + key;
    std::vector<std::string> names;
    try {
        if (opts_.offline) throw RemoteError(RemoteError::Kind::unavailable, "offline");
        names = remote_.list_repos(type, author);
        cache_.put(index_key, nlohmann::json(names).dump());
    } catch (const RemoteError& e) {
        if (e.kind != RemoteError::Kind::unavailable) throw;
        auto v = cache_.get(index_key);
        if (!v) throw;
        names = nlohmann::json::parse(*v, nullptr, false).get<std::vector<std::string>>();
    }
    std::lock_guard lock(mutex_);
    repo_lists_[key] = {names, now};
    return names;
}

}  // namespace hubfs::fs
