#include "hub.hpp"

#include <cstdio>
#include <set>

#include "api_support.hpp"
#include "endpoint_service.hpp"
#include "job_service.hpp"
#include "url.hpp"

namespace localhub {
namespace {

using Segments = std::vector<std::string>;

// Words that follow a repo id in /api/{type}s/{id}/..., used to tell "gpt2/tree" from "ns/name".
const std::set<std::string>& repo_actions() {
    static const std::set<std::string> s = {"revision", "tree",     "paths-info",  "refs",     "commits",
                                            "preupload", "commit",  "branch",      "tag",      "super-squash",
                                            "settings",  "auth-check", "lfs-files", "discussions"};
    return s;
}

// A revision at seg[i]: "refs/pr/1" may come percent-encoded as one segment or raw as three.
size_t take_revision(const Segments& seg, size_t i, std::string& rev) {
    static const std::set<std::string> kinds = {"pr", "convert", "heads", "tags"};
    if (i + 2 < seg.size() && seg[i] == "refs" && kinds.count(seg[i + 1])) {
        rev = seg[i] + "/" + seg[i + 1] + "/" + seg[i + 2];
        return i + 3;
    }
    rev = i < seg.size() ? seg[i] : std::string();
    return i + 1;
}

std::string join_from(const Segments& seg, size_t i) {
    std::string out;
    for (; i < seg.size(); ++i) out += (out.empty() ? "" : "/") + seg[i];
    return out;
}

[[noreturn]] void not_found_route() { throw HubError(404, "Sorry, we can't find the page you are looking for."); }

}  // namespace

Hub::Hub(RepoStore& repos, LfsStore& lfs, Access& access, const UrlSigner& signer, HubOptions options)
    : repos_(repos), lfs_(lfs), access_(access), signer_(signer), options_(std::move(options)) {}

Hub::RepoContext Hub::open_repo(const HttpRequest& req, const RepoId& id, bool write) {
    // Every route that names a repository comes through here: a name that breaks the naming
    // rules ("..", "%2F", NUL, overlong, non-ASCII) is refused before anything else is looked at.
    if (!valid_repo_id(id)) throw HubError(400, "Invalid repo id", "", {});
    Caller caller = access_.identify(req);
    if (caller.bad_token)
        throw HubError(401, "Invalid credentials in Authorization header", "",
                       {{"X-Error-Message", "Invalid credentials in Authorization header"}});
    auto meta = repos_.meta(id);
    if (!meta || !access_.can_read(caller, id, *meta)) {
        // As on the Hub: a private repository is indistinguishable from a missing one.
        throw HubError(caller.user ? 404 : 401, "Repository not found", "RepoNotFound");
    }
    if (write && !caller.user) throw HubError(401, "You must be authenticated to write to " + id.id());
    if (write && !access_.can_write(caller, id))
        throw HubError(403, "You don't have the rights to write to " + id.id());
    return RepoContext{id, *meta, caller, GitRepo::open(repos_.path(id).string())};
}

void Hub::handle_api(HttpRequest& req, HttpResponse& res) {
    res.set_header("X-Request-Id", next_request_id());
    try {
        auto seg = split_path(req.raw_path);
        if (!seg) throw HubError(400, "malformed percent-encoding in URL");
        if (endpoints_ && endpoints_->handle(req, res, *seg)) return;  // issue 16: Inference Endpoints
        if (!seg->empty() && (*seg)[0] == "api") route_api(req, res, *seg);
        else route_web(req, res, *seg);
    } catch (const HubError& e) {
        render_error(res, e);
    } catch (const InvalidRepoId&) {
        render_error(res, HubError(400, "Invalid repo id"));
    } catch (const std::exception& e) {
        // The detail names server paths: it goes to localhub's stderr, not to the client.
        std::fprintf(stderr, "localhub: %s %s: %s\n", req.method.c_str(), req.target.c_str(), e.what());
        render_error(res, HubError(500, "internal storage error"));
    }
}

void Hub::route_api(HttpRequest& req, HttpResponse& res, const Segments& seg) {
    const std::string& m = req.method;
    if (seg.size() == 2 && seg[1] == "whoami-v2" && m == "GET") return whoami(req, res);
    if (seg.size() == 2 && seg[1] == "validate-yaml" && m == "POST") return validate_yaml(req, res);
    if (seg.size() == 3 && seg[1] == "repos") {
        if (seg[2] == "create" && m == "POST") return create_repo(req, res);
        if (seg[2] == "delete" && m == "DELETE") return delete_repo(req, res);
        if (seg[2] == "move" && m == "POST") return move_repo(req, res);
    }
    // issue 16: Jobs; duplicating a Space needs read access to it only
    if (jobs_ && seg.size() >= 3 && (seg[1] == "jobs" || seg[1] == "scheduled-jobs")) return jobs_->handle(req, res, seg);
    if (spaces_ && seg.size() == 5 && seg[1] == "spaces" && seg[4] == "duplicate" && m == "POST") {
        auto ctx = open_repo(req, RepoId{RepoType::space, seg[2], seg[3]}, false);  // read on the source is enough
        if (space_api(req, res, ctx, "duplicate")) return;
    }
    if (seg.size() >= 2) {
        if (auto type = repo_type_from_plural(seg[1])) {
            if (seg.size() == 2 && m == "GET") return list_repos(req, res, *type);
            return route_repo_api(req, res, *type, seg);
        }
    }
    not_found_route();
}

void Hub::route_repo_api(HttpRequest& req, HttpResponse& res, RepoType type, const Segments& seg) {
    // /api/{type}s/{ns}/{name}/... or, for canonical repos, /api/{type}s/{name}/...
    RepoId id{type, "", ""};
    size_t i;
    bool canonical = seg.size() == 3 ||
                     (seg.size() >= 4 && repo_actions().count(seg[3]) && repos_.exists(RepoId{type, "", seg[2]}));
    if (canonical) {
        id.name = seg[2];
        i = 3;
    } else {
        id.ns = seg[2];
        id.name = seg[3];
        i = 4;
    }
    const std::string& m = req.method;
    std::string action = i < seg.size() ? seg[i] : "";
    // Discussions check their own rules (any signed-in user may open one on a readable repo).
    bool writes = m != "GET" && m != "HEAD" && action != "paths-info" && action != "auth-check" && action != "discussions";
    // Preupload and commit with create_pr=1 only need read access (pull requests).
    // So do they on refs/pr/N: commit() lets the PR's author in (check_pr_commit).
    if (action == "preupload" || action == "commit") {
        std::string target;
        take_revision(seg, i + 1, target);
        if (truthy(req.param("create_pr")) || target.rfind("refs/pr/", 0) == 0) writes = false;
    }
    auto ctx = open_repo(req, id, writes);

    std::string rev;
    if (action.empty() && (m == "GET" || m == "HEAD")) return repo_info(req, res, ctx, "");
    if (action == "revision" && m == "GET") {
        size_t end = take_revision(seg, i + 1, rev);
        if (end != seg.size()) not_found_route();
        return repo_info(req, res, ctx, rev);
    }
    if (action == "tree" && m == "GET") {
        size_t end = take_revision(seg, i + 1, rev);
        return tree(req, res, ctx, rev, join_from(seg, end));
    }
    if (action == "paths-info" && m == "POST") {
        take_revision(seg, i + 1, rev);
        return paths_info(req, res, ctx, rev);
    }
    if (action == "refs" && m == "GET") return refs(req, res, ctx);
    if (action == "commits" && m == "GET") {
        take_revision(seg, i + 1, rev);
        return commits(req, res, ctx, rev);
    }
    if (action == "preupload" && m == "POST") {
        take_revision(seg, i + 1, rev);
        return preupload(req, res, ctx, rev);
    }
    if (action == "commit" && m == "POST") {
        take_revision(seg, i + 1, rev);
        return commit(req, res, ctx, rev);
    }
    if (action == "branch" && seg.size() > i + 1) {
        std::string branch = join_from(seg, i + 1);
        if (m == "POST") return create_branch(req, res, ctx, branch);
        if (m == "DELETE") return delete_branch(res, ctx, branch);
    }
    if (action == "tag" && seg.size() > i + 1) {
        if (m == "POST") {
            take_revision(seg, i + 1, rev);
            return create_tag(req, res, ctx, rev);
        }
        if (m == "DELETE") return delete_tag(res, ctx, join_from(seg, i + 1));
    }
    if (action == "super-squash" && m == "POST" && seg.size() > i + 1) {
        take_revision(seg, i + 1, rev);
        return super_squash(req, res, ctx, rev);
    }
    if (action == "discussions") return discussions(req, res, ctx, seg, i + 1);
    if (action == "settings" && m == "PUT") return update_settings(req, res, ctx);
    if (space_api(req, res, ctx, action)) return;  // issue 16: Spaces runtime
    if (action == "auth-check" && m == "GET") {
        if (seg.size() > i + 1 && seg[i + 1] == "write" && !access_.can_write(ctx.caller, ctx.id))
            throw HubError(403, "You don't have the rights to write to " + ctx.id.id());
        return send_json(res, {{"ok", true}});
    }
    not_found_route();
}

void Hub::route_web(HttpRequest& req, HttpResponse& res, const Segments& seg) {
    // [datasets/|spaces/]{ns}/{name}/(resolve|raw)/{rev}/{path}
    // [datasets/|spaces/]{ns}/{name}.git/info/lfs/objects/batch
    RepoType type = RepoType::model;
    size_t i = 0;
    if (!seg.empty() && (seg[0] == "datasets" || seg[0] == "spaces")) {
        type = *repo_type_from_plural(seg[0]);
        i = 1;
    }
    if (seg.size() < i + 2) not_found_route();
    RepoId id{type, "", ""};
    auto is_action = [](const std::string& s) { return s == "resolve" || s == "raw" || s == "info"; };
    bool namespaced = seg.size() > i + 2 && is_action(seg[i + 2]);
    if (!namespaced && is_action(seg[i + 1])) {
        id.name = seg[i];
        i += 1;
    } else {
        id.ns = seg[i];
        id.name = seg[i + 1];
        i += 2;
    }
    bool git_path = id.name.size() > 4 && id.name.ends_with(".git");
    if (git_path) {
        id.name.resize(id.name.size() - 4);
        if (seg.size() == i + 4 && seg[i] == "info" && seg[i + 1] == "lfs" && seg[i + 2] == "objects" &&
            seg[i + 3] == "batch" && req.method == "POST") {
            // Upload needs write access, unless it targets a pull request (checked per ref).
            auto ctx = open_repo(req, id, false);
            return lfs_batch(req, res, ctx);
        }
        not_found_route();
    }
    if (i >= seg.size() || (seg[i] != "resolve" && seg[i] != "raw") || (req.method != "GET" && req.method != "HEAD"))
        not_found_route();
    bool raw = seg[i] == "raw";
    std::string rev;
    size_t end = take_revision(seg, i + 1, rev);
    auto ctx = open_repo(req, id, false);
    resolve(req, res, ctx, rev, join_from(seg, end), raw);
}

void Hub::handle_blob(HttpRequest& req, HttpResponse& res) {
    try {
        // The storage host serves only URLs the API host signed (after its access checks).
        switch (signer_.verify(req.method, req.target)) {
            case UrlSigner::Verdict::ok: break;
            case UrlSigner::Verdict::missing: throw HubError(403, "Request is missing a signature", "AccessDenied");
            case UrlSigner::Verdict::bad: throw HubError(403, "The request signature does not match", "AccessDenied");
            case UrlSigner::Verdict::expired: throw HubError(403, "Request has expired", "AccessDenied");
        }
        auto seg = split_path(req.raw_path);
        if (!seg) throw HubError(400, "malformed percent-encoding in URL");
        if (seg->size() == 2 && (*seg)[0] == "lfs" && (req.method == "GET" || req.method == "HEAD"))
            return serve_lfs_object(req, res, (*seg)[1]);
        if (!seg->empty() && (*seg)[0] == "upload") return blob_upload(req, res, *seg);
        not_found_route();
    } catch (const HubError& e) {
        render_error(res, e);
    }
}

}  // namespace localhub
