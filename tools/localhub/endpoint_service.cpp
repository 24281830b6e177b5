#include "endpoint_service.hpp"

#include <chrono>
#include <fstream>
#include <regex>

#include "api_support.hpp"
#include "time_format.hpp"

namespace localhub {
namespace {

using json = nlohmann::json;

int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::vector<std::string> split_prefix(const std::string& p) {
    std::vector<std::string> out;
    std::string cur;
    for (char c : p + "/") {
        if (c == '/') {
            if (!cur.empty()) out.push_back(cur);
            cur.clear();
        } else cur += c;
    }
    return out;
}

const json& need_object(const json& j, const char* key, const std::string& where) {
    if (!j.contains(key) || !j[key].is_object()) throw HubError(400, where + key + " must be an object");
    return j[key];
}

void need_string(const json& j, const char* key, const std::string& where) {
    if (!j.contains(key) || !j[key].is_string() || j[key].get<std::string>().empty())
        throw HubError(400, where + key + " must be a non-empty string");
}

// The parts of a spec that create and update both check.
void validate_parts(const json& body, bool partial) {
    if (body.contains("compute") || !partial) {
        const json& c = need_object(body, "compute", "");
        if (!partial) {
            for (const char* k : {"accelerator", "instanceSize", "instanceType"}) need_string(c, k, "compute.");
            need_object(c, "scaling", "compute.");
        }
        if (c.contains("scaling")) {
            const json& s = c["scaling"];
            if (!s.is_object()) throw HubError(400, "compute.scaling must be an object");
            for (const char* k : {"minReplica", "maxReplica"})
                if (s.contains(k) && (!s[k].is_number_integer() || s[k].get<int>() < 0))
                    throw HubError(400, std::string("compute.scaling.") + k + " must be a non-negative integer");
            if (s.contains("minReplica") && s.contains("maxReplica") && s["minReplica"].get<int>() > s["maxReplica"].get<int>())
                throw HubError(400, "compute.scaling.minReplica must not exceed maxReplica");
        }
    }
    if (body.contains("model") || !partial) {
        const json& m = need_object(body, "model", "");
        if (!partial || m.contains("repository")) need_string(m, "repository", "model.");
        if (!partial) need_string(m, "framework", "model.");
    }
}

void merge(json& into, const json& patch) {
    for (const auto& [k, v] : patch.items()) {
        if (v.is_object() && into.contains(k) && into[k].is_object()) merge(into[k], v);
        else into[k] = v;
    }
}

}  // namespace

EndpointService::EndpointService(std::filesystem::path dir, const Access& access, const RepoStore& repos, std::string prefix,
                                 int step_seconds)
    : dir_(std::move(dir)), access_(access), repos_(repos), prefix_(split_prefix(prefix)), step_ms_(step_seconds * 1000) {
    std::filesystem::create_directories(dir_);
    std::ifstream in(dir_ / "endpoints.json");
    if (in) {
        json j = json::parse(in, nullptr, false);
        if (j.is_object()) endpoints_ = std::move(j);
    }
}

void EndpointService::save_locked() const {
    auto path = dir_ / "endpoints.json", tmp = path;
    tmp += ".tmp";
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << endpoints_.dump();
        if (!out) throw std::runtime_error("cannot write " + tmp.string());
    }
    std::filesystem::rename(tmp, path);
}

std::string EndpointService::authorize(const HttpRequest& req, const std::string& ns) const {
    Caller caller = access_.identify(req);
    if (caller.bad_token) throw HubError(401, "Invalid credentials in Authorization header");
    if (!caller.user) throw HubError(401, "You must be authenticated to use Inference Endpoints");
    if (!access_.is_member(caller, ns)) throw HubError(403, "You are not a member of " + ns);
    if (!caller.user->can_write) throw HubError(403, "Inference Endpoints need a token with write access");
    return caller.user->name;
}

