// HfApi: the commit log and everything that creates commits.
#include "base64.hpp"
#include "concurrent_tasks.hpp"
#include "errors.hpp"
#include "hf_api.hpp"
#include "hub_json.hpp"
#include "lfs_upload.hpp"
#include "upload_source.hpp"
#include "url.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <mutex>
#include <stdexcept>

namespace hubfs::api {

namespace {

constexpr size_t preupload_batch = 256;

struct PreparedAdd {
    const CommitOperationAdd* operation;
    UploadSource source;
    bool lfs = false;
    bool ignored = false;
    bool unchanged = false;  // the Hub already has these bytes at this path
};

nlohmann::json ndjson_line(const char* key, nlohmann::json value) { return {{"key", key}, {"value", std::move(value)}}; }

std::string normalise_path(std::string path) {
    while (path.starts_with("/")) path.erase(0, 1);
    if (path.starts_with("./")) path.erase(0, 2);
    return path;
}


// 1. Hashes and samples every added file in one pass over its bytes.
std::vector<PreparedAdd> hash_adds(const std::vector<CommitOperation>& operations) {
    std::vector<PreparedAdd> adds;
    for (const auto& operation : operations) {
        if (const auto* add = std::get_if<CommitOperationAdd>(&operation)) adds.push_back({add, UploadSource(*add)});
    }
    return adds;
}

// 2. Preupload: the Hub decides which files go to LFS and which are ignored, and tells the id
// of what is there now, so unchanged files are left out. The batches are independent: they go
// out in parallel (each costs a round trip; a thousand files make four). Returns the branch head
// the Hub saw.
std::string preupload(const std::function<HttpResponse(const nlohmann::json&)>& post, std::vector<PreparedAdd>& adds,
                      int max_in_flight) {
    std::vector<std::string> heads((adds.size() + preupload_batch - 1) / preupload_batch);
    std::vector<std::function<void()>> batches;
    for (size_t start = 0; start < adds.size(); start += preupload_batch) {
        batches.emplace_back([&, start] {
            nlohmann::json files = nlohmann::json::array();
            std::map<std::string, PreparedAdd*> by_path;
            for (size_t i = start; i < std::min(adds.size(), start + preupload_batch); ++i) {
                std::string path = normalise_path(adds[i].operation->path_in_repo);
                files.push_back({{"path", path}, {"size", adds[i].source.size()},
                                 {"sample", base64_encode(adds[i].source.sample())}});
                by_path[path] = &adds[i];
            }
            HttpResponse response = post({{"files", files}});
            expect_ok(response);
            nlohmann::json answer = parse_json_body(response.body, response.url);
            if (answer.contains("commitOid") && answer["commitOid"].is_string())
                heads[start / preupload_batch] = answer["commitOid"];
            for (const auto& file : answer.value("files", nlohmann::json::array())) {
                auto it = by_path.find(file.value("path", std::string()));
                if (it == by_path.end()) continue;
                PreparedAdd& add = *it->second;  // of this batch only: no other task touches it
                // Empty files are always regular, as in the official client.
                add.lfs = file.value("uploadMode", std::string("regular")) == "lfs" && add.source.size() > 0;
                add.ignored = file.value("shouldIgnore", false);
                if (auto oid = file.find("oid"); oid != file.end() && oid->is_string())
                    add.unchanged = *oid == (add.lfs ? add.source.sha256() : add.source.git_sha1());
            }
        });
    }
    run_concurrently(batches, max_in_flight);
    for (const auto& head : heads)
        if (!head.empty()) return head;
    return {};
}

std::vector<std::string> ignored_paths(const std::vector<PreparedAdd>& adds) {
    std::vector<std::string> ignored;
    for (const auto& add : adds)
        if (add.ignored) ignored.push_back(normalise_path(add.operation->path_in_repo));
    return ignored;
}

// Nothing would change: no empty commit (as Python does).
bool only_unchanged_adds(const std::vector<PreparedAdd>& adds, const std::vector<CommitOperation>& operations) {
    return !adds.empty() && adds.size() == operations.size() &&
           std::all_of(adds.begin(), adds.end(), [](const PreparedAdd& a) { return a.unchanged || a.ignored; });
}

// 3. LFS content goes up before the commit references it.
void upload_lfs_content(HttpClient& http, LfsUploadRequest lfs, const CommitOptions& options,
                        const std::vector<PreparedAdd>& adds) {
    std::vector<const UploadSource*> lfs_sources;
    for (const auto& add : adds)
        if (add.lfs && !add.ignored && !add.unchanged) lfs_sources.push_back(&add.source);
    if (lfs_sources.empty()) return;
    CommitProgress progress;
    std::mutex progress_mutex;
    auto report = [&] {
        if (options.progress) options.progress(progress);
    };
    progress.files_total = lfs_sources.size();
    for (const auto* source : lfs_sources) progress.bytes_total += source->size();
    report();
    lfs.on_sent = [&](uint64_t bytes) {
        std::lock_guard lock(progress_mutex);
        progress.bytes_uploaded += bytes;
        report();
    };
    upload_lfs_objects(http, lfs, lfs_sources);
    progress.files_uploaded = progress.files_total;
    progress.bytes_uploaded = progress.bytes_total;
    report();
}

std::string lfs_line(const std::string& path, const std::string& sha256, uint64_t size) {
    return ndjson_line("lfsFile", {{"path", path}, {"algo", "sha256"}, {"oid", sha256}, {"size", size}}).dump();
}

// Written out by hand: base64 needs no JSON escaping, and dumping it through nlohmann scanned
// every byte of a thousand files' content (a fifth of a small-file commit's CPU).
std::string regular_line(const std::string& path, const std::string& bytes) {
    std::string line = R"({"key":"file","value":{"path":)" + nlohmann::json(path).dump() + R"(,"content":")";
    line += base64_encode(bytes);
    line += R"(","encoding":"base64"}})";
    return line;
}

