// Metadata of mounted repositories: revisions (with a TTL for moving names), folder listings
// (immutable per commit), repository lists. Memory first, then the LMDB index, then the Hub;
// concurrent misses for one key make one request.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "cache/cache.hpp"
#include "remote.hpp"

namespace hubfs::fs {

struct Folder {
    std::vector<RemoteEntry> entries;  // sorted by name
    const RemoteEntry* find(const std::string& name) const;
};

struct CatalogOptions {
    std::chrono::seconds revision_ttl{30};
    std::chrono::seconds repo_list_ttl{30};
    bool offline = false;
};

class Catalog {
public:
    Catalog(Remote& remote, cache::Cache& cache, CatalogOptions opts);

    // A full commit sha resolves once for ever; other names again after the TTL. When the Hub
    // is unreachable, the last known resolution is used (offline reads of cached repos).
    Revision resolve(const RepoRef& repo, const std::string& rev);
    std::shared_ptr<const Folder> folder(const RepoRef& repo, const Revision& at, const std::string& path);
    // The entry at path (never the root), or nullopt.
    std::optional<RemoteEntry> entry(const RepoRef& repo, const Revision& at, const std::string& path);
    std::vector<std::string> repos_of(RepoType type, const std::string& author);

private:
    struct TimedRevision {
        Revision rev;
        std::chrono::steady_clock::time_point fetched;
    };
    // One request for many waiters of the same key.
    template <class T>
    struct Flight {
        bool done = false;
        std::optional<T> value;
        std::exception_ptr error;
    };

    std::shared_ptr<const Folder> load_folder(const RepoRef& repo, const std::string& commit, const std::string& path);

    Remote& remote_;
    cache::Cache& cache_;
    CatalogOptions opts_;
    std::mutex mutex_;
    std::condition_variable landed_;
    std::map<std::string, TimedRevision> revisions_;
    std::map<std::string, std::shared_ptr<Flight<Revision>>> revision_flights_;
    std::map<std::string, std::shared_ptr<const Folder>> folders_;  // bounded, see kMaxFolders
    std::map<std::string, std::shared_ptr<Flight<std::shared_ptr<const Folder>>>> folder_flights_;
    std::map<std::string, std::pair<std::vector<std::string>, std::chrono::steady_clock::time_point>> repo_lists_;
};

}  // namespace hubfs::fs
