// Metadata of mounted repositories: revisions (with a TTL for moving names, negative answers
// included), folder listings (immutable per commit), repository lists. Memory first, then the
// LMDB index, then the Hub; concurrent misses of one key make one request.
//
// A commit's folders come, where the Hub allows, from one request that lists every file of the
// commit (a "snapshot"); big repositories are listed folder by folder instead.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "fs/background_tasks.hpp"
#include "fs/cache/cache.hpp"
#include "fs/remote.hpp"

namespace hubfs::fs {

struct Folder {
    std::vector<RemoteEntry> entries;  // sorted by name
    const RemoteEntry* find(const std::string& name) const;
};

struct CatalogOptions {
    std::chrono::seconds revision_ttl{30};
    std::chrono::seconds repo_list_ttl{30};
    bool offline = false;
    // A caller waits this long for an expired name's refresh; then the known answer stands
    // and the refresh goes on in the background (a stalled Hub holds no reader).
    std::chrono::milliseconds refresh_wait{1000};
};

class Catalog {
public:
    Catalog(Remote& remote, cache::Cache& cache, CatalogOptions opts);
    Catalog(const Catalog&) = delete;
    Catalog& operator=(const Catalog&) = delete;

    // A full commit sha resolves once for ever; other names again after the TTL. When the Hub
    // is unreachable, the last known resolution is used (offline reads of cached repos).
    Revision resolve(const RepoRef& repo, const std::string& rev);
    // What this mount itself changed: a commit it made moves the branch now, not after the TTL;
    // a repository or branch it created exists now (no negative answer kept).
    void learn_revision(const RepoRef& repo, const std::string& rev, const Revision& at);
    void forget_revision(const RepoRef& repo, const std::string& rev);
    std::shared_ptr<const Folder> folder(const RepoRef& repo, const Revision& at, const std::string& path);
    // The entry at path (never the root), or nullopt.
    std::optional<RemoteEntry> entry(const RepoRef& repo, const Revision& at, const std::string& path);
    std::vector<std::string> repos_of(RepoType type, const std::string& author);
    // Starts repos_of in the background: a name looked up as a repository and as a namespace
    // asks both at once; repos_of then waits for this answer.
    void prefetch_repos_of(RepoType type, const std::string& author);

private:
    using Clock = std::chrono::steady_clock;
    using Snapshot = std::map<std::string, std::shared_ptr<const Folder>>;  // folder path -> folder

    struct Flight {
        bool done = false;
        std::exception_ptr error;
    };
    // Runs fetch once for all concurrent callers of the same key; others wait for it.
    void single_flight(const std::string& key, const std::function<void()>& fetch);

    Revision fetch_revision(const RepoRef& repo, const std::string& rev, const std::string& key);
    // Never resolved in this mount nor in the cache: its files are asked for with the name.
    bool first_look(const std::string& key);
    Revision resolve_with_files(const RepoRef& repo, const std::string& rev);
    void keep_snapshot(const RepoRef& repo, const std::string& commit, const std::vector<RemoteEntry>& files);
    // Asks the Hub what a name is now and records the answer (a flight's body).
    void refresh_revision(const RepoRef& repo, const std::string& rev, const std::string& key);
    // The answer known for a name, however old: a commit, or not_found thrown (callers hold mutex_).
    std::optional<Revision> known_revision(const std::string& key);
    static std::string repos_key(RepoType type, const std::string& author);
    bool repos_from_index(const std::string& key, std::vector<std::string>& names);
    void fetch_repos(RepoType type, const std::string& author, const std::string& key);
    std::optional<std::vector<std::string>> fresh_repos(const std::string& key);
    std::shared_ptr<const Snapshot> snapshot(const RepoRef& repo, const std::string& commit);
    std::shared_ptr<const Folder> listed_folder(const RepoRef& repo, const std::string& commit, const std::string& path);

    Remote& remote_;
    cache::Cache& cache_;
    CatalogOptions opts_;
    std::mutex mutex_;
    std::condition_variable landed_;
    std::map<std::string, std::shared_ptr<Flight>> flights_;
    std::map<std::string, std::pair<Revision, Clock::time_point>> revisions_;
    std::map<std::string, std::pair<std::string, Clock::time_point>> missing_;  // negative answers
    std::map<std::string, std::shared_ptr<const Snapshot>> snapshots_;          // bounded
    std::map<std::string, std::shared_ptr<const Folder>> folders_;              // bounded
    std::map<std::string, std::pair<std::vector<std::string>, Clock::time_point>> repo_lists_;
    BackgroundTasks refreshes_;  // last member: joined first, while the rest is alive
};

}  // namespace hubfs::fs
