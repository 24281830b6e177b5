// HfApi::preupload_lfs_files: asks the Hub how each file goes up (preupload) and sends the LFS
// ones now, so that a later create_commit with the same additions only references them (its
// LFS batch finds them stored and sends nothing again).
#include "base64.hpp"
#include "errors.hpp"
#include "hf_api.hpp"
#include "hub_json.hpp"
#include "lfs_upload.hpp"
#include "upload_source.hpp"
#include "url.hpp"

#include <algorithm>
#include <map>

namespace hubfs::api {

namespace {

constexpr size_t preupload_batch = 256;  // files per preupload call, as the Python client sends

std::string normalised(std::string path) {
    while (path.starts_with("/")) path.erase(0, 1);
    if (path.starts_with("./")) path.erase(0, 2);
    return path;
}

}  // namespace

std::vector<PreuploadedFile> HfApi::preupload_lfs_files(const Repo& repo, const std::vector<CommitOperationAdd>& additions,
                                                        const PreuploadOptions& options) {
    std::vector<UploadSource> sources;
    sources.reserve(additions.size());
    std::vector<PreuploadedFile> out(additions.size());
    for (size_t i = 0; i < additions.size(); ++i) {
        sources.emplace_back(additions[i]);
        out[i].path_in_repo = normalised(additions[i].path_in_repo);
    }
    const std::string query = options.create_pr ? "?create_pr=1" : "";
    for (size_t start = 0; start < additions.size(); start += preupload_batch) {
        nlohmann::json files = nlohmann::json::array();
        std::map<std::string, size_t> index_of;
        for (size_t i = start; i < std::min(additions.size(), start + preupload_batch); ++i) {
            files.push_back({{"path", out[i].path_in_repo}, {"size", sources[i].size()},
                             {"sample", base64_encode(sources[i].sample())}});
            index_of[out[i].path_in_repo] = i;
        }
        nlohmann::json body = {{"files", files}};
        if (options.gitignore_content) body["gitIgnore"] = *options.gitignore_content;
        HttpResponse response =
            send_json("POST", api_url(repo, "/preupload/" + percent_encode(options.revision) + query), body);
        expect_ok(response);
        auto answer = parse_json_body(response.body, response.url);
        for (const auto& file : answer.value("files", nlohmann::json::array())) {
            auto it = index_of.find(file.value("path", std::string()));
            if (it == index_of.end()) continue;
            PreuploadedFile& info = out[it->second];
            // Empty files are always regular, as in the official client.
            info.upload_mode = file.value("uploadMode", std::string("regular")) == "lfs" && sources[it->second].size() > 0
                                   ? "lfs"
                                   : "regular";
            info.should_ignore = file.value("shouldIgnore", false);
            if (auto oid = file.find("oid"); oid != file.end() && oid->is_string()) info.remote_oid = oid->get<std::string>();
        }
    }
    std::vector<const UploadSource*> lfs;
    for (size_t i = 0; i < additions.size(); ++i)
        if (out[i].upload_mode == "lfs" && !out[i].should_ignore) lfs.push_back(&sources[i]);
    if (!lfs.empty()) {
        LfsUploadRequest request;
        request.batch_url = config().endpoint + "/" + std::string(repo.url_prefix()) + percent_encode_path(repo.id) +
                            ".git/info/lfs/objects/batch";
        if (!options.create_pr) request.ref_name = options.revision;
        request.max_in_flight = std::max(1, options.num_threads);
        upload_lfs_objects(http_, request, lfs);
        for (auto& info : out)
            if (info.upload_mode == "lfs" && !info.should_ignore) info.is_uploaded = true;
    }
    return out;
}

}  // namespace hubfs::api
