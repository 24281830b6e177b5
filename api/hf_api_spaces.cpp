// HfApi: a Space's runtime, hardware, sleep time, storage, secrets, variables and duplication
// (protocol §7.2), on /api/spaces/{id}/...
#include "errors.hpp"
#include "hf_api.hpp"
#include "hub_json.hpp"

namespace hubfs::api {
namespace {

using json = nlohmann::json;

Repo space(const std::string& repo_id) { return Repo(repo_id, RepoType::space); }

json key_values(const std::vector<SpaceKeyValue>& entries) {
    json out = json::array();
    for (const auto& e : entries) {
        json item = {{"key", e.key}, {"value", e.value}};
        if (e.description) item["description"] = *e.description;
        out.push_back(item);
    }
    return out;
}

}  // namespace

SpaceRuntime parse_space_runtime(const json& j) {
    if (!j.is_object() || !j.contains("stage") || !j["stage"].is_string())
        throw InvalidResponseError(ErrorDetails{0, "Space runtime without a stage", {}, {}});
    SpaceRuntime r;
    r.stage = j["stage"].get<std::string>();
    if (j.contains("hardware") && j["hardware"].is_object()) {
        r.hardware = opt_string(j["hardware"], "current");
        r.requested_hardware = opt_string(j["hardware"], "requested");
    }
    if (j.contains("gcTimeout") && j["gcTimeout"].is_number_integer()) r.sleep_time = j["gcTimeout"].get<int64_t>();
    r.storage = opt_string(j, "storage");
    r.error_message = opt_string(j, "errorMessage");
    r.raw = j;
    return r;
}

std::map<std::string, SpaceVariable> parse_space_variables(const json& j) {
    if (!j.is_object()) throw InvalidResponseError(ErrorDetails{0, "Space variables are not an object", {}, {}});
    std::map<std::string, SpaceVariable> out;
    for (const auto& [k, v] : j.items()) {
        SpaceVariable var{k, opt_string(v, "value").value_or(""), opt_string(v, "description"), opt_string(v, "updatedAt")};
        out[k] = var;
    }
    return out;
}

SpaceRuntime HfApi::space_runtime_call(const std::string& repo_id, const std::string& method, const std::string& suffix,
                                       const std::optional<json>& body) {
    std::string url = api_url(space(repo_id), suffix);
    HttpResponse r;
    if (method == "GET") {
        json out;
        get_json(url, out);
        return parse_space_runtime(out);
    }
    if (body) {
        r = send_json(method, url, *body, true);
    } else {
        HttpRequest request;
        request.method = method;
        request.url = url;
        r = http_.send(request);
    }
    expect_ok(r);
    return parse_space_runtime(parse_json_body(r.body, url));
}

SpaceRuntime HfApi::get_space_runtime(const std::string& repo_id) { return space_runtime_call(repo_id, "GET", "/runtime", {}); }

SpaceRuntime HfApi::restart_space(const std::string& repo_id, bool factory_reboot) {
    return space_runtime_call(repo_id, "POST", factory_reboot ? "/restart?factory=true" : "/restart", {});
}

SpaceRuntime HfApi::pause_space(const std::string& repo_id) { return space_runtime_call(repo_id, "POST", "/pause", {}); }

SpaceRuntime HfApi::request_space_hardware(const std::string& repo_id, const std::string& hardware,
                                           std::optional<int64_t> sleep_time) {
    json body = {{"flavor", hardware}};
    if (sleep_time) body["sleepTimeSeconds"] = *sleep_time;
    return space_runtime_call(repo_id, "POST", "/hardware", body);
}

SpaceRuntime HfApi::set_space_sleep_time(const std::string& repo_id, int64_t sleep_time) {
    return space_runtime_call(repo_id, "POST", "/sleeptime", json{{"seconds", sleep_time}});
}

SpaceRuntime HfApi::request_space_storage(const std::string& repo_id, const std::string& storage) {
    return space_runtime_call(repo_id, "POST", "/storage", json{{"tier", storage}});
}

SpaceRuntime HfApi::delete_space_storage(const std::string& repo_id) {
    return space_runtime_call(repo_id, "DELETE", "/storage", {});
}

void HfApi::add_space_secret(const std::string& repo_id, const std::string& key, const std::string& value,
                             const std::optional<std::string>& description) {
    json body = {{"key", key}, {"value", value}};
    if (description) body["description"] = *description;
    expect_ok(send_json("POST", api_url(space(repo_id), "/secrets"), body, true));
}

void HfApi::delete_space_secret(const std::string& repo_id, const std::string& key) {
    expect_ok(send_json("DELETE", api_url(space(repo_id), "/secrets"), json{{"key", key}}, true));
}

std::vector<std::string> HfApi::list_space_secrets(const std::string& repo_id) {
    json out;
    get_json(api_url(space(repo_id), "/secrets"), out);
    if (!out.is_object()) throw InvalidResponseError(ErrorDetails{0, "Space secrets are not an object", {}, {}});
    std::vector<std::string> keys;
    for (const auto& [k, v] : out.items()) keys.push_back(k);
    return keys;
}

std::map<std::string, SpaceVariable> HfApi::get_space_variables(const std::string& repo_id) {
    json out;
    get_json(api_url(space(repo_id), "/variables"), out);
    return parse_space_variables(out);
}

std::map<std::string, SpaceVariable> HfApi::add_space_variable(const std::string& repo_id, const std::string& key,
                                                               const std::string& value,
                                                               const std::optional<std::string>& description) {
    json body = {{"key", key}, {"value", value}};
    if (description) body["description"] = *description;
    std::string url = api_url(space(repo_id), "/variables");
    HttpResponse r = send_json("POST", url, body, true);
    expect_ok(r);
    return parse_space_variables(parse_json_body(r.body, url));
}

std::map<std::string, SpaceVariable> HfApi::delete_space_variable(const std::string& repo_id, const std::string& key) {
    std::string url = api_url(space(repo_id), "/variables");
    HttpResponse r = send_json("DELETE", url, json{{"key", key}}, true);
    expect_ok(r);
    return parse_space_variables(parse_json_body(r.body, url));
}

RepoUrl HfApi::duplicate_space(const std::string& from_id, const DuplicateSpaceOptions& options) {
    std::string name = from_id.substr(from_id.find('/') + 1);
    std::string to_id = options.to_id ? *options.to_id : whoami().name + "/" + name;
    json body = {{"repository", to_id}};
    if (options.is_private) {
        body["private"] = *options.is_private;
        body["visibility"] = *options.is_private ? "private" : "public";
    }
    if (options.hardware) body["hardware"] = *options.hardware;
    if (options.storage) body["storageTier"] = *options.storage;
    if (options.sleep_time) body["sleepTimeSeconds"] = *options.sleep_time;
    if (!options.secrets.empty()) body["secrets"] = key_values(options.secrets);
    if (!options.variables.empty()) body["variables"] = key_values(options.variables);
    std::string url = api_url(space(from_id), "/duplicate");
    HttpResponse r = send_json("POST", url, body, false);  // not retried: a lost answer would become a 409
    std::string fallback = config().endpoint + "/spaces/" + to_id;
    if (r.status == 409 && options.exist_ok) return RepoUrl{fallback, to_id, "space"};
    expect_ok(r);
    json answer = parse_json_body(r.body, url);
    return RepoUrl{answer.value("url", fallback), to_id, "space"};
}

}  // namespace hubfs::api