json EndpointService::view_locked(const json& e, const HttpRequest& req) const {
    json v = e["spec"];
    int64_t since = now_ms() - e["since"].get<int64_t>();
    std::string target = e["target"], state;
    json message = nullptr;
    if (target != "running") state = target;
    else if (since < step_ms_) state = e.value("updated", false) ? "updating" : "pending";
    else if (!e["repoExists"].get<bool>()) {
        state = "failed";
        message = "Repository " + e["spec"]["model"]["repository"].get<std::string>() + " not found";
    } else if (since < 2 * step_ms_) state = "initializing";
    else state = "running";
    std::string ns = e["ns"], name = v["name"];
    v["status"] = {{"state", state},
                   {"message", message},
                   {"url", state == "running" ? json(endpoint_of(req) + "/endpoints-run/" + ns + "/" + name) : json(nullptr)},
                   {"createdAt", e["createdAt"]},
                   {"updatedAt", e["updatedAt"]},
                   {"createdBy", {{"id", e["createdBy"]}, {"name", e["createdBy"]}}},
                   {"updatedBy", {{"id", e["updatedBy"]}, {"name", e["updatedBy"]}}},
                   {"readyReplica", state == "running" ? 1 : 0},
                   {"targetReplica", target == "running" ? 1 : 0}};
    if (!v.contains("healthRoute")) v["healthRoute"] = "/health";
    return v;
}

json EndpointService::create_locked(const std::string& ns, const std::string& user, const json& body) {
    if (!body.is_object()) throw HubError(400, "expected a JSON object");
    need_string(body, "name", "");
    static const std::regex kName("[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?");
    std::string name = body["name"];
    if (!std::regex_match(name, kName)) throw HubError(400, "name must be 1-32 lower-case letters, digits or '-'");
    if (body.contains("type") && (!body["type"].is_string() ||
                                  !std::set<std::string>{"public", "protected", "authenticated", "private"}.count(body["type"].get<std::string>())))
        throw HubError(400, "type must be public, protected, authenticated or private");
    validate_parts(body, false);
    need_object(body, "provider", "");
    std::string key = ns + "/" + name;
    if (endpoints_.contains(key)) throw HubError(409, "Endpoint " + name + " already exists");
    json spec = body;
    spec["accountId"] = nullptr;
    if (!spec.contains("type")) spec["type"] = "protected";
    std::string repo = spec["model"]["repository"];
    auto slash = repo.find('/');
    RepoId id{RepoType::model, slash == std::string::npos ? "" : repo.substr(0, slash), repo.substr(slash == std::string::npos ? 0 : slash + 1)};
    bool exists = valid_repo_id(id) && repos_.exists(id);
    std::string now = iso_now();
    endpoints_[key] = {{"ns", ns}, {"spec", spec}, {"target", "running"}, {"since", now_ms()}, {"repoExists", exists},
                       {"createdAt", now}, {"updatedAt", now}, {"createdBy", user}, {"updatedBy", user}};
    save_locked();
    return endpoints_[key];
}

