#include "fs/read/catalog.hpp"

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

#include "fs/common/log.hpp"
#include "fs/hub_path.hpp"
#include "fs/network_wait.hpp"

namespace hubfs::fs {
namespace {

constexpr size_t kMaxFolders = 8192;
constexpr size_t kMaxSnapshots = 64;
constexpr char kSep = '\x1f';

std::string key_of(const char* kind, const RepoRef& repo, const std::string& a, const std::string& b = {}) {
    return std::string(kind) + kSep + repo.key() + kSep + a + kSep + b;
}

nlohmann::json entries_json(const std::vector<RemoteEntry>& entries) {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& e : entries)
        a.push_back({{"n", e.name}, {"d", e.is_dir}, {"s", e.size}, {"o", e.oid}, {"l", e.lfs_sha256}});
    return a;
}

std::optional<std::vector<RemoteEntry>> entries_from(const std::optional<std::string>& text) {
    if (!text) return std::nullopt;
    auto a = nlohmann::json::parse(*text, nullptr, false);
    if (!a.is_array()) return std::nullopt;  // damaged: fetch again
    std::vector<RemoteEntry> out;
    try {
        for (const auto& j : a)
            out.push_back({j.at("n").get<std::string>(), j.at("d").get<bool>(), j.at("s").get<uint64_t>(),
                           j.at("o").get<std::string>(), j.at("l").get<std::string>()});
    } catch (const nlohmann::json::exception&) {
        return std::nullopt;
    }
    return out;
}

std::shared_ptr<const Folder> sorted_folder(std::vector<RemoteEntry> entries) {
    auto f = std::make_shared<Folder>();
    f->entries = std::move(entries);
    std::sort(f->entries.begin(), f->entries.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    return f;
}

// Splits a commit's file list into its folders (git has no empty folders, so files imply them all).
std::map<std::string, std::shared_ptr<const Folder>> split_into_folders(const std::vector<RemoteEntry>& files) {
    auto parent_of = [](const std::string& p) { auto s = p.rfind('/'); return s == std::string::npos ? std::string() : p.substr(0, s); };
    auto base_of = [](const std::string& p) { auto s = p.rfind('/'); return s == std::string::npos ? p : p.substr(s + 1); };
    std::map<std::string, std::vector<RemoteEntry>> folders{{"", {}}};
    std::set<std::string> known{""};
    for (const auto& f : files) {
        RemoteEntry leaf = f;
        leaf.name = base_of(f.name);
        folders[parent_of(f.name)].push_back(std::move(leaf));
        // A folder seen for the first time is listed in its parent, and so on up.
        for (std::string d = parent_of(f.name); !known.count(d); d = parent_of(d)) {
            known.insert(d);
            RemoteEntry dir;
            dir.name = base_of(d);
            dir.is_dir = true;
            folders[parent_of(d)].push_back(std::move(dir));
        }
    }
    std::map<std::string, std::shared_ptr<const Folder>> out;
    for (auto& [dir, entries] : folders) out[dir] = sorted_folder(std::move(entries));
    return out;
}

}  // namespace

const RemoteEntry* Folder::find(const std::string& name) const {
    auto it = std::lower_bound(entries.begin(), entries.end(), name,
                               [](const RemoteEntry& e, const std::string& n) { return e.name < n; });
    return it != entries.end() && it->name == name ? &*it : nullptr;
}

Catalog::Catalog(Remote& remote, cache::Cache& cache, CatalogOptions opts)
    : remote_(remote), cache_(cache), opts_(opts) {}

void Catalog::single_flight(const std::string& key, const std::function<void()>& fetch) {
    may_wait_for_network();  // either this caller fetches or it waits for the one who does
    std::shared_ptr<Flight> flight;
    {
        std::unique_lock lock(mutex_);
        auto& slot = flights_[key];
        if (slot) {
            flight = slot;
            landed_.wait(lock, [&] { return flight->done; });
            if (flight->error) std::rethrow_exception(flight->error);
            return;
        }
        slot = flight = std::make_shared<Flight>();
    }
    std::exception_ptr error;
    try {
        fetch();
    } catch (...) {
        error = std::current_exception();
    }
    std::lock_guard lock(mutex_);
    flight->done = true;
    flight->error = error;
    flights_.erase(key);
    landed_.notify_all();
    if (error) std::rethrow_exception(error);
}

Revision Catalog::fetch_revision(const RepoRef& repo, const std::string& rev, const std::string& key) {
    auto from_index = [&]() -> std::optional<Revision> {
        auto j = nlohmann::json::parse(cache_.get(key).value_or(""), nullptr, false);
        if (!j.is_object()) return std::nullopt;
        return Revision{j.value("commit", ""), j.value("time", int64_t(0))};
    };
    if (is_commit_sha(rev) || opts_.offline)
        if (auto r = from_index()) return *r;
    if (opts_.offline)
        throw RemoteError(RemoteError::Kind::unavailable, "offline, and " + repo.key() + "@" + rev + " is not cached");
    try {
        // A moving name (the default branch, a branch, a tag) seen for the first time brings its
        // files along; a full sha resolves alone (resolved once for ever, and stall.test.mjs
        // relies on a pinned name being known while its folders are not).
        Revision r = !is_commit_sha(rev) && first_look(key) ? resolve_with_files(repo, rev) : remote_.resolve(repo, rev);
        cache_.put(key, nlohmann::json{{"commit", r.commit}, {"time", r.time}}.dump());
        return r;
    } catch (const RemoteError& e) {
        if (e.kind != RemoteError::Kind::unavailable) throw;
        // The Hub is down: serve the newest commit known, this mount's own commits included.
        std::optional<Revision> known;
        {
            std::lock_guard lock(mutex_);
            if (auto it = revisions_.find(key); it != revisions_.end()) known = it->second.first;
        }
        if (!known) known = from_index();
        if (!known) throw;
        HUBFS_LOG(debug, "%s@%s stays at %s: %s", repo.key().c_str(), rev.empty() ? "(default)" : rev.c_str(),
                  known->commit.c_str(), e.what());
        return *known;
    }
}

bool Catalog::first_look(const std::string& key) {
    {
        std::lock_guard lock(mutex_);
        if (revisions_.count(key) || missing_.count(key)) return false;
    }
    return !cache_.get(key);  // a cache that knew the name may hold that commit's files too
}

Revision Catalog::resolve_with_files(const RepoRef& repo, const std::string& rev) {
    auto both = remote_.resolve_with_files(repo, rev);
    // Without files (a repository too big for one answer) the listing decides later, as before.
    if (both.files) keep_snapshot(repo, both.rev.commit, *both.files);
    return both.rev;
}

void Catalog::keep_snapshot(const RepoRef& repo, const std::string& commit, const std::vector<RemoteEntry>& files) {
    const std::string key = key_of("snap", repo, commit);
    if (!cache_.get(key)) cache_.put(key, entries_json(files).dump());
    auto snap = std::make_shared<const Snapshot>(split_into_folders(files));
    std::lock_guard lock(mutex_);
    if (snapshots_.count(key)) return;
    if (snapshots_.size() >= kMaxSnapshots) snapshots_.erase(snapshots_.begin());
    snapshots_[key] = snap;
}

void Catalog::learn_revision(const RepoRef& repo, const std::string& rev, const Revision& at) {
    const std::string key = key_of("rev", repo, rev);
    // Also on disk: with the Hub down later, this (not an older resolution) is the fallback.
    try {
        cache_.put(key, nlohmann::json{{"commit", at.commit}, {"time", at.time}}.dump());
    } catch (const std::exception&) {
    }
    std::lock_guard lock(mutex_);
    revisions_[key] = {at, Clock::now()};
    missing_.erase(key);
}

void Catalog::forget_revision(const RepoRef& repo, const std::string& rev) {
    const std::string key = key_of("rev", repo, rev);
    std::lock_guard lock(mutex_);
    revisions_.erase(key);
    missing_.erase(key);
}

void Catalog::refresh_revision(const RepoRef& repo, const std::string& rev, const std::string& key) {
    try {
        Revision r = fetch_revision(repo, rev, key);
        std::lock_guard lock(mutex_);
        revisions_[key] = {r, Clock::now()};
        missing_.erase(key);
    } catch (const RemoteError& e) {
        std::lock_guard lock(mutex_);
        auto known_missing = missing_.find(key);
        // The Hub cannot say now: a name known not to exist (a namespace looked up as a
        // repository, the common case) stays so rather than failing every path under it.
        if (e.kind == RemoteError::Kind::unavailable && known_missing != missing_.end()) {
            known_missing->second.second = Clock::now();
            return;
        }
        if (e.kind != RemoteError::Kind::not_found) throw;
        revisions_.erase(key);
        missing_[key] = {e.what(), Clock::now()};
    }
}

std::optional<Revision> Catalog::known_revision(const std::string& key) {
    if (auto it = revisions_.find(key); it != revisions_.end()) return it->second.first;
    if (auto it = missing_.find(key); it != missing_.end()) throw RemoteError(RemoteError::Kind::not_found, it->second.first);
    return std::nullopt;
}

Revision Catalog::resolve(const RepoRef& repo, const std::string& rev) {
    const std::string key = key_of("rev", repo, rev);
    const bool pinned = is_commit_sha(rev);
    bool known = false;
    {
        std::lock_guard lock(mutex_);
        auto now = Clock::now();
        if (auto it = revisions_.find(key); it != revisions_.end())
            if (pinned || opts_.offline || now - it->second.second < opts_.revision_ttl) return it->second.first;
        if (auto it = missing_.find(key); it != missing_.end() && now - it->second.second < opts_.revision_ttl)
            throw RemoteError(RemoteError::Kind::not_found, it->second.first);
        // Someone is asking the Hub already: the known answer stands meanwhile, so a slow or
        // stalled Hub holds one caller, not every lookup of the name.
        if (flights_.count(key))
            if (auto r = known_revision(key)) return *r;
        known = !pinned && !opts_.offline && (revisions_.count(key) || missing_.count(key));
    }
    if (known) {
        // A name known not to exist (a namespace, looked up as a repository on every path
        // walk) need not wait at all.
        auto wait = opts_.refresh_wait;
        {
            std::lock_guard lock(mutex_);
            if (!revisions_.count(key)) wait = std::chrono::milliseconds(0);
        }
        if (wait.count() > 0) may_wait_for_network();
        // Ask in the background and wait a little: a Hub that answers in time moves the name
        // now; a slow or stalled one leaves the known answer standing meanwhile.
        auto done = std::make_shared<bool>(false);  // under mutex_
        refreshes_.run([this, repo, rev, key, done] {
            try {
                single_flight(key, [&] { refresh_revision(repo, rev, key); });
            } catch (...) {
                // the known answer stands; the next expiry asks again
            }
            std::lock_guard lock(mutex_);
            *done = true;
            landed_.notify_all();
        });
        std::unique_lock lock(mutex_);
        landed_.wait_for(lock, wait, [&] { return *done; });
        if (auto r = known_revision(key)) return *r;
        throw RemoteError(RemoteError::Kind::unavailable, repo.key() + "@" + rev + ": no answer from the Hub");
    }
    single_flight(key, [&] { refresh_revision(repo, rev, key); });
    // Whatever the flight found (this caller's or another's), however short the TTL.
    std::lock_guard lock(mutex_);
    if (auto it = revisions_.find(key); it != revisions_.end()) return it->second.first;
    auto it = missing_.find(key);
    throw RemoteError(RemoteError::Kind::not_found, it != missing_.end() ? it->second.first : repo.key() + "@" + rev);
}

std::shared_ptr<const Catalog::Snapshot> Catalog::snapshot(const RepoRef& repo, const std::string& commit) {
    const std::string key = key_of("snap", repo, commit);
    std::shared_ptr<const Snapshot> found;
    auto lookup = [&] {
        std::lock_guard lock(mutex_);
        auto it = snapshots_.find(key);
        if (it == snapshots_.end()) return false;
        found = it->second;
        return true;
    };
    if (lookup()) return found;  // may be null: "too big, list folder by folder"
    single_flight(key, [&] {
        std::optional<std::vector<RemoteEntry>> files;
        auto stored = cache_.get(key);
        if (stored && *stored == "too-big") {
            files = std::nullopt;
        } else if (auto cached = entries_from(stored)) {
            files = std::move(cached);
        } else {
            if (opts_.offline) throw RemoteError(RemoteError::Kind::unavailable, "offline, and " + repo.key() + " is not cached");
            files = remote_.list_all_files(repo, commit);
            cache_.put(key, files ? entries_json(*files).dump() : std::string("too-big"));
        }
        std::shared_ptr<const Snapshot> snap;
        if (files) snap = std::make_shared<const Snapshot>(split_into_folders(*files));
        std::lock_guard lock(mutex_);
        if (snapshots_.size() >= kMaxSnapshots) snapshots_.erase(snapshots_.begin());
        snapshots_[key] = snap;
    });
    lookup();
    return found;
}

std::shared_ptr<const Folder> Catalog::listed_folder(const RepoRef& repo, const std::string& commit,
                                                     const std::string& path) {
    const std::string key = key_of("dir", repo, commit, path);
    {
        std::lock_guard lock(mutex_);
        if (auto it = folders_.find(key); it != folders_.end()) return it->second;
    }
    single_flight(key, [&] {
        auto entries = entries_from(cache_.get(key));
        if (!entries) {
            if (opts_.offline) throw RemoteError(RemoteError::Kind::unavailable, "offline, and " + repo.key() + "/" + path + " is not cached");
            entries = remote_.list_folder(repo, commit, path);
            cache_.put(key, entries_json(*entries).dump());
        }
        auto f = sorted_folder(std::move(*entries));
        std::lock_guard lock(mutex_);
        if (folders_.size() >= kMaxFolders) folders_.erase(folders_.begin());
        folders_[key] = f;
    });
    std::lock_guard lock(mutex_);
    auto it = folders_.find(key);
    return it != folders_.end() ? it->second : std::make_shared<const Folder>();
}

std::shared_ptr<const Folder> Catalog::folder(const RepoRef& repo, const Revision& at, const std::string& path) {
    if (auto snap = snapshot(repo, at.commit)) {
        auto it = snap->find(path);
        if (it == snap->end()) throw RemoteError(RemoteError::Kind::not_found, repo.key() + ": no folder " + path);
        return it->second;
    }
    return listed_folder(repo, at.commit, path);
}

std::optional<RemoteEntry> Catalog::entry(const RepoRef& repo, const Revision& at, const std::string& path) {
    auto slash = path.rfind('/');
    std::string parent = slash == std::string::npos ? "" : path.substr(0, slash);
    std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
    std::shared_ptr<const Folder> f;
    try {
        f = folder(repo, at, parent);
    } catch (const RemoteError& e) {
        if (e.kind == RemoteError::Kind::not_found) return std::nullopt;
        throw;
    }
    const RemoteEntry* e = f->find(name);
    if (!e) return std::nullopt;
    return *e;
}

std::string Catalog::repos_key(RepoType type, const std::string& author) {
    return std::string("repos") + kSep + type_plural(type) + kSep + author;
}

bool Catalog::repos_from_index(const std::string& key, std::vector<std::string>& names) {
    auto j = nlohmann::json::parse(cache_.get(key).value_or(""), nullptr, false);
    if (!j.is_array()) return false;
    for (const auto& n : j)
        if (n.is_string()) names.push_back(n.get<std::string>());
    return true;
}

void Catalog::fetch_repos(RepoType type, const std::string& author, const std::string& key) {
    if (fresh_repos(key)) return;  // a flight that ended just before this one began
    std::vector<std::string> names;
    try {
        names = remote_.list_repos(type, author);
        cache_.put(key, nlohmann::json(names).dump());
    } catch (const RemoteError& e) {
        names.clear();
        if (e.kind != RemoteError::Kind::unavailable || !repos_from_index(key, names)) throw;
    }
    std::lock_guard lock(mutex_);
    repo_lists_[key] = {names, Clock::now()};
}

std::optional<std::vector<std::string>> Catalog::fresh_repos(const std::string& key) {
    std::lock_guard lock(mutex_);
    auto it = repo_lists_.find(key);
    if (it != repo_lists_.end() && (opts_.offline || Clock::now() - it->second.second < opts_.repo_list_ttl))
        return it->second.first;
    return std::nullopt;
}

void Catalog::prefetch_repos_of(RepoType type, const std::string& author) {
    const std::string key = repos_key(type, author);
    if (opts_.offline || fresh_repos(key)) return;
    {
        std::lock_guard lock(mutex_);
        if (flights_.count(key)) return;
    }
    refreshes_.run([this, type, author, key] {
        try {
            single_flight(key, [&] { fetch_repos(type, author, key); });
        } catch (...) {
            // a repos_of joined to this flight gets the error; a later one asks again
        }
    });
}

std::vector<std::string> Catalog::repos_of(RepoType type, const std::string& author) {
    const std::string key = repos_key(type, author);
    if (auto names = fresh_repos(key)) return *names;
    if (opts_.offline) {
        std::vector<std::string> names;
        if (!repos_from_index(key, names)) throw RemoteError(RemoteError::Kind::unavailable, "offline, and the repositories of " + author + " are not cached");
        std::lock_guard lock(mutex_);
        repo_lists_[key] = {names, Clock::now()};
        return names;
    }
    // One request for concurrent callers (a prefetch_repos_of running is joined, not repeated).
    single_flight(key, [&] { fetch_repos(type, author, key); });
    std::lock_guard lock(mutex_);
    return repo_lists_[key].first;
}

}  // namespace hubfs::fs
