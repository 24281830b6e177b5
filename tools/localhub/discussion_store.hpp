// Discussions and pull requests of one repository, persisted next to its git data
// (discussions.json in the repository folder) so that they survive a restart.
// The caller holds the repository's write lock (RepoStore::lock) around load/modify/save.
#pragma once

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

namespace localhub {

// Stored in the Hub's own shapes, so that answers are mostly copies:
//   {"next": N, "discussions": [{"num", "title", "status", "isPullRequest", "author": {"name"},
//     "createdAt", "base"?, "mergeCommitId"?, "events": [<event>...]}]}
class DiscussionStore {
public:
    explicit DiscussionStore(std::filesystem::path repo_dir) : file_(std::move(repo_dir) / "discussions.json") {}

    nlohmann::json load() const;
    void save(const nlohmann::json& all) const;

    // Hands out the next number of the sequence shared by discussions and pull requests.
    static int take_number(nlohmann::json& all);
    // The discussion with this number, or nullptr.
    static nlohmann::json* find(nlohmann::json& all, long num);

private:
    std::filesystem::path file_;
};

// A 24-hex id like the Hub's Mongo object ids (events, comments).
std::string new_object_id();

// A Hub event: {"id", "type", "createdAt", "author": {"name"}, "data"}.
nlohmann::json make_event(const std::string& type, const std::string& author, nlohmann::json data);
// A comment event whose text is `raw`.
nlohmann::json make_comment(const std::string& author, const std::string& raw);
// The comment's HTML as the Hub would render plain markdown text: escaped, in one <p>.
std::string comment_html(const std::string& raw);

}  // namespace localhub
