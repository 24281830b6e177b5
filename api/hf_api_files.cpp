// HfApi: tree listings, paths info, file metadata and ranged downloads.
#include "errors.hpp"
#include "hf_api.hpp"
#include "hub_json.hpp"
#include "url.hpp"

#include <charconv>

namespace hubfs::api {

namespace {

constexpr size_t paths_info_batch = 500;  // the Hub answers 413 beyond ~1000

std::string bool_text(bool value) { return value ? "true" : "false"; }

// ETags arrive as "abc", W/"abc" or abc; the cache keys on the bare value.
std::string normalise_etag(std::string etag) {
    if (etag.starts_with("W/")) etag.erase(0, 2);
    if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') etag = etag.substr(1, etag.size() - 2);
    return etag;
}

std::optional<uint64_t> parse_size(const std::optional<std::string>& text) {
    if (!text) return std::nullopt;
    uint64_t value = 0;
    auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
    if (ec != std::errc{} || end != text->data() + text->size()) return std::nullopt;
    return value;
}

}  // namespace

PagedList<RepoTreeEntry> HfApi::list_repo_tree(const Repo& repo, const ListRepoTreeOptions& options) {
    std::string url = api_url(repo, "/tree/" + percent_encode(options.revision.value_or("main")));
    if (!options.path_in_repo.empty()) url += "/" + percent_encode(options.path_in_repo);
    url += "?" + build_query({{"recursive", bool_text(options.recursive)}, {"expand", bool_text(options.expand)}});
    return PagedList<RepoTreeEntry>(JsonPager(http_, url), &parse_tree_entry);
}

std::vector<std::string> HfApi::list_repo_files(const Repo& repo, const std::optional<std::string>& revision) {
    auto listing = list_repo_tree(repo, ListRepoTreeOptions{.path_in_repo = "", .recursive = true, .expand = false,
                                                            .revision = revision});
    std::vector<std::string> files;
    while (auto entry = listing.next()) {
        if (std::holds_alternative<RepoFile>(*entry)) files.push_back(entry_path(*entry));
    }
    return files;
}

std::vector<RepoTreeEntry> HfApi::get_paths_info(const Repo& repo, const std::vector<std::string>& paths, bool expand,
                                                 const std::optional<std::string>& revision) {
    std::vector<RepoTreeEntry> entries;
    std::string url = api_url(repo, "/paths-info/" + percent_encode(revision.value_or("main")));
    for (size_t start = 0; start < paths.size(); start += paths_info_batch) {
        std::vector<std::pair<std::string, std::string>> form;
        for (size_t i = start; i < std::min(paths.size(), start + paths_info_batch); ++i)
            form.emplace_back("paths", paths[i]);
        form.emplace_back("expand", bool_text(expand));
        HttpRequest request;
        request.method = "POST";
        request.url = url;
        request.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
        request.body = build_query(form);
        HttpResponse response = http_.send(request);
        expect_ok(response);
        auto body = parse_json_body(response.body, url);
        if (!body.is_array()) throw InvalidResponseError(ErrorDetails{response.status, "paths-info is not an array",
                                                                      response.request_id, url});
        for (const auto& item : body) entries.push_back(parse_tree_entry(item));
    }
    return entries;
}

std::string HfApi::hf_hub_url(const Repo& repo, const std::string& filename,
                              const std::optional<std::string>& revision) const {
    return config().endpoint + "/" + std::string(repo.url_prefix()) + percent_encode_path(repo.id) + "/resolve/" +
           percent_encode(revision.value_or("main")) + "/" + percent_encode_path(filename);
}

HfFileMetadata HfApi::get_hf_file_metadata(const std::string& url) {
    HttpRequest request;
    request.method = "HEAD";
    request.url = url;
    request.headers.emplace_back("Accept-Encoding", "identity");  // Content-Length must be the real size
    request.redirects = RedirectPolicy::same_origin_only;
    HttpResponse response = http_.send(request);
    if (!response.ok() && !response.is_redirect()) throw_http_error(response);

    HfFileMetadata metadata;
    auto missing = [&](const char* what) {
        throw InvalidResponseError(ErrorDetails{response.status, std::string("resolve answer lacks ") + what,
                                                response.request_id, url.substr(0, url.find('?'))});
    };
    metadata.commit_hash = response.headers.get_or("X-Repo-Commit");
    if (metadata.commit_hash.empty()) missing("X-Repo-Commit");
    metadata.etag = normalise_etag(response.headers.get("X-Linked-Etag").value_or(response.headers.get_or("ETag")));
    if (metadata.etag.empty()) missing("an ETag");
    auto size = parse_size(response.headers.get("X-Linked-Size"));
    if (!size && !response.is_redirect()) size = parse_size(response.headers.get("Content-Length"));
    if (!size) missing("a size");
    metadata.size = *size;
    if (response.is_redirect()) {
        metadata.location = resolve_location(response.url, response.headers.get_or("Location"));
        metadata.is_lfs_redirect = !http_.is_hub_url(metadata.location);
    } else {
        metadata.location = response.url;
    }
    return metadata;
}

bool HfApi::file_exists(const Repo& repo, const std::string& filename, const std::optional<std::string>& revision) {
    try {
        get_hf_file_metadata(hf_hub_url(repo, filename, revision));
        return true;
    } catch (const GatedRepoError&) {
        throw;
    } catch (const RepoNotFoundError&) {
        return false;
    } catch (const EntryNotFoundError&) {
        return false;
    } catch (const RevisionNotFoundError&) {
        return false;
    }
}

uint64_t HfApi::download_to_sink(const std::string& url, uint64_t offset, std::optional<uint64_t> length,
                                 const BodySink& sink) {
    uint64_t received = 0;
    HttpRequest request;
    request.url = url;
    HttpResponse response = http_.download(request, offset, length, [&](std::string_view chunk) {
        received += chunk.size();
        sink(chunk);
    });
    if (response.status == 416) return 0;  // the range starts at or past the end: nothing to read
    expect_ok(response);
    return received;
}

std::string HfApi::download_range(const std::string& url, uint64_t offset, uint64_t length) {
    std::string bytes;
    bytes.reserve(static_cast<size_t>(std::min<uint64_t>(length, 64u << 20)));
    download_to_sink(url, offset, length, [&](std::string_view chunk) { bytes.append(chunk); });
    return bytes;
}

std::string HfApi::download_file(const Repo& repo, const std::string& filename,
                                 const std::optional<std::string>& revision) {
    std::string bytes;
    download_to_sink(hf_hub_url(repo, filename, revision), 0, std::nullopt,
                     [&](std::string_view chunk) { bytes.append(chunk); });
    return bytes;
}

}  // namespace hubfs::api
