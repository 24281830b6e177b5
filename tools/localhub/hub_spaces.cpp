// Spaces runtime HTTP API (protocol §7.2): /api/spaces/{ns}/{name}/{runtime, restart, pause,
// hardware, sleeptime, storage, secrets, variables, duplicate}. Reading the runtime needs read
// access to the Space; everything else a write token of a member of its namespace.
#include "api_support.hpp"
#include "hub.hpp"
#include "space_runtime.hpp"

namespace localhub {
namespace {

using json = nlohmann::json;

std::string string_field(const json& body, const char* key, bool required = true) {
    if (!body.contains(key) || body[key].is_null()) {
        if (required) throw HubError(400, std::string(key) + " is required");
        return "";
    }
    if (!body[key].is_string()) throw HubError(400, std::string(key) + " must be a string");
    return body[key].get<std::string>();
}

std::optional<std::string> optional_string(const json& body, const char* key) {
    if (!body.contains(key) || body[key].is_null()) return std::nullopt;
    return string_field(body, key);
}

int64_t integer_field(const json& body, const char* key) {
    if (!body.contains(key) || !body[key].is_number_integer()) throw HubError(400, std::string(key) + " must be an integer");
    return body[key].get<int64_t>();
}

json object_body(HttpRequest& req) {
    json body = read_json_body(req, kMaxJsonBody);
    if (!body.is_object()) throw HubError(400, "expected a JSON object");
    return body;
}

}  // namespace

std::optional<std::string> Hub::space_runtime_error(const RepoContext& ctx) const {
    auto head = ctx.git.resolve("main");
    if (!head) return std::nullopt;
    auto item = ctx.git.entry(*head, "localhub-runtime-error");
    if (!item) return std::nullopt;
    std::string text = ctx.git.blob(item->oid);
    text = text.substr(0, text.find('\n'));
    return text.empty() ? std::string("Runtime error") : text.substr(0, 1000);
}

bool Hub::space_api(HttpRequest& req, HttpResponse& res, RepoContext& ctx, const std::string& action) {
    static const std::set<std::string> kActions = {"runtime", "restart",  "pause",     "hardware", "sleeptime",
                                                   "storage", "secrets", "variables", "duplicate"};
    if (!spaces_ || ctx.id.type != RepoType::space || !kActions.count(action)) return false;
    const std::string& m = req.method;
    std::string key = ctx.id.id();
    bool reads_runtime = action == "runtime" && m == "GET";
    if (!reads_runtime && action != "duplicate" && !access_.can_write(ctx.caller, ctx.id)) {
        if (!ctx.caller.user) throw HubError(401, "You must be authenticated to manage " + key);
        throw HubError(403, "You don't have the rights to manage " + key);
    }
    auto answer_runtime = [&] { send_json(res, spaces_->runtime(key, space_runtime_error(ctx))); };

    if (reads_runtime) return answer_runtime(), true;
    if (action == "restart" && m == "POST") return spaces_->restart(key), answer_runtime(), true;
    if (action == "pause" && m == "POST") return spaces_->pause(key), answer_runtime(), true;
    if (action == "hardware" && m == "POST") {
        json body = object_body(req);
        std::optional<int64_t> sleep;
        if (body.contains("sleepTimeSeconds") && !body["sleepTimeSeconds"].is_null()) sleep = integer_field(body, "sleepTimeSeconds");
        spaces_->request_hardware(key, string_field(body, "flavor"), sleep);
        return answer_runtime(), true;
    }
    if (action == "sleeptime" && m == "POST") {
        spaces_->set_sleep_time(key, integer_field(object_body(req), "seconds"));
        return answer_runtime(), true;
    }
    if (action == "storage" && m == "POST") return spaces_->set_storage(key, string_field(object_body(req), "tier")), answer_runtime(), true;
    if (action == "storage" && m == "DELETE") return spaces_->set_storage(key, std::nullopt), answer_runtime(), true;
    if (action == "secrets" || action == "variables") {
        if (m == "GET") return send_json(res, spaces_->listing(key, action)), true;
        json body = object_body(req);
        std::string name = string_field(body, "key");
        if (m == "POST") {
            spaces_->upsert(key, action, name, string_field(body, "value"), optional_string(body, "description"));
        } else if (m == "DELETE") {
            spaces_->remove(key, action, name);
        } else {
            return false;
        }
        // Secrets answer {} (never a value); variables the whole map.
        return send_json(res, action == "secrets" ? json::object() : spaces_->listing(key, action)), true;
    }
    if (action == "duplicate" && m == "POST") {
        if (!ctx.caller.user) throw HubError(401, "You must be authenticated to duplicate " + key);
        json body = object_body(req);
        std::string target = string_field(body, "repository");
        auto slash = target.find('/');
        RepoId to{RepoType::space, slash == std::string::npos ? ctx.caller.user->name : target.substr(0, slash),
                  slash == std::string::npos ? target : target.substr(slash + 1)};
        if (!valid_repo_id(to)) throw HubError(400, "Invalid repo id");
        if (!access_.can_write(ctx.caller, to)) throw HubError(403, "You don't have the rights to create a repo in " + to.ns);
        if (body.contains("hardware") && !body["hardware"].is_null() && !SpaceRuntimes::known_flavor(string_field(body, "hardware")))
            throw HubError(400, "Unknown hardware flavor: " + string_field(body, "hardware"));
        RepoMeta meta;
        meta.sdk = ctx.meta.sdk;
        meta.is_private = body.contains("private") && body["private"].is_boolean() ? body["private"].get<bool>() : ctx.meta.is_private;
        if (body.contains("visibility") && body["visibility"].is_string()) meta.is_private = body["visibility"] != "public";
        std::string url = endpoint_of(req) + "/spaces/" + to.id();
        if (!repos_.create(to, meta, ctx.caller.user->name)) {
            HubError e(409, "You already created this space repo");
            e.fields = {{"url", url}};
            throw e;
        }
        {
            // The copy gets the source's git objects and refs; its own metadata (id, privacy,
            // no discussions) stays.
            auto lock = repos_.lock(to);
            RepoMeta created = *repos_.meta(to);
            auto dst = repos_.path(to);
            std::filesystem::remove_all(dst);
            std::filesystem::copy(repos_.path(ctx.id), dst, std::filesystem::copy_options::recursive);
            repos_.save_meta(to, created);
        }
        spaces_->copy_settings(key, to.id());
        if (body.contains("hardware") && body["hardware"].is_string())
            spaces_->request_hardware(to.id(), body["hardware"].get<std::string>(), std::nullopt);
        if (body.contains("sleepTimeSeconds") && !body["sleepTimeSeconds"].is_null())
            spaces_->set_sleep_time(to.id(), integer_field(body, "sleepTimeSeconds"));
        if (auto tier = optional_string(body, "storageTier")) spaces_->set_storage(to.id(), tier);
        for (const char* kind : {"secrets", "variables"}) {
            if (!body.contains(kind) || body[kind].is_null()) continue;
            if (!body[kind].is_array()) throw HubError(400, std::string(kind) + " must be an array");
            for (const auto& e : body[kind]) {
                if (!e.is_object()) throw HubError(400, std::string(kind) + " entries must be objects");
                spaces_->upsert(to.id(), kind, string_field(e, "key"), string_field(e, "value"), optional_string(e, "description"));
            }
        }
        return send_json(res, {{"url", url}}), true;
    }
    return false;
}

}  // namespace localhub