bool EndpointService::handle(HttpRequest& req, HttpResponse& res, const std::vector<std::string>& seg) {
    const std::string& m = req.method;
    // Catalog: /endpoints-catalog/api/catalog/{repo-list|deploy}
    if (seg.size() == 4 && seg[0] == "endpoints-catalog" && seg[1] == "api" && seg[2] == "catalog") {
        if (seg[3] == "repo-list" && m == "GET") {
            json models = json::array();
            for (const auto& id : repos_.list(RepoType::model)) {
                auto meta = repos_.meta(id);
                if (meta && !meta->is_private) models.push_back({{"repoId", id.id()}});
            }
            send_json(res, {{"models", models}});
            return true;
        }
        if (seg[3] == "deploy" && m == "POST") {
            json body = read_json_body(req, kMaxJsonBody);
            if (!body.is_object()) throw HubError(400, "expected a JSON object");
            need_string(body, "namespace", "");
            need_string(body, "repoId", "");
            std::string ns = body["namespace"];
            std::string user = authorize(req, ns);
            std::string repo = body["repoId"], name = body.value("endpointName", "");
            if (name.empty()) {
                name = repo.substr(repo.find('/') + 1);
                for (auto& c : name) c = std::isalnum(static_cast<unsigned char>(c)) ? std::tolower(c) : '-';
                name = name.substr(0, 32);
            }
            std::string accel = body.value("accelerator", "cpu");
            json spec = {{"name", name},
                         {"type", "protected"},
                         {"compute", {{"accelerator", accel}, {"instanceSize", "x1"}, {"instanceType", accel == "gpu" ? "nvidia-l4" : "intel-spr"},
                                      {"scaling", {{"minReplica", 0}, {"maxReplica", 1}, {"scaleToZeroTimeout", 15}}}}},
                         {"model", {{"repository", repo}, {"framework", "pytorch"}, {"task", "text-generation"}, {"image", {{"huggingface", json::object()}}}}},
                         {"provider", {{"vendor", "aws"}, {"region", "us-east-1"}}}};
            std::lock_guard lock(mutex_);
            send_json(res, {{"endpoint", view_locked(create_locked(ns, user, spec), req)}});
            return true;
        }
        throw HubError(404, "Not found");
    }
    if (seg.size() < prefix_.size() + 2 || !std::equal(prefix_.begin(), prefix_.end(), seg.begin())) return false;
    size_t i = prefix_.size();
    if (seg[i] != "endpoint") return false;
    const std::string& ns = seg[i + 1];
    std::string user = authorize(req, ns);
    std::string name = seg.size() > i + 2 ? seg[i + 2] : "";
    std::string action = seg.size() > i + 3 ? seg[i + 3] : "";
    if (seg.size() > i + 4) throw HubError(404, "Not found");
    std::lock_guard lock(mutex_);
    if (name.empty()) {
        if (m == "GET") {
            json items = json::array();
            for (const auto& [k, e] : endpoints_.items())
                if (e["ns"] == ns) items.push_back(view_locked(e, req));
            send_json(res, {{"items", items}});
            return true;
        }
        if (m == "POST") {
            send_json(res, view_locked(create_locked(ns, user, read_json_body(req, kMaxJsonBody)), req));
            return true;
        }
        throw HubError(405, "Method not allowed");
    }
    std::string key = ns + "/" + name;
    if (!endpoints_.contains(key)) throw HubError(404, "Endpoint " + name + " not found");
    json& e = endpoints_[key];
    auto touch = [&](const std::string& target) {
        e["target"] = target;
        e["since"] = now_ms();
        e["updatedAt"] = iso_now();
        e["updatedBy"] = user;
    };
    if (action.empty() && m == "GET") return send_json(res, view_locked(e, req)), true;
    if (action.empty() && m == "DELETE") {
        endpoints_.erase(key);
        save_locked();
        send_json(res, json::object());
        return true;
    }
    if (action.empty() && m == "PUT") {
        json body = read_json_body(req, kMaxJsonBody);
        if (!body.is_object()) throw HubError(400, "expected a JSON object");
        for (const char* fixed : {"name", "type", "provider", "accountId"})
            if (body.contains(fixed)) throw HubError(400, std::string(fixed) + " cannot be updated");
        validate_parts(body, true);
        json spec = e["spec"];
        merge(spec, body);
        validate_parts(spec, false);
        e["spec"] = spec;
        std::string repo = spec["model"]["repository"];
        auto slash = repo.find('/');
        RepoId id{RepoType::model, slash == std::string::npos ? "" : repo.substr(0, slash), repo.substr(slash == std::string::npos ? 0 : slash + 1)};
        e["repoExists"] = valid_repo_id(id) && repos_.exists(id);
        e["updated"] = true;  // the restart shows "updating" first
        touch("running");
        save_locked();
        return send_json(res, view_locked(e, req)), true;
    }
    if (m == "POST" && (action == "pause" || action == "resume" || action == "scale-to-zero")) {
        std::string state = view_locked(e, req)["status"]["state"];
        if (action == "pause") touch("paused");
        else if (action == "scale-to-zero") {
            if (state != "running") throw HubError(400, "Endpoint " + name + " is " + state + ", not running");
            touch("scaledToZero");
        } else {
            if (e["target"] == "running") throw HubError(400, "Endpoint " + name + " is already running");
            e["updated"] = false;
            touch("running");
        }
        save_locked();
        return send_json(res, view_locked(e, req)), true;
    }
    throw HubError(404, "Not found");
}

}  // namespace localhub
