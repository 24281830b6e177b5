// Discussions and pull requests (protocol §6): one number sequence per repository, events in
// order, refs/pr/N for pull requests, merges as real git merges. Stored by DiscussionStore.
//
// Who may do what, as on the Hub: anyone who can read the repository reads its discussions; any
// authenticated user with a write-role token opens discussions and comments; the discussion's
// author and the repository's writers change its status and title; a comment's author edits it;
// its author and the writers hide it; only writers merge.
#include <algorithm>
#include <charconv>

#include "api_support.hpp"
#include "discussion_store.hpp"
#include "git_merge.hpp"
#include "hub.hpp"
#include "time_format.hpp"

namespace localhub {
namespace {

constexpr size_t kPageSize = 50;           // discussions per ?p= page, as on the Hub
constexpr size_t kMinTitle = 3;            // title bounds documented by HfApi.create_discussion
constexpr size_t kMaxTitle = 200;
constexpr size_t kMaxComment = 64 * 1024;  // localhub's bound on a comment (bytes); the Hub's is undocumented

std::string trimmed(const std::string& s) {
    auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string::npos) return {};
    return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

std::string checked_title(const nlohmann::json& body) {
    if (!body.is_object() || !body.contains("title") || !body["title"].is_string())
        throw HubError(400, "title is required and must be a string");
    std::string title = trimmed(body["title"].get<std::string>());
    if (title.size() < kMinTitle || title.size() > kMaxTitle)
        throw HubError(400, "title must be between " + std::to_string(kMinTitle) + " and " +
                                std::to_string(kMaxTitle) + " characters long");
    return title;
}

// An optional (or required) markdown text field: a string of at most kMaxComment bytes.
std::optional<std::string> text_field(const nlohmann::json& body, const char* name, bool required) {
    if (!body.is_object() || !body.contains(name) || body[name].is_null()) {
        if (required) throw HubError(400, std::string(name) + " is required");
        return std::nullopt;
    }
    if (!body[name].is_string()) throw HubError(400, std::string(name) + " must be a string");
    std::string text = body[name].get<std::string>();
    if (text.size() > kMaxComment)
        throw HubError(400, std::string(name) + " is too long (" + std::to_string(text.size()) + " bytes, at most " +
                                std::to_string(kMaxComment) + ")");
    if (required && trimmed(text).empty()) throw HubError(400, std::string(name) + " must not be empty");
    return text;
}

long parse_num(const std::string& s) {
    long n = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec != std::errc() || p != s.data() + s.size() || n <= 0 || s.size() > 9)
        throw HubError(400, "Invalid discussion number: " + s);
    return n;
}

[[noreturn]] void discussion_not_found(long num) { throw HubError(404, "Discussion #" + std::to_string(num) + " not found"); }

std::string author_of(const nlohmann::json& d) { return d["author"].value("name", ""); }
bool is_pr(const nlohmann::json& d) { return d.value("isPullRequest", false); }

nlohmann::json summary_of(const nlohmann::json& d, const RepoId& id) {
    nlohmann::json s = {{"num", d["num"]},
                        {"title", d["title"]},
                        {"status", d["status"]},
                        {"isPullRequest", d["isPullRequest"]},
                        {"createdAt", d["createdAt"]},
                        {"author", d["author"]},
                        {"repo", {{"name", id.id()}, {"type", type_name(id.type)}}},
                        {"pinned", false},
                        {"numComments", std::count_if(d["events"].begin(), d["events"].end(),
                                                      [](const auto& e) { return e["type"] == "comment"; })}};
    return s;
}

std::string pr_ref(long num) { return "refs/pr/" + std::to_string(num); }

}  // namespace

void Hub::discussions(HttpRequest& req, HttpResponse& res, RepoContext& ctx, const Segments& seg, size_t i) {
    const std::string& m = req.method;
    size_t n = seg.size() - i;
    if (n == 0 && m == "GET") return list_discussions(req, res, ctx);
    if (n == 0 && m == "POST") return create_discussion(req, res, ctx);
    if (n == 0) throw HubError(405, "Method not allowed");
    long num = parse_num(seg[i]);
    if (n == 1 && m == "GET") return discussion_details(req, res, ctx, num);
    if (m != "POST") throw HubError(404, "Sorry, we can't find the page you are looking for.");
    if (n == 2 || (n == 4 && seg[i + 1] == "comment" && (seg[i + 3] == "edit" || seg[i + 3] == "hide")))
        return discussion_action(req, res, ctx, num, seg, i + 1);
    throw HubError(404, "Sorry, we can't find the page you are looking for.");
}

