#include "fs/hub/hub_discussions.hpp"

#include "fs/hub/hub_remote.hpp"
#include "fs/network_wait.hpp"

namespace hubfs::fs {
namespace {

DiscussionSummary summary_of(const api::Discussion& d) {
    return DiscussionSummary{d.num, d.title, d.status, d.is_pull_request, d.author, d.created_at};
}

DiscussionEvent event_of(const api::DiscussionEvent& e) {
    DiscussionEvent out;
    out.id = e.id;
    out.type = e.type;
    out.author = e.author;
    out.created_at = e.created_at;
    out.text = e.content;
    out.edited = e.edited;
    out.hidden = e.hidden;
    out.status = e.new_status;
    out.oid = e.oid;
    out.subject = e.summary;
    out.from = e.old_title;
    out.to = e.new_title;
    return out;
}

// Runs an api/ call; its failure becomes a RemoteError (errno_map.cpp makes it an errno). A
// FUSE thread does not wait for it: the request is computed again on a thread of its own.
template <typename F>
auto remote_call(F&& call) -> decltype(call()) {
    may_wait_for_network();
    try {
        return call();
    } catch (...) {
        rethrow_as_remote_error();
    }
}

}  // namespace

std::vector<DiscussionSummary> HubDiscussions::list(const RepoRef& repo) {
    return remote_call([&] {
        std::vector<DiscussionSummary> out;
        for (const auto& d : api_.get_repo_discussions(api_repo(repo))) out.push_back(summary_of(d));
        return out;
    });
}

DiscussionDetails HubDiscussions::details(const RepoRef& repo, int num, bool with_diff) {
    return remote_call([&] {
        api::DiscussionWithDetails d = api_.get_discussion_details(api_repo(repo), num);
        DiscussionDetails out;
        out.summary = summary_of(d);
        for (const auto& e : d.events) out.events.push_back(event_of(e));
        out.base = d.target_branch.value_or("");
        out.merge_commit = d.merge_commit_oid.value_or("");
        if (with_diff) out.diff = d.diff.value_or("");
        return out;
    });
}

int HubDiscussions::open(const RepoRef& repo, const std::string& title, const std::string& body, bool pull_request) {
    return remote_call([&] { return api_.create_discussion(api_repo(repo), title, body, pull_request).num; });
}

void HubDiscussions::comment(const RepoRef& repo, int num, const std::string& text) {
    remote_call([&] { api_.comment_discussion(api_repo(repo), num, text); });
}

void HubDiscussions::set_status(const RepoRef& repo, int num, const std::string& status) {
    remote_call([&] { api_.change_discussion_status(api_repo(repo), num, status); });
}

void HubDiscussions::rename(const RepoRef& repo, int num, const std::string& title) {
    remote_call([&] { api_.rename_discussion(api_repo(repo), num, title); });
}

void HubDiscussions::merge(const RepoRef& repo, int num) {
    remote_call([&] { api_.merge_pull_request(api_repo(repo), num); });
}

}  // namespace hubfs::fs
