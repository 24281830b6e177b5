// HfApi: a repository's LFS storage (listing objects, deleting them for good).
#include "errors.hpp"
#include "hf_api.hpp"
#include "hub_json.hpp"

namespace hubfs::api {

namespace {
constexpr size_t deletion_batch = 1000;  // as the Python client
}

PagedList<LfsFileInfo> HfApi::list_lfs_files(const Repo& repo) {
    return PagedList<LfsFileInfo>(JsonPager(http_, api_url(repo, "/lfs-files")), &parse_lfs_file);
}

void HfApi::permanently_delete_lfs_files(const Repo& repo, const std::vector<LfsFileInfo>& files,
                                         bool rewrite_history) {
    for (size_t start = 0; start < files.size(); start += deletion_batch) {
        nlohmann::json shas = nlohmann::json::array();
        for (size_t i = start; i < std::min(files.size(), start + deletion_batch); ++i) shas.push_back(files[i].file_oid);
        nlohmann::json body = {{"deletions", {{"sha", shas}, {"rewriteHistory", rewrite_history}}}};
        expect_ok(send_json("POST", api_url(repo, "/lfs-files/batch"), body, false));
    }
}

}  // namespace hubfs::api