void Hub::list_discussions(HttpRequest& req, HttpResponse& res, RepoContext& ctx) {
    std::string type = req.param("type"), status = req.param("status"), author = req.param("author");
    std::string p = req.param("p");
    if (type.empty()) type = "all";
    if (status.empty()) status = "all";
    if (type != "all" && type != "discussion" && type != "pull_request")
        throw HubError(400, "Invalid type '" + type + "': expected all, discussion or pull_request");
    if (status != "all" && status != "open" && status != "closed")
        throw HubError(400, "Invalid status '" + status + "': expected all, open or closed");
    size_t page = 0;
    if (!p.empty()) {
        auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), page);
        if (ec != std::errc() || ptr != p.data() + p.size() || page > 1000000) throw HubError(400, "Invalid page '" + p + "'");
    }
    auto all = DiscussionStore(repos_.path(ctx.id)).load();
    std::vector<const nlohmann::json*> matching;
    for (const auto& d : all["discussions"]) {
        if (type == "discussion" && is_pr(d)) continue;
        if (type == "pull_request" && !is_pr(d)) continue;
        std::string st = d["status"];
        bool open = st == "open" || st == "draft";  // "open" lists drafts, "closed" lists merged
        if (status == "open" && !open) continue;
        if (status == "closed" && open) continue;
        if (!author.empty() && author_of(d) != author) continue;
        matching.push_back(&d);
    }
    std::reverse(matching.begin(), matching.end());  // newest first
    nlohmann::json list = nlohmann::json::array();
    size_t start = page * kPageSize;
    for (size_t k = start; k < matching.size() && k < start + kPageSize; ++k) list.push_back(summary_of(*matching[k], ctx.id));
    size_t open_count = 0;
    for (const auto& d : all["discussions"]) open_count += d["status"] == "open" || d["status"] == "draft";
    send_json(res, {{"discussions", list},
                    {"count", matching.size()},
                    {"start", start},
                    {"numClosedDiscussions", all["discussions"].size() - open_count}});
}

nlohmann::json Hub::discussion_json(RepoContext& ctx, const nlohmann::json& d, bool with_diff) {
    nlohmann::json out = summary_of(d, ctx.id);
    out["events"] = d["events"];
    if (!is_pr(d)) return out;
    std::string base_ref = d.value("base", "refs/heads/main");
    nlohmann::json changes = {{"base", base_ref}};
    if (d.contains("mergeCommitId")) changes["mergeCommitId"] = d["mergeCommitId"];
    out["changes"] = changes;
    auto head = ctx.git.ref_target(pr_ref(d["num"].get<long>()));
    auto base = ctx.git.ref_target(base_ref);
    nlohmann::json conflicts = nlohmann::json::array();
    std::string status = d["status"];
    if (head && base && (status == "open" || status == "draft"))
        for (auto& path : merge_conflicts(ctx.git, *base, *head)) conflicts.push_back(path);
    out["filesWithConflicts"] = conflicts;
    if (with_diff && head && base) {
        // A merged PR shows what it brought: its diff against the base it was merged into.
        git_oid from = *base;
        if (d.contains("mergeBase")) {
            if (auto b = parse_oid(d["mergeBase"].get<std::string>())) from = *b;
        }
        out["diff"] = pr_diff(ctx.git, from, *head);
    }
    return out;
}

void Hub::discussion_details(HttpRequest& req, HttpResponse& res, RepoContext& ctx, long num) {
    auto all = DiscussionStore(repos_.path(ctx.id)).load();
    auto* d = DiscussionStore::find(all, num);
    if (!d) discussion_not_found(num);
    bool with_diff = req.param("diff").empty() || truthy(req.param("diff"));
    send_json(res, discussion_json(ctx, *d, with_diff && is_pr(*d)));
}

void Hub::require_poster(const RepoContext& ctx) const {
    if (!ctx.caller.user) throw HubError(401, "You must be authenticated to participate in discussions");
    if (!ctx.caller.user->can_write) throw HubError(403, "Your token has read access only: it cannot post on " + ctx.id.id());
}

