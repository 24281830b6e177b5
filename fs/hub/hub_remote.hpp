// The filesystem's Remote over api/HfApi: revisions and file lists (repo_info), folder listings
// (list_repo_tree), repo lists and ranged reads (its HTTP client). Remembers where an LFS
// file's bytes live (the storage host a resolve redirects to) so that reads go there directly:
// one request per range, not two, and one resolve per file opened, not one per range.
#pragma once

#include <chrono>
#include <condition_variable>
#include <exception>
#include <map>
#include <memory>
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
    // Where an LFS file's bytes are, asked of the Hub by one resolve HEAD that stops at the
    // redirect, one caller at a time per content (the others wait for its answer): a stream's
    // first window is 16 GETs at once, and each through the resolve counted 16 against the Hub's
    // `resolvers` rate limit (5,000 per 5 minutes for a free user) for every file opened; the HEAD
    // and a direct GET take the same two round trips as a GET redirected. "" for a file in git,
    // one the Hub serves itself, or an answer without the metadata (the reads then go through the
    // resolve as before); a transport failure is thrown (RemoteError): a GET would wait it out again.
    std::string storage_location(const RangeRead& read);
    // The outcome of one download of read_ranges into `read.error`; remembers its storage URL.
    void finish_read(RangeRead& read, const api::RangeDownload& download, bool direct);

    api::HfApi api_;
    api::HttpClient& http_;  // api_'s
    std::string endpoint_;
    struct Location {
        std::string url;
        std::chrono::steady_clock::time_point at;
    };
    struct Ask {  // a storage_location HEAD in flight, and its outcome
        bool done = false;
        std::string url;
        std::exception_ptr error;
    };
    std::mutex mutex_;
    std::map<std::string, Location> locations_;  // content id -> storage URL
    std::map<std::string, std::shared_ptr<Ask>> asking_;  // content id -> its HEAD in flight
    std::condition_variable asked_;
};

api::Repo api_repo(const RepoRef& repo);

// A tree listing's entry as the filesystem sees it.
RemoteEntry remote_entry(const api::RepoTreeEntry& entry);

// The one translation of api/ errors (the exception being handled) into RemoteError kinds.
[[noreturn]] void rethrow_as_remote_error();

// Parses the Hub's ISO-8601 UTC dates ("2025-03-07T12:24:18.657Z"); 0 when malformed.
int64_t parse_hub_date(const std::string& iso);

}  // namespace hubfs::fs
