#include "fs/hub/hub_remote.hpp"

#include <ctime>

#include <nlohmann/json.hpp>

#include "api/errors.hpp"
#include "api/paged_list.hpp"
#include "api/url.hpp"
#include "fs/common/log.hpp"

namespace hubfs::fs {
namespace {

// A storage URL is reused this long; the Hub's are signed and expire.
constexpr auto kLocationLifetime = std::chrono::minutes(10);

}  // namespace

api::Repo api_repo(const RepoRef& repo) { return api::Repo(repo.id, repo.type); }

[[noreturn]] void rethrow_as_remote_error() {
    try {
        throw;
    } catch (const api::HubError& e) {
        using K = api::ErrorKind;
        RemoteError::Kind kind = RemoteError::Kind::other;
        switch (e.kind()) {
            case K::repo_not_found:
            case K::revision_not_found:
            case K::entry_not_found:
            case K::discussion_not_found: kind = RemoteError::Kind::not_found; break;
            case K::gated_repo:
            case K::unauthorized:
            case K::forbidden: kind = RemoteError::Kind::access_denied; break;
            case K::network:
            case K::rate_limited:
            case K::offline: kind = RemoteError::Kind::unavailable; break;
            case K::bad_request: kind = RemoteError::Kind::invalid; break;
            case K::conflict: kind = RemoteError::Kind::conflict; break;
            case K::http:  // a 404 without the Hub's error code: an endpoint, job... that does not exist
                kind = e.status() >= 500   ? RemoteError::Kind::unavailable
                       : e.status() == 404 ? RemoteError::Kind::not_found
                                           : RemoteError::Kind::other;
                break;
            default: break;
        }
        throw RemoteError(kind, e.what());
    } catch (const nlohmann::json::exception& e) {
        throw RemoteError(RemoteError::Kind::other, std::string("the Hub sent malformed JSON: ") + e.what());
    }
}

RemoteEntry remote_entry(const api::RepoTreeEntry& entry) {
    RemoteEntry e;
    const std::string& full = api::entry_path(entry);
    e.name = full.substr(full.rfind('/') + 1);
    if (const auto* folder = std::get_if<api::RepoFolder>(&entry)) {
        e.is_dir = true;
        e.oid = folder->tree_id;
    } else {
        const auto& file = std::get<api::RepoFile>(entry);
        e.size = file.size;
        e.oid = file.blob_id;
        if (file.lfs) e.lfs_sha256 = file.lfs->sha256;
    }
    return e;
}

int64_t parse_hub_date(const std::string& iso) {
    std::tm tm{};
    if (iso.size() < 19 || !strptime(iso.c_str(), "%Y-%m-%dT%H:%M:%S", &tm)) return 0;
    return static_cast<int64_t>(timegm(&tm));
}

HubRemote::HubRemote(api::HubConfig config) : api_(config), http_(api_.http()), endpoint_(config.endpoint) {}

api::HttpRequest HubRemote::request(const std::string& url) const {
    api::HttpRequest r;
    r.url = url;
    return r;
}

std::optional<api::User> HubRemote::verify_startup() {
    try {
        if (http_.config().token) return api_.whoami();
        api::expect_ok(http_.send(request(endpoint_ + "/api/models?limit=1")));
        return std::nullopt;
    } catch (const api::HubError& e) {
        if (e.status() == 401)
            throw std::runtime_error("the token was refused by " + endpoint_ + " (check --token-file or HF_TOKEN)");
        throw std::runtime_error("cannot use " + endpoint_ + ": " + e.what());
    }
}

Revision HubRemote::resolve(const RepoRef& repo, const std::string& rev) {
    try {
        std::optional<std::string> revision;
        if (!rev.empty()) revision = rev;
        auto info = api_.repo_info(api_repo(repo), revision, false, {"sha", "lastModified"});
        if (!info.sha) throw api::InvalidResponseError(api::ErrorDetails{0, "repo info without sha", {}, repo.key()});
        Revision out{*info.sha, parse_hub_date(info.last_modified.value_or(""))};
        HUBFS_LOG(debug, "%s@%s is %s", repo.key().c_str(), rev.empty() ? "(default)" : rev.c_str(), out.commit.c_str());
        return out;
    } catch (...) {
        rethrow_as_remote_error();
    }
}

std::vector<RemoteEntry> HubRemote::list_folder(const RepoRef& repo, const std::string& commit,
                                                const std::string& path) {
    try {
        auto listing = api_.list_repo_tree(
            api_repo(repo), {.path_in_repo = path, .recursive = false, .expand = false, .revision = commit});
        std::vector<RemoteEntry> out;
        while (auto entry = listing.next()) out.push_back(remote_entry(*entry));
        return out;
    } catch (...) {
        rethrow_as_remote_error();
    }
}

// Every file of a repo info asked with blobs=true, or nullopt: "list folder by folder".
static std::optional<std::vector<RemoteEntry>> files_of(const api::RepoInfo& info) {
    constexpr size_t kMaxFiles = 200000;
    auto siblings = info.raw.find("siblings");
    if (siblings == info.raw.end() || !siblings->is_array() || info.siblings.size() > kMaxFiles) return std::nullopt;
    std::vector<RemoteEntry> out;
    for (const auto& s : info.siblings) {
        if (!s.size) return std::nullopt;  // blobs=true not honoured: no sizes
        RemoteEntry e;
        e.name = s.rfilename;
        e.size = *s.size;
        e.oid = s.blob_id.value_or("");
        if (s.lfs) e.lfs_sha256 = s.lfs->sha256;
        out.push_back(std::move(e));
    }
    return out;
}

std::optional<std::vector<RemoteEntry>> HubRemote::list_all_files(const RepoRef& repo, const std::string& commit) {
    // Repo info with blobs=true lists every file with its size and LFS id in one answer.
    try {
        return files_of(api_.repo_info(api_repo(repo), commit, true));
    } catch (...) {
        rethrow_as_remote_error();
    }
}

Remote::ResolvedFiles HubRemote::resolve_with_files(const RepoRef& repo, const std::string& rev) {
    // The same repo info as resolve (the same errors: unknown, private, gated, no such
    // revision), without `expand` (the Hub refuses it with blobs) and with every file.
    try {
        std::optional<std::string> revision;
        if (!rev.empty()) revision = rev;
        api::RepoInfo info = api_.repo_info(api_repo(repo), revision, true);
        if (!info.sha) throw api::InvalidResponseError(api::ErrorDetails{0, "repo info without sha", {}, repo.key()});
        Revision at{*info.sha, parse_hub_date(info.last_modified.value_or(""))};
        HUBFS_LOG(debug, "%s@%s is %s (with its files)", repo.key().c_str(), rev.empty() ? "(default)" : rev.c_str(), at.commit.c_str());
        return {at, files_of(info)};
    } catch (...) {
        rethrow_as_remote_error();
    }
}

std::vector<std::string> HubRemote::list_repos(RepoType type, const std::string& author) {
    try {
        std::string url = endpoint_ + "/api/" + type_plural(type) + "?" + api::build_query({{"author", author}, {"limit", "1000"}});
        std::vector<std::string> names;
        api::JsonPager pages(http_, url);
        while (auto j = pages.next()) {
            std::string id = j->at("id").get<std::string>();
            if (id.rfind(author + "/", 0) == 0) names.push_back(id.substr(author.size() + 1));
        }
        return names;
    } catch (...) {
        rethrow_as_remote_error();
    }
}

std::string HubRemote::file_url(const RepoRef& repo, const std::string& commit, const std::string& path) {
    return endpoint_ + "/" + std::string(api_repo(repo).url_prefix()) + api::percent_encode_path(repo.id) + "/resolve/" + commit + "/" +
           api::percent_encode_path(path);
}

void HubRemote::read_range(const RepoRef& repo, const std::string& commit, const std::string& path,
                           const RemoteEntry& entry, uint64_t offset, uint64_t length,
                           const std::function<void(const char*, size_t)>& sink) {
    std::vector<RangeRead> one(1);
    one[0] = RangeRead{repo, commit, path, entry, offset, length, sink, nullptr};
    read_ranges(one);
    if (one[0].error) std::rethrow_exception(one[0].error);
}

std::string HubRemote::storage_location(const RangeRead& read) {
    const std::string& id = read.entry.content_id();
    std::shared_ptr<Ask> ask;
    {
        std::unique_lock lock(mutex_);
        auto it = locations_.find(id);
        if (it != locations_.end() && std::chrono::steady_clock::now() - it->second.at < kLocationLifetime) return it->second.url;
        if (read.entry.lfs_sha256.empty()) return {};
        if (auto a = asking_.find(id); a != asking_.end()) {
            ask = a->second;
            asked_.wait(lock, [&] { return ask->done; });
            if (ask->error) std::rethrow_exception(ask->error);
            return ask->url;
        }
        ask = asking_[id] = std::make_shared<Ask>();
    }
    try {
        api::HfFileMetadata meta = api_.get_hf_file_metadata(file_url(read.repo, read.commit, read.path));
        if (meta.is_lfs_redirect) ask->url = meta.location;
    } catch (const api::HubError& e) {
        if (e.kind() == api::ErrorKind::network) {
            try {
                rethrow_as_remote_error();
            } catch (...) {
                ask->error = std::current_exception();
            }
        }
    } catch (...) {
    }
    std::lock_guard lock(mutex_);
    if (!ask->url.empty()) locations_[id] = Location{ask->url, std::chrono::steady_clock::now()};
    ask->done = true;
    asking_.erase(id);
    asked_.notify_all();
    if (ask->error) std::rethrow_exception(ask->error);
    return ask->url;
}

void HubRemote::read_ranges(std::vector<RangeRead>& reads) {
    // Every read on one curl multi handle, on this thread: no thread per transfer.
    std::vector<api::RangeDownload> downloads(reads.size());
    std::vector<bool> direct(reads.size());
    auto prepare = [&](size_t i, std::string url) {
        RangeRead& r = reads[i];
        api::RangeDownload& d = downloads[i];
        d = api::RangeDownload{};
        d.request = request(url);
        d.offset = r.offset;
        d.length = r.length;
        d.sink = [&r](std::string_view chunk) { r.sink(chunk.data(), chunk.size()); };
    };
    auto download = [&](const std::vector<size_t>& which) {
        std::vector<api::RangeDownload> batch;
        for (size_t i : which) batch.push_back(std::move(downloads[i]));
        http_.download_all(batch, static_cast<int>(batch.size()));
        for (size_t k = 0; k < which.size(); ++k) downloads[which[k]] = std::move(batch[k]);
    };
    std::vector<size_t> out;  // the reads that go out (the others' bytes could not be located)
    for (size_t i = 0; i < reads.size(); ++i) {
        std::string url;
        try {
            url = storage_location(reads[i]);
        } catch (...) {
            reads[i].error = std::current_exception();
            continue;
        }
        direct[i] = !url.empty();
        prepare(i, direct[i] ? url : file_url(reads[i].repo, reads[i].commit, reads[i].path));
        out.push_back(i);
    }
    download(out);
    // A storage URL that expired or moved (an HTTP error before any byte): ask the Hub again.
    std::vector<size_t> again;
    for (size_t i : out) {
        if (!direct[i] || downloads[i].error || downloads[i].response.ok() || downloads[i].received > 0) continue;
        {
            std::lock_guard lock(mutex_);
            locations_.erase(reads[i].entry.content_id());
        }
        direct[i] = false;
        prepare(i, file_url(reads[i].repo, reads[i].commit, reads[i].path));
        again.push_back(i);
    }
    if (!again.empty()) download(again);
    for (size_t i : out) finish_read(reads[i], downloads[i], direct[i]);
}

void HubRemote::finish_read(RangeRead& read, const api::RangeDownload& download, bool direct) {
    try {
        try {
            if (download.error) std::rethrow_exception(download.error);
            api::expect_ok(download.response);
        } catch (...) {
            rethrow_as_remote_error();
        }
    } catch (...) {
        read.error = std::current_exception();
        return;
    }
    const std::string& url = download.response.url;
    if (!direct && !url.empty() && !http_.is_hub_url(url)) {
        std::lock_guard lock(mutex_);
        locations_[read.entry.content_id()] = Location{url, std::chrono::steady_clock::now()};
    }
}

}  // namespace hubfs::fs
