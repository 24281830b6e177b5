// What repo_info / model_info / dataset_info / space_info return. Fields the Hub may omit
// are optional; `raw` keeps the whole answer for properties not mirrored here.
#pragma once

#include "repo.hpp"
#include "repo_tree_entry.hpp"
#include "space_runtime.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace hubfs::api {

struct RepoSibling {
    std::string rfilename;
    std::optional<uint64_t> size;        // files_metadata=true only
    std::optional<std::string> blob_id;  // files_metadata=true only
    std::optional<BlobLfsInfo> lfs;
};

struct RepoInfo {
    RepoType type = RepoType::model;
    std::string id;
    std::optional<std::string> author;
    std::optional<std::string> sha;  // the commit the requested revision resolved to
    std::optional<std::string> created_at;
    std::optional<std::string> last_modified;
    bool is_private = false;
    std::optional<std::string> gated;  // "auto" / "manual"; nullopt when not gated
    bool disabled = false;
    int64_t downloads = 0;
    int64_t likes = 0;
    std::vector<std::string> tags;
    std::vector<RepoSibling> siblings;
    std::optional<uint64_t> used_storage;
    nlohmann::json card_data;  // null when absent
    nlohmann::json raw;
};

struct ModelInfo : RepoInfo {
    std::optional<std::string> pipeline_tag;
    std::optional<std::string> library_name;
};

struct DatasetInfo : RepoInfo {
    std::optional<std::string> paperswithcode_id;
};

struct SpaceInfo : RepoInfo {
    std::optional<std::string> sdk;
    std::optional<std::string> host;
    std::optional<std::string> subdomain;
    std::optional<SpaceRuntime> runtime;  // the Hub's "runtime" part, when it sends one
};

}  // namespace hubfs::api
