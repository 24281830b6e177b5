// One entry of a repository's commit log (list_repo_commits).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace hubfs::api {

struct GitCommitInfo {
    std::string commit_id;
    std::vector<std::string> authors;
    std::string created_at;  // ISO-8601 UTC
    std::string title;
    std::string message;
    std::optional<std::string> formatted_title;    // formatted=true only
    std::optional<std::string> formatted_message;  // formatted=true only
};

}  // namespace hubfs::api
