// Discussions and pull requests of a repository, as HfApi returns them (Discussion,
// DiscussionWithDetails and the event classes of the Python client, as plain structs).
#pragma once

#include "repo.hpp"

#include <optional>
#include <string>
#include <vector>

namespace hubfs::api {

struct Discussion {
    int num = 0;
    std::string title;
    std::string status;  // "open", "closed", "merged", "draft"
    bool is_pull_request = false;
    std::string author;  // "" for deleted users
    std::string created_at;
    std::string repo_id;
    RepoType repo_type = RepoType::model;
    // "refs/pr/N" for a pull request, the revision its files are read and written at.
    std::optional<std::string> git_reference() const {
        if (!is_pull_request) return std::nullopt;
        return "refs/pr/" + std::to_string(num);
    }
};

// One entry of a thread. `type` names which group of fields is set:
// "comment", "status-change", "commit", "title-change" (others keep only the common fields).
struct DiscussionEvent {
    std::string id;
    std::string type;
    std::string created_at;
    std::string author;
    // comment
    std::string content;                    // latest text ("" when hidden)
    bool edited = false;
    bool hidden = false;
    std::vector<std::string> edit_history;  // earlier versions of the text, newest first
    // status-change
    std::string new_status;
    // commit
    std::string summary;
    std::string oid;
    // title-change
    std::string old_title;
    std::string new_title;
};

struct DiscussionWithDetails : Discussion {
    std::vector<DiscussionEvent> events;
    std::optional<std::string> target_branch;     // pull requests: "refs/heads/main"
    std::optional<std::string> merge_commit_oid;  // merged pull requests
    std::optional<std::string> diff;              // pull requests: a unified diff
    std::vector<std::string> conflicting_files;
};

// Filters of get_repo_discussions; nullopt (or "all") means no filter.
struct DiscussionFilter {
    std::optional<std::string> author{};
    std::optional<std::string> discussion_type{};    // "all", "discussion", "pull_request"
    std::optional<std::string> discussion_status{};  // "all", "open" (drafts too), "closed" (merged too)
};

}  // namespace hubfs::api
