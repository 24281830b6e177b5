// Read endpoints: repo info, tree, paths-info, refs, commits, repo listings.
#include <algorithm>

#include "api_support.hpp"
#include "hub.hpp"
#include "space_runtime.hpp"
#include "time_format.hpp"
#include "url.hpp"

namespace localhub {
namespace {

nlohmann::json last_commit_json(const CommitRecord& c) {
    return {{"id", oid_hex(c.id)}, {"title", c.title}, {"date", iso_from_seconds(c.time)}};
}

// The Hub's "message" is the commit's description: the git message without its title line.
std::string description_of(const std::string& message) {
    auto nl = message.find('\n');
    if (nl == std::string::npos) return {};
    auto start = message.find_first_not_of('\n', nl);
    if (start == std::string::npos) return {};
    std::string body = message.substr(start);
    while (!body.empty() && body.back() == '\n') body.pop_back();
    return body;
}

nlohmann::json commit_json(const CommitRecord& c, bool formatted) {
    nlohmann::json j = {{"id", oid_hex(c.id)},
                        {"title", c.title},
                        {"message", description_of(c.message)},
                        {"date", iso_from_seconds(c.time)},
                        {"authors", nlohmann::json::array({{{"user", c.author}, {"avatar", nullptr}}})}};
    if (formatted) j["formatted"] = {{"title", c.title}, {"message", description_of(c.message)}};
    return j;
}

void add_expanded(std::vector<nlohmann::json>& entries, const std::vector<TreeItem>& items, const GitRepo& git,
                  const git_oid& commit) {
    std::vector<std::string> paths;
    for (const auto& it : items) paths.push_back(it.path);
    auto last = git.last_commits(commit, paths);
    for (size_t k = 0; k < items.size(); ++k) {
        auto found = last.find(items[k].path);
        if (found != last.end()) entries[k]["lastCommit"] = last_commit_json(found->second);
        if (!items[k].is_dir)
            entries[k]["securityFileStatus"] = {
                {"status", "safe"}, {"avScan", {{"virusFound", false}}}, {"pickleImportScan", nullptr}};
    }
}

}  // namespace

git_oid Hub::resolve_or_404(const RepoContext& ctx, const std::string& rev) const {
    auto oid = ctx.git.resolve(rev.empty() ? "HEAD" : rev);
    if (!oid) throw HubError(404, "Invalid rev id: " + rev, "RevisionNotFound");
    return *oid;
}

nlohmann::json Hub::tree_entry_json(const TreeItem& item) const {
    nlohmann::json j = {{"type", item.is_dir ? "directory" : "file"},
                        {"oid", oid_hex(item.oid)},
                        {"size", item.is_dir ? 0 : item.size},
                        {"path", item.path}};
    if (item.lfs)
        j["lfs"] = {{"oid", item.lfs->sha256},
                    {"size", item.lfs->size},
                    {"pointerSize", make_lfs_pointer(*item.lfs).size()}};
    return j;
}

void Hub::repo_info(HttpRequest& req, HttpResponse& res, RepoContext& ctx, const std::string& rev) {
    git_oid commit = resolve_or_404(ctx, rev);
    auto rec = ctx.git.commit(commit);
    bool blobs = truthy(req.param("blobs"));
    nlohmann::json siblings = nlohmann::json::array();
    uint64_t used = 0;
    for (const auto& item : ctx.git.list(commit, "", true)) {
        if (item.is_dir) continue;
        nlohmann::json s = {{"rfilename", item.path}};
        if (blobs) {
            s["blobId"] = oid_hex(item.oid);
            s["size"] = item.size;
            if (item.lfs)
                s["lfs"] = {{"sha256", item.lfs->sha256},
                            {"size", item.lfs->size},
                            {"pointerSize", make_lfs_pointer(*item.lfs).size()}};
        }
        used += item.size;
        siblings.push_back(std::move(s));
    }
    const RepoId& id = ctx.id;
    nlohmann::json info = {{"_id", ctx.meta.object_id},
                           {"id", id.id()},
                           {"author", id.ns.empty() ? id.name : id.ns},
                           {"sha", oid_hex(commit)},
                           {"lastModified", iso_from_seconds(rec.time)},
                           {"createdAt", ctx.meta.created_at},
                           {"private", ctx.meta.is_private},
                           {"gated", ctx.meta.gated},
                           {"disabled", false},
                           {"downloads", 0},
                           {"downloadsAllTime", 0},
                           {"likes", 0},
                           {"tags", nlohmann::json::array()},
                           {"usedStorage", used},
                           {"siblings", siblings}};
    if (id.type == RepoType::model) info["modelId"] = id.id();
    if (id.type == RepoType::space) {
        info["sdk"] = ctx.meta.sdk;
        info["subdomain"] = (id.ns.empty() ? id.name : id.ns + "-" + id.name);
        if (spaces_) info["runtime"] = spaces_->runtime(id.id(), space_runtime_error(ctx));  // as the Hub's space_info
    }
    auto expand = req.params_named("expand");
    for (const auto& e : req.params_named("expand[]")) expand.push_back(e);
    if (!expand.empty()) {
        nlohmann::json only = {{"_id", info["_id"]}, {"id", info["id"]}, {"sha", info["sha"]}};
        for (const auto& key : expand)
            if (info.contains(key)) only[key] = info[key];
        info = std::move(only);
    }
    send_json(res, info);
}

void Hub::tree(HttpRequest& req, HttpResponse& res, RepoContext& ctx, const std::string& rev,
               const std::string& path) {
    git_oid commit = resolve_or_404(ctx, rev);
    auto folder = ctx.git.entry(commit, path);
    if (!folder || !folder->is_dir) {
        HubError e(404, "Entry not found: " + path, "EntryNotFound");
        e.headers.emplace_back("X-Repo-Commit", oid_hex(commit));
        throw e;
    }
    bool expand = truthy(req.param("expand"));
    auto items = ctx.git.list(commit, path, truthy(req.param("recursive")));
    Page page = page_of(req, items.size(), expand ? 50 : 1000, expand ? 1000 : 1000);
    std::vector<TreeItem> slice(items.begin() + static_cast<long>(page.offset),
                                items.begin() + static_cast<long>(page.offset + page.count));
    std::vector<nlohmann::json> entries;
    for (const auto& item : slice) entries.push_back(tree_entry_json(item));
    if (expand) add_expanded(entries, slice, ctx.git, commit);
    set_next_link(req, res, page, items.size());
    send_json(res, entries);
}

void Hub::paths_info(HttpRequest& req, HttpResponse& res, RepoContext& ctx, const std::string& rev) {
    git_oid commit = resolve_or_404(ctx, rev);
    std::string type = req.header("content-type");
    std::vector<std::string> paths;
    bool expand = false;
    if (type.find("application/json") != std::string::npos) {
        auto body = read_json_body(req, options_.max_body);
        if (!body.is_object() || !body.contains("paths") || !body["paths"].is_array())
            throw HubError(400, "expected {\"paths\": [...]}");
        for (const auto& p : body["paths"]) {
            if (!p.is_string()) throw HubError(400, "paths must be strings");
            paths.push_back(p.get<std::string>());
        }
        if (body.contains("expand")) expand = body["expand"].is_boolean() ? body["expand"].get<bool>() : false;
    } else {
        auto form = parse_query(read_body(req, std::min(options_.max_body, kMaxJsonBody)));
        for (const auto& [k, v] : form) {
            if (k == "paths" || k == "paths[]") paths.push_back(v);
            if (k == "expand") expand = truthy(v);
        }
    }
    if (paths.size() > 1000) throw HubError(413, "too many parameters: at most 1000 paths per call");
    std::vector<TreeItem> found;
    for (const auto& p : paths) {
        std::string clean = p;
        while (!clean.empty() && clean.back() == '/') clean.pop_back();
        if (clean.empty()) continue;
        if (auto item = ctx.git.entry(commit, clean)) found.push_back(*item);  // unknown paths are skipped
    }
    std::vector<nlohmann::json> entries;
    for (const auto& item : found) entries.push_back(tree_entry_json(item));
    if (expand) add_expanded(entries, found, ctx.git, commit);
    send_json(res, entries);
}

void Hub::refs(HttpRequest& req, HttpResponse& res, RepoContext& ctx) {
    nlohmann::json branches = nlohmann::json::array(), tags = nlohmann::json::array(),
                   converts = nlohmann::json::array(), prs = nlohmann::json::array();
    for (const auto& r : ctx.git.refs()) {
        auto item = [&](size_t prefix) {
            return nlohmann::json{{"name", r.name.substr(prefix)}, {"ref", r.name}, {"targetCommit", oid_hex(r.commit)}};
        };
        if (r.name.rfind("refs/heads/", 0) == 0) branches.push_back(item(11));
        else if (r.name.rfind("refs/tags/", 0) == 0) tags.push_back(item(10));
        else if (r.name.rfind("refs/convert/", 0) == 0) converts.push_back(item(13));
        else if (r.name.rfind("refs/pr/", 0) == 0) prs.push_back(item(8));
    }
    nlohmann::json out = {{"branches", branches}, {"converts", converts}, {"tags", tags}};
    if (truthy(req.param("include_prs"))) out["pullRequests"] = prs;
    send_json(res, out);
}

void Hub::commits(HttpRequest& req, HttpResponse& res, RepoContext& ctx, const std::string& rev) {
    git_oid head = resolve_or_404(ctx, rev);
    size_t total = 0;
    ctx.git.log(head, 0, 0, &total);
    Page page = page_of(req, total, 50, 1000);
    auto list = ctx.git.log(head, page.offset, page.count, nullptr);
    bool formatted = false;
    for (const auto& key : {"expand", "expand[]"})
        for (const auto& v : req.params_named(key)) formatted |= v == "formatted";
    nlohmann::json out = nlohmann::json::array();
    for (const auto& c : list) out.push_back(commit_json(c, formatted));
    res.set_header("X-Total-Count", std::to_string(total));
    set_next_link(req, res, page, total);
    send_json(res, out);
}

void Hub::list_repos(HttpRequest& req, HttpResponse& res, RepoType type) {
    Caller caller = access_.identify(req);
    if (caller.bad_token) throw HubError(401, "Invalid credentials in Authorization header");
    std::string author = req.param("author"), search = req.param("search");
    std::vector<nlohmann::json> visible;
    for (const auto& id : repos_.list(type)) {
        auto meta = repos_.meta(id);
        if (!meta || !access_.can_read(caller, id, *meta)) continue;
        if (!author.empty() && id.ns != author) continue;
        if (!search.empty() && id.id().find(search) == std::string::npos) continue;
        nlohmann::json j = {{"_id", meta->object_id}, {"id", id.id()},       {"author", id.ns.empty() ? id.name : id.ns},
                            {"private", meta->is_private}, {"gated", meta->gated}, {"likes", 0},
                            {"downloads", 0},           {"tags", nlohmann::json::array()},
                            {"createdAt", meta->created_at}};
        try {
            auto git = GitRepo::open(repos_.path(id).string());
            if (auto head = git.resolve("HEAD")) {
                j["sha"] = oid_hex(*head);
                j["lastModified"] = iso_from_seconds(git.commit(*head).time);
            }
        } catch (const GitError&) {
            continue;  // a repository being deleted right now
        }
        if (type == RepoType::model) j["modelId"] = id.id();
        if (type == RepoType::space) j["sdk"] = meta->sdk;
        visible.push_back(std::move(j));
    }
    Page page = page_of(req, visible.size(), 1000, 1000);
    set_next_link(req, res, page, visible.size());
    send_json(res, std::vector<nlohmann::json>(visible.begin() + static_cast<long>(page.offset),
                                               visible.begin() + static_cast<long>(page.offset + page.count)));
}

}  // namespace localhub