// A copy re-references the LFS object, or re-sends a regular file's bytes.
std::string copy_line(HfApi& api, const Repo& repo, const CommitOperationCopy& copy, const std::string& revision) {
    std::string source_revision = copy.src_revision.value_or(revision);
    auto infos = api.get_paths_info(repo, {normalise_path(copy.src_path_in_repo)}, false, source_revision);
    const RepoFile* file = infos.empty() ? nullptr : std::get_if<RepoFile>(&infos.front());
    if (file == nullptr) {
        throw EntryNotFoundError(
            ErrorDetails{404, "cannot copy missing file " + copy.src_path_in_repo, {}, api.config().endpoint + repo.api_path()});
    }
    std::string path = normalise_path(copy.path_in_repo);
    if (file->lfs) return lfs_line(path, file->lfs->sha256, file->lfs->size);
    return regular_line(path, api.download_file(repo, file->path, source_revision));
}

// 4. The NDJSON body: header, then one line per operation, in the caller's order.
std::string commit_body(HfApi& api, const Repo& repo, const std::vector<CommitOperation>& operations,
                        const std::vector<PreparedAdd>& adds, const CommitOptions& options) {
    nlohmann::json header = {{"summary", options.commit_message}, {"description", options.commit_description}};
    if (options.parent_commit) header["parentCommit"] = *options.parent_commit;
    std::string body = ndjson_line("header", header).dump() + "\n";
    size_t next_add = 0;
    for (const auto& operation : operations) {
        if (std::holds_alternative<CommitOperationAdd>(operation)) {
            const PreparedAdd& add = adds[next_add++];
            if (add.ignored || add.unchanged) continue;
            std::string path = normalise_path(add.operation->path_in_repo);
            body += add.lfs ? lfs_line(path, add.source.sha256(), add.source.size())
                            : regular_line(path, add.source.read_all());
        } else if (const auto* remove = std::get_if<CommitOperationDelete>(&operation)) {
            body += ndjson_line(remove->is_folder ? "deletedFolder" : "deletedFile",
                                {{"path", normalise_path(remove->path_in_repo)}})
                        .dump();
        } else {
            body += copy_line(api, repo, std::get<CommitOperationCopy>(operation), options.revision);
        }
        body += "\n";
    }
    return body;
}

}  // namespace

std::vector<GitCommitInfo> HfApi::list_repo_commits(const Repo& repo, const std::optional<std::string>& revision,
                                                    bool formatted) {
    std::string url = api_url(repo, "/commits/" + percent_encode(revision.value_or("main")));
    if (formatted) url += "?expand%5B%5D=formatted";
    return PagedList<GitCommitInfo>(JsonPager(http_, url), &parse_git_commit).to_vector();
}

