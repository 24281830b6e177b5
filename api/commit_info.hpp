// The result of a call that creates a commit (create_commit, upload_file, delete_file, ...).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace hubfs::api {

struct CommitInfo {
    std::string commit_url;
    std::string commit_message;
    std::string commit_description;
    std::string oid;
    std::optional<std::string> pr_url;       // create_pr=true only
    std::optional<std::string> pr_revision;  // "refs/pr/N"
    std::optional<int> pr_num;
    std::vector<std::string> ignored;  // added paths the Hub's preupload said to ignore: not committed
};

// What create_repo returns: the repo's URL and the parts it names.
struct RepoUrl {
    std::string url;
    std::string repo_id;
    std::string repo_type;  // "model", "dataset", "space"
};

}  // namespace hubfs::api
