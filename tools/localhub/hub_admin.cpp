// Account and repository management: whoami, create, delete, move, settings, validate-yaml.
#include "api_support.hpp"
#include "hub.hpp"

namespace localhub {
namespace {

const User& require_user(const Caller& c) {
    if (c.bad_token || !c.user)
        throw HubError(401, "Invalid credentials in Authorization header", "",
                       {{"X-Error-Message", "Invalid credentials in Authorization header"}});
    return *c.user;
}

std::string str(const nlohmann::json& body, const char* key) {
    return body.contains(key) && body[key].is_string() ? body[key].get<std::string>() : std::string();
}

RepoType type_of(const nlohmann::json& body) {
    auto t = repo_type_from_name(str(body, "type"));
    if (!t) throw HubError(400, "unknown repo type '" + str(body, "type") + "'");
    return *t;
}

// "ns/name" or a name plus an organization field.
RepoId repo_id_from(const nlohmann::json& body, const std::string& default_ns, RepoType type) {
    std::string name = str(body, "name"), ns = str(body, "organization");
    if (auto slash = name.find('/'); slash != std::string::npos) {
        ns = name.substr(0, slash);
        name = name.substr(slash + 1);
    }
    if (ns.empty()) ns = default_ns;
    if (!valid_repo_name(name)) throw HubError(400, "Invalid repo name '" + name + "': use 1-96 of [A-Za-z0-9._-]");
    if (!valid_repo_name(ns)) throw HubError(400, "Invalid namespace '" + ns + "'");
    return RepoId{type, ns, name};
}

RepoId parse_full_id(const std::string& full, RepoType type) {
    auto slash = full.find('/');
    if (slash == std::string::npos) throw HubError(400, "repo ids must be namespace/name: " + full);
    RepoId id{type, full.substr(0, slash), full.substr(slash + 1)};
    if (!valid_repo_name(id.ns) || !valid_repo_name(id.name)) throw HubError(400, "Invalid repo id " + full);
    return id;
}

// visibility ("public"|"private"|"protected") or private (bool), as v1 and 0.x clients send.
std::optional<bool> privacy_of(const nlohmann::json& body) {
    if (body.contains("visibility") && body["visibility"].is_string()) {
        std::string v = body["visibility"];
        if (v != "public" && v != "private" && v != "protected") throw HubError(400, "invalid visibility " + v);
        return v != "public";
    }
    if (body.contains("private") && body["private"].is_boolean()) return body["private"].get<bool>();
    return std::nullopt;
}

}  // namespace

void Hub::whoami(HttpRequest& req, HttpResponse& res) {
    const User& user = require_user(access_.identify(req));
    nlohmann::json orgs = nlohmann::json::array();
    for (const auto& org : access_.orgs_of(user.name))
        orgs.push_back({{"type", "org"}, {"name", org}, {"fullname", org}, {"avatarUrl", "/avatars/" + org + ".svg"}});
    send_json(res, {{"type", "user"},
                    {"id", std::to_string(std::hash<std::string>{}(user.name))},
                    {"name", user.name},
                    {"fullname", user.name},
                    {"email", user.name + "@localhub"},
                    {"emailVerified", true},
                    {"isPro", false},
                    {"canPay", false},
                    {"avatarUrl", "/avatars/" + user.name + ".svg"},
                    {"periodEnd", nullptr},
                    {"orgs", orgs},
                    {"auth",
                     {{"type", "access_token"},
                      {"accessToken",
                       {{"displayName", "localhub"},
                        {"role", user.can_write ? "write" : "read"},
                        {"createdAt", "2025-01-01T00:00:00.000Z"}}}}}});
}

void Hub::create_repo(HttpRequest& req, HttpResponse& res) {
    Caller caller = access_.identify(req);
    const User& user = require_user(caller);
    auto body = read_json_body(req, options_.max_body);
    if (!body.is_object()) throw HubError(400, "expected a JSON object");
    RepoType type = type_of(body);
    RepoId id = repo_id_from(body, user.name, type);
    if (!access_.can_write(caller, id)) throw HubError(403, "You don't have the rights to create a repo in " + id.ns);
    RepoMeta meta;
    meta.is_private = privacy_of(body).value_or(false);
    if (type == RepoType::space) meta.sdk = str(body, "sdk").empty() ? "static" : str(body, "sdk");
    std::string url = endpoint_of(req) + "/" + type_url_prefix(type) + id.id();
    if (!repos_.create(id, meta, user.name)) {
        // huggingface_hub's create_repo(exist_ok=True) takes the URL from this body.
        HubError e(409, "You already created this " + type_name(type) + " repo");
        e.fields = {{"url", url}};
        throw e;
    }
    send_json(res, {{"url", url}, {"name", id.id()}, {"id", repos_.meta(id)->object_id}});
}

void Hub::delete_repo(HttpRequest& req, HttpResponse& res) {
    Caller caller = access_.identify(req);
    const User& user = require_user(caller);
    auto body = read_json_body(req, options_.max_body);
    if (!body.is_object()) throw HubError(400, "expected a JSON object");
    RepoId id = repo_id_from(body, user.name, type_of(body));
    auto meta = repos_.meta(id);
    if (!meta || !access_.can_read(caller, id, *meta)) throw HubError(404, "Repository not found", "RepoNotFound");
    if (!access_.can_write(caller, id)) throw HubError(403, "You don't have the rights to delete " + id.id());
    auto lock = repos_.lock(id);
    if (!repos_.remove(id)) throw HubError(404, "Repository not found", "RepoNotFound");
    res.set_header("Content-Type", "text/plain; charset=utf-8");
    res.body = "OK";
}

void Hub::move_repo(HttpRequest& req, HttpResponse& res) {
    Caller caller = access_.identify(req);
    require_user(caller);
    auto body = read_json_body(req, options_.max_body);
    if (!body.is_object()) throw HubError(400, "expected a JSON object");
    RepoType type = type_of(body);
    RepoId from = parse_full_id(str(body, "fromRepo"), type), to = parse_full_id(str(body, "toRepo"), type);
    auto meta = repos_.meta(from);
    if (!meta || !access_.can_read(caller, from, *meta)) throw HubError(404, "Repository not found", "RepoNotFound");
    if (!access_.can_write(caller, from) || !access_.can_write(caller, to))
        throw HubError(403, "You don't have the rights to move " + from.id() + " to " + to.id());
    auto lock = repos_.lock(from);
    if (!repos_.move(from, to)) throw HubError(409, "A repository named " + to.id() + " already exists");
    send_json(res, nlohmann::json::object());
}

void Hub::update_settings(HttpRequest& req, HttpResponse& res, RepoContext& ctx) {
    auto body = read_json_body(req, options_.max_body);
    if (!body.is_object()) throw HubError(400, "expected a JSON object");
    auto lock = repos_.lock(ctx.id);
    RepoMeta meta = repos_.meta(ctx.id).value_or(ctx.meta);
    if (auto p = privacy_of(body)) meta.is_private = *p;
    if (body.contains("gated")) {
        const auto& g = body["gated"];
        if (!(g == false || g == "auto" || g == "manual")) throw HubError(400, "gated must be false, \"auto\" or \"manual\"");
        meta.gated = g;
    }
    repos_.save_meta(ctx.id, meta);
    send_json(res, nlohmann::json::object());
}

void Hub::validate_yaml(HttpRequest& req, HttpResponse& res) {
    auto body = read_json_body(req, options_.max_body);
    std::string content = body.is_object() ? str(body, "content") : "";
    // A front matter that opens must close.
    if (content.rfind("---", 0) == 0 && content.find("\n---", 3) == std::string::npos)
        return send_json(res, {{"errors", {{{"message", "the YAML front matter is not closed by '---'"}}}}}, 400);
    send_json(res, {{"errors", nlohmann::json::array()}, {"warnings", nlohmann::json::array()}});
}

}  // namespace localhub
