// HfApi: Inference Endpoints (protocol §9) on HubConfig::inference_endpoints_url, and the
// catalog on HubConfig::inference_catalog_url. The namespace defaults to the token's user.
#include "errors.hpp"
#include "hf_api.hpp"
#include "hub_json.hpp"
#include "url.hpp"

namespace hubfs::api {
namespace {

using json = nlohmann::json;

}  // namespace

InferenceEndpoint parse_inference_endpoint(const json& j, const std::string& ns) {
    if (!j.is_object() || !j.contains("name") || !j["name"].is_string())
        throw InvalidResponseError(ErrorDetails{0, "Inference Endpoint answer without a name", {}, {}});
    InferenceEndpoint e;
    e.name = j["name"].get<std::string>();
    e.namespace_ = ns;
    e.type = j.value("type", "");
    e.health_route = j.value("healthRoute", "");
    if (j.contains("model") && j["model"].is_object()) {
        const json& m = j["model"];
        e.repository = m.value("repository", "");
        e.framework = m.value("framework", "");
        e.revision = opt_string(m, "revision");
        e.task = opt_string(m, "task");
    }
    if (j.contains("status") && j["status"].is_object()) {
        const json& s = j["status"];
        e.status = s.value("state", "");
        e.url = opt_string(s, "url");
        e.message = opt_string(s, "message");
        e.created_at = s.value("createdAt", "");
        e.updated_at = s.value("updatedAt", "");
    }
    e.raw = j;
    return e;
}

json inference_endpoint_create_json(const InferenceEndpointSpec& s) {
    json scaling = {{"minReplica", s.min_replica}, {"maxReplica", s.max_replica}};
    if (s.scale_to_zero_timeout) scaling["scaleToZeroTimeout"] = *s.scale_to_zero_timeout;
    json model = {{"repository", s.repository}, {"framework", s.framework}, {"image", {{"huggingface", json::object()}}}};
    if (s.revision) model["revision"] = *s.revision;
    if (s.task) model["task"] = *s.task;
    if (!s.env.empty()) model["env"] = s.env;
    if (!s.secrets.empty()) model["secrets"] = s.secrets;
    return {{"accountId", nullptr},
            {"name", s.name},
            {"type", s.type},
            {"compute", {{"accelerator", s.accelerator}, {"instanceSize", s.instance_size}, {"instanceType", s.instance_type}, {"scaling", scaling}}},
            {"model", model},
            {"provider", {{"region", s.region}, {"vendor", s.vendor}}}};
}

json inference_endpoint_update_json(const InferenceEndpointUpdate& u) {
    json body = json::object();
    if (u.accelerator) body["compute"]["accelerator"] = *u.accelerator;
    if (u.instance_size) body["compute"]["instanceSize"] = *u.instance_size;
    if (u.instance_type) body["compute"]["instanceType"] = *u.instance_type;
    if (u.min_replica) body["compute"]["scaling"]["minReplica"] = *u.min_replica;
    if (u.max_replica) body["compute"]["scaling"]["maxReplica"] = *u.max_replica;
    if (u.scale_to_zero_timeout) body["compute"]["scaling"]["scaleToZeroTimeout"] = *u.scale_to_zero_timeout;
    if (u.repository) body["model"]["repository"] = *u.repository;
    if (u.framework) body["model"]["framework"] = *u.framework;
    if (u.revision) body["model"]["revision"] = *u.revision;
    if (u.task) body["model"]["task"] = *u.task;
    if (u.env) body["model"]["env"] = *u.env;
    if (u.secrets) body["model"]["secrets"] = *u.secrets;
    return body;
}

std::string HfApi::endpoint_url(const std::string& ns, const std::string& name, const std::string& action) {
    std::string url = config().inference_endpoints_url + "/endpoint/" + percent_encode(ns);
    if (!name.empty()) url += "/" + percent_encode(name);
    if (!action.empty()) url += "/" + action;
    return url;
}

InferenceEndpoint HfApi::endpoint_call(const std::string& method, const std::string& url, const std::string& ns,
                                       const std::optional<json>& body) {
    HttpResponse r;
    if (body) {
        r = send_json(method, url, *body, method != "POST");
    } else {
        HttpRequest request;
        request.method = method;
        request.url = url;
        request.idempotent = method == "GET";
        r = http_.send(request);
    }
    expect_ok(r);
    return parse_inference_endpoint(parse_json_body(r.body, url), ns);
}

std::vector<InferenceEndpoint> HfApi::list_inference_endpoints(const std::optional<std::string>& ns) {
    std::string n = jobs_namespace(ns);
    json body;
    get_json(endpoint_url(n), body);
    if (!body.is_object() || !body.contains("items") || !body["items"].is_array())
        throw InvalidResponseError(ErrorDetails{0, "endpoint list without items", {}, {}});
    std::vector<InferenceEndpoint> out;
    for (const auto& j : body["items"]) out.push_back(parse_inference_endpoint(j, n));
    return out;
}

InferenceEndpoint HfApi::get_inference_endpoint(const std::string& name, const std::optional<std::string>& ns) {
    std::string n = jobs_namespace(ns);
    return endpoint_call("GET", endpoint_url(n, name), n, {});
}

InferenceEndpoint HfApi::create_inference_endpoint(const InferenceEndpointSpec& spec, const std::optional<std::string>& ns) {
    std::string n = jobs_namespace(ns);
    return endpoint_call("POST", endpoint_url(n), n, inference_endpoint_create_json(spec));
}

InferenceEndpoint HfApi::update_inference_endpoint(const std::string& name, const InferenceEndpointUpdate& update,
                                                   const std::optional<std::string>& ns) {
    std::string n = jobs_namespace(ns);
    return endpoint_call("PUT", endpoint_url(n, name), n, inference_endpoint_update_json(update));
}

InferenceEndpoint HfApi::pause_inference_endpoint(const std::string& name, const std::optional<std::string>& ns) {
    std::string n = jobs_namespace(ns);
    return endpoint_call("POST", endpoint_url(n, name, "pause"), n, {});
}

InferenceEndpoint HfApi::resume_inference_endpoint(const std::string& name, bool running_ok, const std::optional<std::string>& ns) {
    std::string n = jobs_namespace(ns);
    try {
        return endpoint_call("POST", endpoint_url(n, name, "resume"), n, {});
    } catch (const BadRequestError& e) {
        // As Python: resuming a running endpoint is fine when running_ok.
        if (!running_ok || std::string(e.what()).find("already running") == std::string::npos) throw;
        return get_inference_endpoint(name, n);
    }
}

InferenceEndpoint HfApi::scale_to_zero_inference_endpoint(const std::string& name, const std::optional<std::string>& ns) {
    std::string n = jobs_namespace(ns);
    return endpoint_call("POST", endpoint_url(n, name, "scale-to-zero"), n, {});
}

void HfApi::delete_inference_endpoint(const std::string& name, const std::optional<std::string>& ns) {
    HttpRequest request;
    request.method = "DELETE";
    request.url = endpoint_url(jobs_namespace(ns), name);
    expect_ok(http_.send(request));
}

std::vector<std::string> HfApi::list_inference_catalog() {
    json body;
    get_json(config().inference_catalog_url + "/repo-list", body);
    if (!body.is_object() || !body.contains("models") || !body["models"].is_array())
        throw InvalidResponseError(ErrorDetails{0, "catalog without models", {}, {}});
    std::vector<std::string> out;
    for (const auto& m : body["models"])
        if (auto id = opt_string(m, "repoId")) out.push_back(*id);
    return out;
}

InferenceEndpoint HfApi::create_inference_endpoint_from_catalog(const std::string& repo_id, const std::optional<std::string>& name,
                                                                const std::optional<std::string>& accelerator,
                                                                const std::optional<std::string>& ns) {
    std::string n = jobs_namespace(ns);
    json body = {{"namespace", n}, {"repoId", repo_id}};
    if (name) body["endpointName"] = *name;
    if (accelerator) body["accelerator"] = *accelerator;
    std::string url = config().inference_catalog_url + "/deploy";
    HttpResponse r = send_json("POST", url, body, false);
    expect_ok(r);
    json answer = parse_json_body(r.body, url);
    if (!answer.contains("endpoint")) throw InvalidResponseError(ErrorDetails{0, "catalog deploy without endpoint", {}, {}});
    return parse_inference_endpoint(answer["endpoint"], n);
}

}  // namespace hubfs::api
