// HfApi: Jobs (protocol §8) on the Hub's own host, /api/jobs/{ns} and /api/scheduled-jobs/{ns}.
// The namespace defaults to the token's user, as in Python.
#include "base64.hpp"
#include "errors.hpp"
#include "hf_api.hpp"
#include "hub_json.hpp"
#include "url.hpp"

#include <fstream>
#include <sstream>

namespace hubfs::api {
namespace {

using json = nlohmann::json;

std::map<std::string, std::string> string_map(const json& j, const char* key) {
    std::map<std::string, std::string> out;
    if (j.contains(key) && j[key].is_object())
        for (const auto& [k, v] : j[key].items())
            if (v.is_string()) out[k] = v.get<std::string>();
    return out;
}

std::vector<std::string> string_list(const json& j, const char* key) {
    std::vector<std::string> out;
    if (j.contains(key) && j[key].is_array())
        for (const auto& v : j[key])
            if (v.is_string()) out.push_back(v.get<std::string>());
    return out;
}

std::string required_string(const json& j, const char* key) {
    if (!j.is_object() || !j.contains(key) || !j[key].is_string())
        throw InvalidResponseError(ErrorDetails{0, std::string("job answer without \"") + key + "\"", {}, {}});
    return j[key].get<std::string>();
}

JobOwner parse_owner(const json& j) {
    JobOwner o;
    if (!j.is_object()) return o;
    o.id = j.value("id", "");
    o.name = j.value("name", "");
    o.type = j.value("type", "");
    return o;
}

std::string shell_quote(const std::string& s) {
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

// Splits a Server-Sent Events body into events as bytes arrive; calls back per log line.
class LogEventParser {
public:
    explicit LogEventParser(std::function<void(const JobLogLine&)> on_line) : on_line_(std::move(on_line)) {}
    void feed(std::string_view chunk) {
        buffer_.append(chunk);
        for (size_t nl; (nl = buffer_.find('\n')) != std::string::npos;) {
            std::string line = buffer_.substr(0, nl);
            buffer_.erase(0, nl + 1);
            if (!line.empty() && line.back() == '\r') line.pop_back();
            // Only "data: {...}" lines are events; keep-alives and comments are skipped (as Python).
            if (line.rfind("data: {", 0) != 0) continue;
            json e = json::parse(line.substr(6), nullptr, false);
            if (!e.is_object() || !e.contains("data") || !e["data"].is_string()) continue;
            JobLogLine l{e["data"].get<std::string>(), e.value("timestamp", "")};
            if (first_ && l.data.rfind("===== Job started", 0) == 0) {  // Python drops this banner
                first_ = false;
                continue;
            }
            first_ = false;
            on_line_(l);
        }
    }

private:
    std::function<void(const JobLogLine&)> on_line_;
    std::string buffer_;
    bool first_ = true;
};

}  // namespace

JobInfo parse_job_info(const json& j, const std::string& endpoint) {
    JobInfo info;
    info.id = required_string(j, "id");
    info.created_at = j.value("createdAt", "");
    info.started_at = opt_string(j, "startedAt");
    info.finished_at = opt_string(j, "finishedAt");
    info.docker_image = opt_string(j, "dockerImage");
    info.space_id = opt_string(j, "spaceId");
    info.command = string_list(j, "command");
    info.arguments = string_list(j, "arguments");
    info.environment = string_map(j, "environment");
    info.secrets = string_list(j, "secrets");
    if (j.contains("secrets") && j["secrets"].is_object())  // some answers give {name: null}
        for (const auto& [k, v] : j["secrets"].items()) info.secrets.push_back(k);
    info.flavor = j.value("flavor", "");
    info.labels = string_map(j, "labels");
    if (j.contains("timeoutSeconds") && j["timeoutSeconds"].is_number()) info.timeout_seconds = j["timeoutSeconds"].get<double>();
    if (j.contains("status") && j["status"].is_object()) {
        const json& s = j["status"];
        info.status.stage = s.value("stage", "");
        info.status.message = opt_string(s, "message");
        if (s.contains("exitCode") && s["exitCode"].is_number_integer()) info.status.exit_code = s["exitCode"].get<int>();
    }
    info.owner = parse_owner(j.value("owner", json()));
    info.url = endpoint + "/jobs/" + info.owner.name + "/" + info.id;
    return info;
}

ScheduledJobInfo parse_scheduled_job_info(const json& j) {
    ScheduledJobInfo info;
    info.id = required_string(j, "id");
    info.created_at = j.value("createdAt", "");
    info.schedule = j.value("schedule", "");
    info.suspend = j.value("suspend", false);
    info.concurrency = j.value("concurrency", false);
    info.job_spec = j.value("jobSpec", json::object());
    if (j.contains("status") && j["status"].is_object()) {
        const json& s = j["status"];
        if (s.contains("lastJob") && s["lastJob"].is_object()) {
            info.last_job_id = opt_string(s["lastJob"], "id");
            info.last_job_at = opt_string(s["lastJob"], "at");
        }
        info.next_job_run_at = opt_string(s, "nextJobRunAt");
    }
    info.owner = parse_owner(j.value("owner", json()));
    return info;
}

json job_spec_json(const JobSpec& spec) {
    json body = {{"command", spec.command},
                 {"arguments", json::array()},
                 {"environment", spec.env},
                 {"flavor", spec.flavor}};
    for (const char* prefix : {"https://huggingface.co/spaces/", "https://hf.co/spaces/", "huggingface.co/spaces/",
                               "hf.co/spaces/"}) {
        if (spec.image.rfind(prefix, 0) == 0) {
            body["spaceId"] = spec.image.substr(std::string(prefix).size());
            break;
        }
    }
    if (!body.contains("spaceId")) body["dockerImage"] = spec.image;
    if (!spec.secrets.empty()) body["secrets"] = spec.secrets;
    if (spec.timeout_seconds) body["timeoutSeconds"] = *spec.timeout_seconds;
    if (!spec.labels.empty()) body["labels"] = spec.labels;
    return body;
}

JobSpec uv_job_spec(const UvJobSpec& uv) {
    JobSpec spec;
    spec.image = uv.image;
    spec.env = uv.env;
    spec.secrets = uv.secrets;
    spec.flavor = uv.flavor;
    spec.timeout_seconds = uv.timeout_seconds;
    spec.labels = uv.labels;
    std::vector<std::string> uv_args;
    for (const auto& d : uv.dependencies) {
        uv_args.push_back("--with");
        uv_args.push_back(d);
    }
    if (uv.python) {
        uv_args.push_back("--python");
        uv_args.push_back(*uv.python);
    }
    bool remote = uv.script.rfind("http://", 0) == 0 || uv.script.rfind("https://", 0) == 0;
    if (remote) {
        spec.command = {"uv", "run"};
        spec.command.insert(spec.command.end(), uv_args.begin(), uv_args.end());
        spec.command.push_back(uv.script);
        spec.command.insert(spec.command.end(), uv.script_args.begin(), uv.script_args.end());
        return spec;
    }
    // A local script travels inline, base64 in the environment, and is written out in the job.
    std::ifstream in(uv.script, std::ios::binary);
    if (!in) throw std::runtime_error("run_uv_job: cannot read script " + uv.script);
    std::ostringstream content;
    content << in.rdbuf();
    spec.env["UV_SCRIPT_ENCODED"] = base64_encode(content.str());
    std::string run = "uv run";
    for (const auto& a : uv_args) run += " " + shell_quote(a);
    spec.command = {"bash", "-c",
                    "echo \"$UV_SCRIPT_ENCODED\" | base64 -d > /tmp/script.py && exec " + run + " /tmp/script.py \"$@\"",
                    "script"};
    spec.command.insert(spec.command.end(), uv.script_args.begin(), uv.script_args.end());
    return spec;
}

std::string HfApi::jobs_namespace(const std::optional<std::string>& ns) {
    return ns ? *ns : whoami().name;
}

JobInfo HfApi::run_job(const JobSpec& spec, const std::optional<std::string>& ns) {
    std::string url = config().endpoint + "/api/jobs/" + percent_encode(jobs_namespace(ns));
    HttpResponse r = send_json("POST", url, job_spec_json(spec), false);
    expect_ok(r);
    return parse_job_info(parse_json_body(r.body, url), config().endpoint);
}

JobInfo HfApi::run_uv_job(const UvJobSpec& spec, const std::optional<std::string>& ns) {
    return run_job(uv_job_spec(spec), ns);
}

std::vector<JobInfo> HfApi::list_jobs(const ListJobsOptions& options, const std::optional<std::string>& ns) {
    std::string url = config().endpoint + "/api/jobs/" + percent_encode(jobs_namespace(ns));
    char sep = '?';
    for (const auto& s : options.stages) {
        url += sep + std::string("stage=") + percent_encode(s);
        sep = '&';
    }
    for (const auto& [k, v] : options.labels) {
        url += sep + std::string("label=") + percent_encode(k + "=" + v);
        sep = '&';
    }
    json body;
    get_json(url, body);
    std::vector<JobInfo> out;
    if (!body.is_array()) throw InvalidResponseError(ErrorDetails{0, "job list is not an array", {}, {}});
    for (const auto& j : body) out.push_back(parse_job_info(j, config().endpoint));
    return out;
}

JobInfo HfApi::inspect_job(const std::string& job_id, const std::optional<std::string>& ns) {
    json body;
    get_json(config().endpoint + "/api/jobs/" + percent_encode(jobs_namespace(ns)) + "/" + percent_encode(job_id), body);
    return parse_job_info(body, config().endpoint);
}

void HfApi::fetch_job_logs(const std::string& job_id, const std::function<void(const JobLogLine&)>& on_line,
                           const std::optional<std::string>& ns) {
    HttpRequest request;
    request.url = config().endpoint + "/api/jobs/" + percent_encode(jobs_namespace(ns)) + "/" + percent_encode(job_id) + "/logs";
    request.headers.emplace_back("Accept", "text/event-stream");
    LogEventParser parser(on_line);
    expect_ok(http_.send(request, [&](std::string_view chunk) { parser.feed(chunk); }));
}

void HfApi::cancel_job(const std::string& job_id, const std::optional<std::string>& ns) {
    std::string url = config().endpoint + "/api/jobs/" + percent_encode(jobs_namespace(ns)) + "/" + percent_encode(job_id) + "/cancel";
    expect_ok(send_json("POST", url, json::object(), false));
}

ScheduledJobInfo HfApi::create_scheduled_job(const JobSpec& spec, const std::string& schedule, bool suspend,
                                             bool concurrency, const std::optional<std::string>& ns) {
    std::string url = config().endpoint + "/api/scheduled-jobs/" + percent_encode(jobs_namespace(ns));
    json body = {{"jobSpec", job_spec_json(spec)}, {"schedule", schedule}, {"suspend", suspend}, {"concurrency", concurrency}};
    HttpResponse r = send_json("POST", url, body, false);
    expect_ok(r);
    return parse_scheduled_job_info(parse_json_body(r.body, url));
}

ScheduledJobInfo HfApi::create_scheduled_uv_job(const UvJobSpec& spec, const std::string& schedule, bool suspend,
                                                bool concurrency, const std::optional<std::string>& ns) {
    return create_scheduled_job(uv_job_spec(spec), schedule, suspend, concurrency, ns);
}

std::vector<ScheduledJobInfo> HfApi::list_scheduled_jobs(const std::optional<std::string>& ns) {
    json body;
    get_json(config().endpoint + "/api/scheduled-jobs/" + percent_encode(jobs_namespace(ns)), body);
    if (!body.is_array()) throw InvalidResponseError(ErrorDetails{0, "scheduled job list is not an array", {}, {}});
    std::vector<ScheduledJobInfo> out;
    for (const auto& j : body) out.push_back(parse_scheduled_job_info(j));
    return out;
}

ScheduledJobInfo HfApi::inspect_scheduled_job(const std::string& id, const std::optional<std::string>& ns) {
    json body;
    get_json(config().endpoint + "/api/scheduled-jobs/" + percent_encode(jobs_namespace(ns)) + "/" + percent_encode(id), body);
    return parse_scheduled_job_info(body);
}

void HfApi::suspend_scheduled_job(const std::string& id, const std::optional<std::string>& ns) {
    expect_ok(send_json("POST", config().endpoint + "/api/scheduled-jobs/" + percent_encode(jobs_namespace(ns)) + "/" +
                                    percent_encode(id) + "/suspend", json::object()));
}

void HfApi::resume_scheduled_job(const std::string& id, const std::optional<std::string>& ns) {
    expect_ok(send_json("POST", config().endpoint + "/api/scheduled-jobs/" + percent_encode(jobs_namespace(ns)) + "/" +
                                    percent_encode(id) + "/resume", json::object()));
}

void HfApi::delete_scheduled_job(const std::string& id, const std::optional<std::string>& ns) {
    HttpRequest request;
    request.method = "DELETE";
    request.url = config().endpoint + "/api/scheduled-jobs/" + percent_encode(jobs_namespace(ns)) + "/" + percent_encode(id);
    expect_ok(http_.send(request));
}

}  // namespace hubfs::api
