// What the discussions area needs from the Hub: a repository's discussions and pull requests,
// and the actions on them. The implementation over api/ is hub/hub_discussions.*; this side
// sees only these calls and RemoteError kinds (remote.hpp).
#pragma once

#include <string>
#include <vector>

#include "fs/remote.hpp"

namespace hubfs::fs {

struct DiscussionSummary {
    int num = 0;
    std::string title;
    std::string status;  // draft | open | closed | merged
    bool is_pull_request = false;
    std::string author;  // "" for a deleted user
    std::string created_at;
};

struct DiscussionEvent {
    std::string id, type, author, created_at;  // type: comment, status-change, commit, title-change, ...
    std::string text;                          // comment: its latest text
    bool edited = false, hidden = false;       // comment
    std::string status;                        // status-change
    std::string oid, subject;                  // commit
    std::string from, to;                      // title-change
};

struct DiscussionDetails {
    DiscussionSummary summary;
    std::vector<DiscussionEvent> events;  // in order
    std::string base;                     // a pull request's target ref
    std::string merge_commit;             // once merged
    std::string diff;                     // when asked for
};

class DiscussionsRemote {
public:
    virtual ~DiscussionsRemote() = default;
    virtual std::vector<DiscussionSummary> list(const RepoRef& repo) = 0;  // newest first, all of them
    virtual DiscussionDetails details(const RepoRef& repo, int num, bool with_diff) = 0;
    // Opens a discussion (or a draft pull request); returns its number.
    virtual int open(const RepoRef& repo, const std::string& title, const std::string& body, bool pull_request) = 0;
    virtual void comment(const RepoRef& repo, int num, const std::string& text) = 0;
    virtual void set_status(const RepoRef& repo, int num, const std::string& status) = 0;  // open | closed
    virtual void rename(const RepoRef& repo, int num, const std::string& title) = 0;
    virtual void merge(const RepoRef& repo, int num) = 0;
};

}  // namespace hubfs::fs
