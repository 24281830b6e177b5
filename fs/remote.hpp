// What the filesystem needs from the Hub. The implementation over api/ is hub_remote.*;
// the filesystem sees only these calls and the RemoteError kinds.
#pragma once

#include <cstdint>
#include <exception>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "api/repo.hpp"

namespace hubfs::fs {

// The Hub's repository kinds, one table for the client and the mount (api/repo.hpp).
using RepoType = api::RepoType;
using api::type_plural;  // "models", "datasets", "spaces"

struct RepoRef {
    RepoType type = RepoType::model;
    std::string id;  // "ns/name", or "name" for namespace-less repos
    std::string key() const { return std::string(type_plural(type)) + "/" + id; }
    bool operator==(const RepoRef&) const = default;
};

struct Revision {
    std::string commit;  // 40 hex
    int64_t time = 0;    // commit date, seconds since the epoch (0 when unknown)
};

struct RemoteEntry {
    std::string name;        // last path segment
    bool is_dir = false;
    uint64_t size = 0;
    std::string oid;         // git blob or tree id
    std::string lfs_sha256;  // empty for files stored in git
    // Content identity for the data cache: the LFS sha256, else the git blob id.
    const std::string& content_id() const { return lfs_sha256.empty() ? oid : lfs_sha256; }
};

// Failures the filesystem tells apart; fs/errno_map.cpp turns them into errno.
struct RemoteError : std::runtime_error {
    enum class Kind { not_found, access_denied, unavailable, invalid, conflict, other };
    RemoteError(Kind k, const std::string& what) : std::runtime_error(what), kind(k) {}
    Kind kind;
};

// One ranged read of Remote::read_ranges: bytes [offset, offset + length) of a file at a commit
// to sink, in order; `error` says how it failed (null: every byte was delivered or the body
// ended early, which the caller checks).
struct RangeRead {
    RepoRef repo;
    std::string commit, path;
    RemoteEntry entry;
    uint64_t offset = 0, length = 0;
    std::function<void(const char*, size_t)> sink;
    std::exception_ptr error;
};

class Remote {
public:
    virtual ~Remote() = default;
    // Branch, tag, sha (full or short) or refs/pr/N; "" is the default branch.
    virtual Revision resolve(const RepoRef& repo, const std::string& rev) = 0;
    // One folder ("" is the root) of a commit.
    virtual std::vector<RemoteEntry> list_folder(const RepoRef& repo, const std::string& commit,
                                                 const std::string& path) = 0;
    // Every file of a commit in one request (name holds the full path), when the Hub can give
    // it; nullopt means "list folder by folder" (e.g. a repository too big for one answer).
    virtual std::optional<std::vector<RemoteEntry>> list_all_files(const RepoRef& repo, const std::string& commit) = 0;
    // A name's commit and, from the same answer where the Hub gives it, every file of that
    // commit (as list_all_files: nullopt when it cannot). For a first look at a repository,
    // whose listing is asked for next: one round trip instead of two.
    struct ResolvedFiles {
        Revision rev;
        std::optional<std::vector<RemoteEntry>> files;
    };
    virtual ResolvedFiles resolve_with_files(const RepoRef& repo, const std::string& rev) {
        Revision r = resolve(repo, rev);
        return {r, list_all_files(repo, r.commit)};
    }
    // Repository names (without namespace) of an author.
    virtual std::vector<std::string> list_repos(RepoType type, const std::string& author) = 0;
    // Streams bytes [offset, offset + length) of a file at a commit to sink, in order.
    virtual void read_range(const RepoRef& repo, const std::string& commit, const std::string& path,
                            const RemoteEntry& entry, uint64_t offset, uint64_t length,
                            const std::function<void(const char*, size_t)>& sink) = 0;
    // Several ranged reads at once, each as read_range would do it; sinks are called from the
    // calling thread only. Failures are stored in each read, never thrown. The Hub's adapter runs
    // them concurrently on one thread (curl multi); this default runs them one after another.
    virtual void read_ranges(std::vector<RangeRead>& reads) {
        for (auto& r : reads) {
            try {
                read_range(r.repo, r.commit, r.path, r.entry, r.offset, r.length, r.sink);
            } catch (...) {
                r.error = std::current_exception();
            }
        }
    }
    // The resolve URL of a file (for the user.hub.url attribute).
    virtual std::string file_url(const RepoRef& repo, const std::string& commit, const std::string& path) = 0;
};

}  // namespace hubfs::fs