void Hub::create_discussion(HttpRequest& req, HttpResponse& res, RepoContext& ctx) {
    require_poster(ctx);
    auto body = read_json_body(req, options_.max_body);
    std::string title = checked_title(body);
    std::string description = text_field(body, "description", false).value_or("");
    bool pull_request = body.is_object() && body.contains("pullRequest") && body["pullRequest"] == true;
    const std::string& author = ctx.caller.user->name;

    auto lock = repos_.lock(ctx.id);
    DiscussionStore store(repos_.path(ctx.id));
    auto all = store.load();
    int num = DiscussionStore::take_number(all);
    nlohmann::json d = {{"num", num},
                        {"title", title},
                        {"status", pull_request ? "draft" : "open"},
                        {"isPullRequest", pull_request},
                        {"author", {{"name", author}, {"type", "user"}}},
                        {"createdAt", iso_now()},
                        {"events", nlohmann::json::array()}};
    if (!trimmed(description).empty()) d["events"].push_back(make_comment(author, description));
    if (pull_request) {
        // The PR's ref exists at once, at the head of main, ready to receive commits.
        auto main = ctx.git.ref_target("refs/heads/main");
        if (!main) throw HubError(400, "The repository has no main branch to open a pull request against");
        d["base"] = "refs/heads/main";
        ctx.git.set_ref(pr_ref(num), *main);
    }
    all["discussions"].push_back(d);
    store.save(all);
    nlohmann::json out = discussion_json(ctx, d, false);
    out["url"] = endpoint_of(req) + "/" + type_url_prefix(ctx.id.type) + ctx.id.id() + "/discussions/" + std::to_string(num);
    send_json(res, out);
}

void Hub::discussion_action(HttpRequest& req, HttpResponse& res, RepoContext& ctx, long num, const Segments& seg,
                            size_t i) {
    require_poster(ctx);
    const std::string& action = seg[i];
    const std::string& user = ctx.caller.user->name;
    bool writer = access_.can_write(ctx.caller, ctx.id);
    // Hide takes no body; the others a JSON object (validated before anything changes).
    nlohmann::json body = action == "comment" && seg.size() > i + 2 && seg[i + 2] == "hide"
                              ? nlohmann::json::object()
                              : read_json_body(req, options_.max_body);
    if (body.is_null()) body = nlohmann::json::object();
    if (!body.is_object()) throw HubError(400, "expected a JSON object");

    auto lock = repos_.lock(ctx.id);
    DiscussionStore store(repos_.path(ctx.id));
    auto all = store.load();
    auto* d = DiscussionStore::find(all, num);
    if (!d) discussion_not_found(num);
    bool owner = author_of(*d) == user;
    std::string status = (*d)["status"];
    auto& events = (*d)["events"];
    nlohmann::json out;

    if (action == "comment" && seg.size() == i + 1) {
        std::string text = *text_field(body, "comment", true);
        events.push_back(make_comment(user, text));
        out = {{"newMessage", events.back()}};
    } else if (action == "comment") {
        const std::string& comment_id = seg[i + 1];
        auto it = std::find_if(events.begin(), events.end(), [&](const auto& e) {
            return e["type"] == "comment" && e["id"] == comment_id;
        });
        if (it == events.end()) throw HubError(404, "Comment " + comment_id + " not found");
        auto& data = (*it)["data"];
        bool comment_author = (*it)["author"].value("name", "") == user;
        if (seg[i + 2] == "edit") {
            std::string text = *text_field(body, "content", true);
            if (!comment_author) throw HubError(403, "Only the author of a comment can edit it");
            if (data.value("hidden", false)) throw HubError(400, "A hidden comment cannot be edited");
            data["history"].insert(data["history"].begin(), data["latest"]);
            data["latest"] = {{"raw", text}, {"html", comment_html(text)}, {"updatedAt", iso_now()}, {"author", {{"name", user}}}};
            data["edited"] = true;
        } else {
            if (!comment_author && !writer) throw HubError(403, "Only the author of a comment or a repository writer can hide it");
            if (!data.value("hidden", false)) {
                // Irreversible, as on the Hub: the text is gone, the id and the place stay.
                data["hidden"] = true;
                data["hiddenBy"] = user;
                data["latest"]["raw"] = "This comment has been hidden";
                data["latest"]["html"] = comment_html("This comment has been hidden");
                data["history"] = nlohmann::json::array();
            }
        }
        out = {{"updatedComment", *it}};
    } else if (action == "title") {
        std::string title = checked_title(body);
        if (!owner && !writer) throw HubError(403, "Only the author of the discussion or a repository writer can rename it");
        events.push_back(make_event("title-change", user, {{"from", (*d)["title"]}, {"to", title}}));
        (*d)["title"] = title;
        out = {{"newTitle", events.back()}};
    } else if (action == "status") {
        if (!body.contains("status") || !body["status"].is_string()) throw HubError(400, "status is required: open or closed");
        std::string wanted = body["status"];
        if (wanted != "open" && wanted != "closed")
            throw HubError(400, "Invalid status '" + wanted + "': expected open or closed");
        auto comment = text_field(body, "comment", false);
        if (!owner && !writer) throw HubError(403, "Only the author of the discussion or a repository writer can change its status");
        if (status == "merged") throw HubError(400, "This pull request is merged: its status cannot change");
        if (status == wanted) throw HubError(400, "The discussion is already " + status);
        if (comment && !trimmed(*comment).empty()) events.push_back(make_comment(user, *comment));
        events.push_back(make_event("status-change", user, {{"status", wanted}}));
        (*d)["status"] = wanted;
        out = {{"newStatus", events.back()}};
    } else if (action == "merge") {
        auto comment = text_field(body, "comment", false);
        if (!is_pr(*d)) throw HubError(400, "Discussion #" + std::to_string(num) + " is not a pull request");
        if (!writer) throw HubError(403, "Only repository writers can merge pull requests");
        if (status == "draft") throw HubError(400, "This pull request is a draft: set it to open before merging");
        if (status != "open") throw HubError(400, "This pull request is " + status + " and cannot be merged");
        std::string base_ref = d->value("base", "refs/heads/main");
        auto head = ctx.git.ref_target(pr_ref(num));
        auto base = ctx.git.ref_target(base_ref);
        if (!head || !base) throw HubError(400, "The pull request's refs are missing");
        std::string message = "Merge pull request #" + std::to_string(num) + ": " + (*d)["title"].get<std::string>();
        auto merge = merge_commits(ctx.git, *base, *head, user, user + "@users.noreply.localhub", message);
        if (merge.kind == MergeOutcome::Kind::conflict) {
            std::string files;
            for (auto& f : merge.conflicts) files += (files.empty() ? "" : ", ") + f;
            HubError e(409, "This pull request has conflicts with " + base_ref + " and cannot be merged: " + files);
            e.fields["filesWithConflicts"] = merge.conflicts;
            throw e;
        }
        if (merge.kind != MergeOutcome::Kind::up_to_date && !ctx.git.update_ref(base_ref, merge.commit, base))
            throw HubError(409, "the base branch moved during the merge; try again");
        (*d)["mergeCommitId"] = oid_hex(merge.commit);
        (*d)["mergeBase"] = oid_hex(*base);
        if (comment && !trimmed(*comment).empty()) events.push_back(make_comment(user, *comment));
        events.push_back(make_event("status-change", user, {{"status", "merged"}}));
        (*d)["status"] = "merged";
        out = {{"newStatus", events.back()}, {"mergeCommitId", oid_hex(merge.commit)}};
    } else {
        throw HubError(404, "Sorry, we can't find the page you are looking for.");
    }
    store.save(all);
    send_json(res, out);
}

