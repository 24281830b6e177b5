// /discussions/<models|datasets|spaces>/<ns>/<name>/: a repository's discussions and pull
// requests as files.
//   index             one line per discussion: number, kind, status, author, title
//   new, new-pr       write "title\n\nbody": opens a discussion / a draft pull request; reading
//                     says how, and the number of the last one this mount opened
//   <num>/thread.md   the thread: title, status, each comment, status and title change, commit
//   <num>/comment     write: posts a comment
//   <num>/status      read/write: open | closed (a pull request also reads draft, merged)
//   <num>/title       read/write: renames
//   <num>/merge       write (anything): merges the pull request
//   <num>/diff        read: the pull request's diff
// Reads are live (rendered at every open); a write is the action, its errno the outcome.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "fs/control/control_entry.hpp"
#include "fs/control/discussions_remote.hpp"

namespace hubfs::fs {

class DiscussionsArea {
public:
    // repos_of: a namespace's repositories of a type (for `ls` of a namespace folder).
    DiscussionsArea(DiscussionsRemote& remote,
                    std::function<std::vector<std::string>(RepoType, const std::string&)> repos_of)
        : remote_(remote), repos_of_(std::move(repos_of)) {}

    ControlFolder root();  // the area's folder: models, datasets, spaces

    // Renderings, apart for tests.
    static std::string index_text(const std::vector<DiscussionSummary>& list);
    static std::string thread_text(const DiscussionDetails& d);
    // "title\n\nbody" (or a title alone) -> {title, body}; throws EINVAL for an empty title.
    static std::pair<std::string, std::string> parse_new(std::string_view text);

private:
    ControlFolder type_folder(RepoType type);
    ControlFolder namespace_folder(RepoType type, const std::string& ns);
    ControlFolder repo_folder(const RepoRef& repo);
    ControlFolder discussion_folder(const RepoRef& repo, int num);
    ControlFile new_file(const RepoRef& repo, bool pull_request);

    DiscussionsRemote& remote_;
    std::function<std::vector<std::string>(RepoType, const std::string&)> repos_of_;
    std::mutex mutex_;
    std::map<std::string, int> last_opened_;  // repo key (+ "#pr") -> number this mount opened last
};

}  // namespace hubfs::fs
