// The Jobs HTTP API (protocol §8): /api/jobs/{ns}[/{id}[/cancel|/logs]] and
// /api/scheduled-jobs/{ns}[/{id}[/suspend|/resume|/run]].
#include <signal.h>

#include <algorithm>
#include <chrono>

#include "api_support.hpp"
#include "cron_schedule.hpp"
#include "job_service.hpp"
#include "time_format.hpp"

namespace localhub {
namespace {

using json = nlohmann::json;

// A spec's secrets are values; the rest of the spec never holds them.
std::map<std::string, std::string> take_secrets(json& spec) {
    std::map<std::string, std::string> out;
    if (spec.contains("secrets") && spec["secrets"].is_object())
        for (const auto& [k, v] : spec["secrets"].items()) out[k] = v.get<std::string>();
    spec.erase("secrets");
    return out;
}

std::string sse_event(const json& entry) {
    return "data: " + entry.dump(-1, ' ', false, json::error_handler_t::replace) + "\n\n";
}

[[noreturn]] void job_not_found(const std::string& what) { throw HubError(404, what + " not found"); }

}  // namespace

// Server-Sent Events, one per log line, while the job runs; the stream ends once the job has
// ended and every line was sent. ?tail=N starts with the last N lines.
void JobService::stream_logs(HttpRequest& req, HttpResponse& res, const std::string& ns, const std::string& id) {
    size_t start = 0;
    {
        std::lock_guard lock(mutex_);
        auto it = jobs_.find(id);
        if (it == jobs_.end() || it->second.info["owner"]["name"] != ns) job_not_found("Job " + id);
        if (req.has_param("tail")) {
            size_t tail = 0;
            try {
                tail = std::stoul(req.param("tail"));
            } catch (const std::exception&) {
                throw HubError(400, "tail must be a number");
            }
            start = it->second.logs.size() > tail ? it->second.logs.size() - tail : 0;
        }
    }
    res.set_header("Content-Type", "text/event-stream");
    res.set_header("Cache-Control", "no-cache");
    StreamBody body;
    body.until_close = true;
    body.produce = [this, id, start](const std::function<bool(const char*, size_t)>& sink) {
        size_t sent = start;
        std::unique_lock lock(mutex_);
        for (;;) {
            Job& job = jobs_.at(id);
            while (sent < job.logs.size()) {
                std::string event = sse_event(job.logs[sent++]);
                lock.unlock();
                if (!sink(event.data(), event.size())) return false;
                lock.lock();
            }
            if (job.finished || streams_stopped_) return true;
            if (!changed_.wait_for(lock, std::chrono::seconds(10), [&] {
                    return streams_stopped_ || jobs_.at(id).finished || jobs_.at(id).logs.size() > sent;
                })) {
                lock.unlock();
                static const std::string kKeepAlive = ": keep-alive\n\n";
                if (!sink(kKeepAlive.data(), kKeepAlive.size())) return false;
                lock.lock();
            }
        }
    };
    res.stream = std::move(body);
}

std::string JobService::authorize(const HttpRequest& req, const std::string& ns) const {
    Caller caller = access_.identify(req);
    if (caller.bad_token) throw HubError(401, "Invalid credentials in Authorization header");
    if (!caller.user) throw HubError(401, "You must be authenticated to use jobs");
    if (!access_.is_member(caller, ns)) throw HubError(403, "You are not a member of " + ns);
    if (!caller.user->can_write) throw HubError(403, "Jobs need a token with write access");
    return caller.user->name;
}

void JobService::handle(HttpRequest& req, HttpResponse& res, const std::vector<std::string>& seg) {
    // seg: api, jobs|scheduled-jobs, ns[, id[, action]]
    if (seg.size() < 3 || seg.size() > 5) throw HubError(404, "Sorry, we can't find the page you are looking for.");
    const std::string& m = req.method;
    const std::string& ns = seg[2];
    std::string user = authorize(req, ns);
    std::string id = seg.size() > 3 ? seg[3] : "";
    std::string action = seg.size() > 4 ? seg[4] : "";

    if (seg[1] == "jobs") {
        if (id.empty() && m == "POST") {
            json spec = read_json_body(req, kMaxJsonBody);
            if (spec.is_object() && spec.contains("secrets") && !spec["secrets"].is_null() && !spec["secrets"].is_object())
                throw HubError(400, "secrets must be an object of strings");
            validate_job_spec(spec);
            auto secrets = take_secrets(spec);
            std::lock_guard lock(mutex_);
            return send_json(res, run_locked(ns, user, spec, secrets, ""));
        }
        if (id.empty() && m == "GET") {
            auto stages = req.params_named("stage");
            auto labels = req.params_named("label");
            std::lock_guard lock(mutex_);
            json out = json::array();
            for (const auto& [jid, job] : jobs_) {
                if (job.info["owner"]["name"] != ns) continue;
                std::string stage = job.info["status"]["stage"];
                if (!stages.empty() && std::find(stages.begin(), stages.end(), stage) == stages.end()) continue;
                bool ok = true;
                for (const auto& l : labels) {
                    auto eq = l.find('=');
                    std::string k = l.substr(0, eq), v = eq == std::string::npos ? "" : l.substr(eq + 1);
                    const json& have = job.info["labels"];
                    if (!have.contains(k) || (eq != std::string::npos && have[k] != v)) ok = false;
                }
                if (ok) out.push_back(job.info);
            }
            return send_json(res, out);
        }
        if (id.empty()) throw HubError(405, "Method not allowed");
        if (action == "logs" && m == "GET") return stream_logs(req, res, ns, id);
        std::lock_guard lock(mutex_);
        auto it = jobs_.find(id);
        if (it == jobs_.end() || it->second.info["owner"]["name"] != ns) job_not_found("Job " + id);
        Job& job = it->second;
        if (action.empty() && m == "GET") return send_json(res, job.info);
        if (action == "cancel" && m == "POST") {
            if (job.finished)
                throw HubError(400, "Job " + id + " is not running (stage " + job.info["status"]["stage"].get<std::string>() + ")");
            job.canceled = true;
            if (job.pgid > 0) ::kill(-job.pgid, SIGKILL);  // the supervisor records CANCELED
            return send_json(res, json::object());
        }
        throw HubError(404, "Sorry, we can't find the page you are looking for.");
    }

    // scheduled-jobs
    if (id.empty() && m == "POST") {
        json body = read_json_body(req, kMaxJsonBody);
        if (!body.is_object() || !body.contains("jobSpec")) throw HubError(400, "jobSpec is required");
        if (!body.contains("schedule") || !body["schedule"].is_string() ||
            !CronSchedule::parse(body["schedule"].get<std::string>()))
            throw HubError(400, "schedule must be a cron expression or one of @hourly, @daily, @weekly, @monthly, @yearly");
        json spec = body["jobSpec"];
        if (spec.is_object() && spec.contains("secrets") && !spec["secrets"].is_null() && !spec["secrets"].is_object())
            throw HubError(400, "secrets must be an object of strings");
        validate_job_spec(spec);
        for (const char* key : {"suspend", "concurrency"})
            if (body.contains(key) && !body[key].is_boolean()) throw HubError(400, std::string(key) + " must be a boolean");
        Schedule s;
        s.secrets = take_secrets(spec);
        json spec_view = spec;
        spec_view["secrets"] = json::array();
        for (const auto& [k, v] : s.secrets) spec_view["secrets"].push_back(k);
        std::lock_guard lock(mutex_);
        std::string sid = new_job_id();
        s.info = {{"id", sid},
                  {"createdAt", iso_now()},
                  {"schedule", body["schedule"]},
                  {"suspend", body.value("suspend", false)},
                  {"concurrency", body.value("concurrency", false)},
                  {"jobSpec", spec_view},
                  {"status", {{"lastJob", nullptr}, {"nextJobRunAt", nullptr}}},
                  {"owner", {{"id", ns}, {"name", ns}, {"type", ns == user ? "user" : "org"}}}};
        Schedule& stored = schedules_[sid] = std::move(s);
        save_locked();
        return send_json(res, schedule_view_locked(stored));
    }
    if (id.empty() && m == "GET") {
        std::lock_guard lock(mutex_);
        json out = json::array();
        for (const auto& [sid, s] : schedules_)
            if (s.info["owner"]["name"] == ns) out.push_back(schedule_view_locked(s));
        return send_json(res, out);
    }
    if (id.empty()) throw HubError(405, "Method not allowed");
    std::lock_guard lock(mutex_);
    auto it = schedules_.find(id);
    if (it == schedules_.end() || it->second.info["owner"]["name"] != ns) job_not_found("Scheduled job " + id);
    Schedule& s = it->second;
    if (action.empty() && m == "GET") return send_json(res, schedule_view_locked(s));
    if (action.empty() && m == "DELETE") {
        schedules_.erase(it);
        save_locked();
        return send_json(res, json::object());
    }
    if ((action == "suspend" || action == "resume") && m == "POST") {
        s.info["suspend"] = action == "suspend";
        save_locked();
        return send_json(res, json::object());
    }
    if (action == "run" && m == "POST") {
        json job = run_locked(ns, user, s.info["jobSpec"], s.secrets, id);
        s.info["status"]["lastJob"] = {{"id", job["id"]}, {"at", job["createdAt"]}};
        save_locked();
        return send_json(res, job);
    }
    throw HubError(404, "Sorry, we can't find the page you are looking for.");
}

}  // namespace localhub
