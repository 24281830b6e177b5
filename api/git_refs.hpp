// Branches, tags, converts and pull-request refs of a repository (list_repo_refs).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace hubfs::api {

struct GitRefInfo {
    std::string name;           // "main", "v1.0", "1"
    std::string ref;            // "refs/heads/main"
    std::string target_commit;  // 40-hex sha
};

struct GitRefs {
    std::vector<GitRefInfo> branches;
    std::vector<GitRefInfo> converts;
    std::vector<GitRefInfo> tags;
    std::optional<std::vector<GitRefInfo>> pull_requests;  // include_prs=true only
};

}  // namespace hubfs::api