void Hub::check_pr_commit(const RepoContext& ctx, const std::string& ref) {
    long num = parse_num(ref.substr(std::string("refs/pr/").size()));
    auto all = DiscussionStore(repos_.path(ctx.id)).load();
    auto* d = DiscussionStore::find(all, num);
    if (!d || !is_pr(*d)) throw HubError(404, "Invalid rev id: " + ref, "RevisionNotFound");
    std::string status = (*d)["status"];
    if (status != "open" && status != "draft") throw HubError(403, "Pull request #" + std::to_string(num) + " is " + status);
    if (author_of(*d) != ctx.caller.user->name && !access_.can_write(ctx.caller, ctx.id))
        throw HubError(403, "Only the author of pull request #" + std::to_string(num) + " or a repository writer can push to it");
}

void Hub::record_pr_commit(const RepoContext& ctx, const std::string& ref, const std::string& subject, const git_oid& commit) {
    long num = parse_num(ref.substr(std::string("refs/pr/").size()));
    DiscussionStore store(repos_.path(ctx.id));
    auto all = store.load();
    if (auto* d = DiscussionStore::find(all, num)) {
        (*d)["events"].push_back(make_event("commit", ctx.caller.user->name, {{"subject", subject}, {"oid", oid_hex(commit)}}));
        store.save(all);
    }
}

int Hub::open_pr_from_commit(RepoContext& ctx, const std::string& base_ref, const std::string& title,
                             const std::string& description, const git_oid& commit) {
    const std::string& author = ctx.caller.user->name;
    DiscussionStore store(repos_.path(ctx.id));
    auto all = store.load();
    int num = DiscussionStore::take_number(all);
    nlohmann::json d = {{"num", num},
                        {"title", title},
                        {"status", "draft"},
                        {"isPullRequest", true},
                        {"author", {{"name", author}, {"type", "user"}}},
                        {"createdAt", iso_now()},
                        {"base", base_ref},
                        {"events", nlohmann::json::array()}};
    if (!trimmed(description).empty()) d["events"].push_back(make_comment(author, description));
    d["events"].push_back(make_event("commit", author, {{"subject", title}, {"oid", oid_hex(commit)}}));
    ctx.git.set_ref(pr_ref(num), commit);
    all["discussions"].push_back(d);
    store.save(all);
    return num;
}

}  // namespace localhub
