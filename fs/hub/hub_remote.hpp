// The filesystem's Remote over api/HfApi: revisions and file lists (repo_info), folder listings
// (list_repo_tree), repo lists and ranged reads (its HTTP client). Remembers where an LFS
// file's bytes live (the storage host a resolve redirects to) so that reads after the first go
// there directly: one request per range, not two.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "api/config.hpp"
#include "api/hf_api.hpp"
#include "fs/remote.hpp"

namespace hubfs::fs {

class HubRemote final : public Remote {
public:
    explicit HubRemote(api::HubConfig config);

    // Start-up check: the endpoint answers and the token (if any) is accepted; returns who the
    // token belongs to (and whether it may write). Throws std::runtime_error for the user.
    std::optional<api::User> verify_startup();
    // At unmount: ends every read in flight and refuses new ones (nobody waits for them).
    void cancel_transfers() { http_.cancel(); }

    Revision resolve(const RepoRef& repo, const std::string& rev) override;
    std::vector<RemoteEntry> list_folder(const RepoRef& repo, const std::string& commit,
                                         const std::string& path) override;
    std::optional<std::vector<RemoteEntry>> list_all_files(const RepoRef& repo, const std::string& commit) override;
    ResolvedFiles resolve_with_files(const RepoRef& repo, const std::string& rev) override;
    std::vector<std::string> list_repos(RepoType type, const std::string& author) override;
    void read_range(const RepoRef& repo, const std::string& commit, const std::string& path,
                    const RemoteEntry& entry, uint64_t offset, uint64_t length,
                    const std::function<void(const char*, size_t)>& sink) override;
    void read_ranges(std::vector<RangeRead>& reads) override;
    std::string file_url(const RepoRef& repo, const std::string& commit, const std::string& path) override;

private:
    api::HttpRequest request(const std::string& url) const;
    // The storage URL the Hub redirected this content to lately, or "".
    std::string known_location(const std::string& content_id);
    // The outcome of one download of read_ranges into `read.error`; remembers its storage URL.
    void finish_read(RangeRead& read, const api::RangeDownload& download, bool direct);

    api::HfApi api_;
    api::HttpClient& http_;  // api_'s
    std::string endpoint_;
    struct Location {
        std::string url;
        std::chrono::steady_clock::time_point at;
    };
    std::mutex mutex_;
    std::map<std::string, Location> locations_;  // content id -> storage URL
};

api::Repo api_repo(const RepoRef& repo);

// A tree listing's entry as the filesystem sees it.
RemoteEntry remote_entry(const api::RepoTreeEntry& entry);

// The one translation of api/ errors (the exception being handled) into RemoteError kinds.
[[noreturn]] void rethrow_as_remote_error();

// Parses the Hub's ISO-8601 UTC dates ("2025-03-07T12:24:18.657Z"); 0 when malformed.
int64_t parse_hub_date(const std::string& iso);

}  // namespace hubfs::fs
