// Entries of a repository tree, as list_repo_tree and get_paths_info return them
// (Python RepoFile / RepoFolder).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

namespace hubfs::api {

struct BlobLfsInfo {
    std::string sha256;  // "lfs.oid" in tree listings, "lfs.sha256" in repo info siblings
    uint64_t size = 0;
    uint64_t pointer_size = 0;
};

struct LastCommitInfo {
    std::string oid;
    std::string title;
    std::string date;  // ISO-8601 UTC
};

struct RepoFile {
    std::string path;
    uint64_t size = 0;
    std::string blob_id;  // git blob sha1 (of the pointer for LFS files)
    std::optional<BlobLfsInfo> lfs;
    std::optional<LastCommitInfo> last_commit;  // expand=true only
};

struct RepoFolder {
    std::string path;
    std::string tree_id;
    std::optional<LastCommitInfo> last_commit;
};

using RepoTreeEntry = std::variant<RepoFile, RepoFolder>;

inline const std::string& entry_path(const RepoTreeEntry& entry) {
    return std::visit([](const auto& e) -> const std::string& { return e.path; }, entry);
}

}  // namespace hubfs::api