CommitInfo HfApi::create_commit(const Repo& repo, const std::vector<CommitOperation>& operations,
                                const CommitOptions& options) {
    // The steps: hash (1), preupload (2), LFS upload (3), the NDJSON body (4), the commit (5).
    if (options.commit_message.empty()) throw std::invalid_argument("create_commit: commit_message is required");
    const std::string& revision = options.revision;
    const std::string pr_query = options.create_pr ? "?create_pr=1" : "";

    std::vector<PreparedAdd> adds = hash_adds(operations);
    std::string preupload_url = api_url(repo, "/preupload/" + percent_encode(revision) + pr_query);
    std::string head_commit =
        preupload([&](const nlohmann::json& body) { return send_json("POST", preupload_url, body); }, adds,
                  options.max_uploads_in_flight);
    std::vector<std::string> ignored = ignored_paths(adds);
    if (only_unchanged_adds(adds, operations) && !options.create_pr && !head_commit.empty()) {
        // No empty commit: the answer is the current head.
        CommitInfo info;
        info.oid = head_commit;
        info.commit_url = config().endpoint + "/" + std::string(repo.url_prefix()) + repo.id + "/commit/" + head_commit;
        info.commit_message = options.commit_message;
        info.commit_description = options.commit_description;
        info.ignored = std::move(ignored);
        return info;
    }

    LfsUploadRequest lfs;
    lfs.batch_url = config().endpoint + "/" + std::string(repo.url_prefix()) + percent_encode_path(repo.id) +
                    ".git/info/lfs/objects/batch";
    if (!options.create_pr) lfs.ref_name = revision;
    lfs.max_in_flight = options.max_uploads_in_flight;
    upload_lfs_content(http_, std::move(lfs), options, adds);

    // 5. The commit itself is not blindly retried: a lost answer may hide a commit that exists.
    HttpRequest request;
    request.method = "POST";
    request.url = api_url(repo, "/commit/" + percent_encode(revision) + pr_query);
    request.headers.emplace_back("Content-Type", "application/x-ndjson");
    request.body = commit_body(*this, repo, operations, adds, options);
    request.idempotent = false;
    HttpResponse response = http_.send(request);
    expect_ok(response);
    CommitInfo info = parse_commit_response(parse_json_body(response.body, request.url));
    info.commit_message = options.commit_message;
    info.commit_description = options.commit_description;
    info.ignored = std::move(ignored);
    return info;
}

CommitInfo HfApi::upload_file(const Repo& repo, CommitOperationAdd file, CommitOptions options) {
    if (options.commit_message.empty()) options.commit_message = "Upload " + file.path_in_repo + " with hubfs";
    return create_commit(repo, {std::move(file)}, options);
}

CommitInfo HfApi::upload_folder(const Repo& repo, const std::filesystem::path& folder, const std::string& path_in_repo,
                                CommitOptions options) {
    std::vector<CommitOperation> operations;
    std::string prefix = path_in_repo.empty() || path_in_repo.ends_with("/") ? path_in_repo : path_in_repo + "/";
    for (const auto& entry : std::filesystem::recursive_directory_iterator(folder)) {
        if (!entry.is_regular_file()) continue;
        std::string relative = std::filesystem::relative(entry.path(), folder).generic_string();
        if (relative.starts_with(".git/") || relative.starts_with(".cache/")) continue;
        operations.push_back(CommitOperationAdd::from_file(prefix + relative, entry.path()));
    }
    if (options.commit_message.empty()) options.commit_message = "Upload folder using hubfs";
    return create_commit(repo, operations, options);
}

CommitInfo HfApi::delete_file(const Repo& repo, const std::string& path_in_repo, CommitOptions options) {
    if (options.commit_message.empty()) options.commit_message = "Delete " + path_in_repo + " with hubfs";
    return create_commit(repo, {CommitOperationDelete{path_in_repo, false}}, options);
}

CommitInfo HfApi::delete_files(const Repo& repo, const std::vector<std::string>& paths, CommitOptions options) {
    std::vector<CommitOperation> operations;
    for (const auto& path : paths) {
        bool folder = path.ends_with("/");
        operations.push_back(CommitOperationDelete{path, folder});
    }
    if (options.commit_message.empty()) options.commit_message = "Delete files using hubfs";
    return create_commit(repo, operations, options);
}

CommitInfo HfApi::delete_folder(const Repo& repo, const std::string& path_in_repo, CommitOptions options) {
    if (options.commit_message.empty()) options.commit_message = "Delete folder " + path_in_repo + " with hubfs";
    return create_commit(repo, {CommitOperationDelete{path_in_repo, true}}, options);
}

void HfApi::super_squash_history(const Repo& repo, const std::string& branch,
                                 const std::optional<std::string>& commit_message) {
    nlohmann::json body = {{"message", commit_message.value_or("Super-squash branch '" + branch + "' using hubfs")}};
    expect_ok(send_json("POST", api_url(repo, "/super-squash/" + percent_encode(branch)), body, false));
}

}  // namespace hubfs::api
