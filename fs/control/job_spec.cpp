#include "fs/control/job_spec.hpp"

#include <cerrno>
#include <set>

#include <nlohmann/json.hpp>

#include "fs/errno_map.hpp"

namespace hubfs::fs {
namespace {

using json = nlohmann::json;

[[noreturn]] void invalid(const std::string& why) { throw FsError(EINVAL, "job spec: " + why); }

json parse_object(std::string_view text) {
    json j = json::parse(text, nullptr, false);
    // The parser's own message could quote the text (and a secret in it): say only where.
    if (j.is_discarded()) invalid("not valid JSON");
    if (!j.is_object()) invalid("a JSON object is needed");
    return j;
}

std::string string_of(const json& j, const char* key) {
    if (!j[key].is_string()) invalid(std::string("\"") + key + "\" must be a string");
    return j[key].get<std::string>();
}

std::vector<std::string> strings_of(const json& j, const char* key) {
    std::vector<std::string> out;
    if (!j[key].is_array()) invalid(std::string("\"") + key + "\" must be an array of strings");
    for (const auto& v : j[key]) {
        if (!v.is_string()) invalid(std::string("\"") + key + "\" must be an array of strings");
        out.push_back(v.get<std::string>());
    }
    return out;
}

std::map<std::string, std::string> map_of(const json& j, const char* key) {
    std::map<std::string, std::string> out;
    if (!j[key].is_object()) invalid(std::string("\"") + key + "\" must be an object of strings");
    for (const auto& [k, v] : j[key].items()) {
        if (k.empty() || !v.is_string()) invalid(std::string("\"") + key + "\" must be an object of strings");
        out[k] = v.get<std::string>();
    }
    return out;
}

bool bool_of(const json& j, const char* key) {
    if (!j[key].is_boolean()) invalid(std::string("\"") + key + "\" must be true or false");
    return j[key].get<bool>();
}

JobRequest job_from(const json& j) {
    JobRequest r;
    if (j.contains("image")) r.image = string_of(j, "image");
    if (j.contains("command")) r.command = strings_of(j, "command");
    if (j.contains("env")) r.env = map_of(j, "env");
    if (j.contains("secrets")) r.secrets = map_of(j, "secrets");
    if (j.contains("labels")) r.labels = map_of(j, "labels");
    if (j.contains("flavor")) r.flavor = string_of(j, "flavor");
    if (j.contains("timeout")) {
        if (!j["timeout"].is_number() || j["timeout"].get<double>() <= 0) invalid("\"timeout\" must be a number of seconds > 0");
        r.timeout_seconds = j["timeout"].get<double>();
    }
    if (j.contains("script")) r.script = string_of(j, "script");
    if (j.contains("args")) r.script_args = strings_of(j, "args");
    if (j.contains("dependencies")) r.dependencies = strings_of(j, "dependencies");
    if (j.contains("python")) r.python = string_of(j, "python");
    if (r.flavor.empty()) invalid("\"flavor\" is empty");
    if (!r.script.empty()) {
        // Only a URL: the mount must not read local files for whoever writes to it.
        if (!r.script.starts_with("https://") && !r.script.starts_with("http://")) invalid("\"script\" must be an http(s) URL");
        if (!r.command.empty()) invalid("give \"script\" or \"command\", not both");
        return r;
    }
    if (j.contains("args") || j.contains("dependencies") || j.contains("python"))
        invalid("\"args\", \"dependencies\" and \"python\" go with a \"script\"");
    if (r.image.empty()) invalid("\"image\" is needed (or a \"script\")");
    if (r.command.empty()) invalid("\"command\" is needed: [\"prog\", \"arg\", ...]");
    return r;
}

void check_keys(const json& j, bool scheduled) {
    static const std::set<std::string> job_keys = {"image",  "command", "env",  "secrets",      "labels",
                                                   "flavor", "timeout", "script", "args", "dependencies", "python"};
    for (const auto& [key, value] : j.items()) {
        bool known = job_keys.count(key) || (scheduled && (key == "schedule" || key == "suspend" || key == "concurrency"));
        if (!known) invalid("unknown key \"" + key + "\"");
    }
}

}  // namespace

JobRequest parse_job_request(std::string_view text) {
    json j = parse_object(text);
    check_keys(j, false);
    return job_from(j);
}

ScheduleRequest parse_schedule_request(std::string_view text) {
    json j = parse_object(text);
    check_keys(j, true);
    ScheduleRequest r;
    r.job = job_from(j);
    if (!j.contains("schedule")) invalid("\"schedule\" is needed (cron syntax, or @hourly, @daily...)");
    r.schedule = string_of(j, "schedule");
    if (r.schedule.empty()) invalid("\"schedule\" is empty");
    if (j.contains("suspend")) r.suspend = bool_of(j, "suspend");
    if (j.contains("concurrency")) r.concurrency = bool_of(j, "concurrency");
    return r;
}

}  // namespace hubfs::fs
