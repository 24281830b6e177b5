#include "job_service.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <set>

#include "api_support.hpp"
#include "cron_schedule.hpp"
#include "job_process.hpp"
#include "time_format.hpp"

namespace localhub {
namespace {

using json = nlohmann::json;

int64_t now_s() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

// Creation time, then random bits.
std::string new_job_id() {
    static std::mutex m;
    static std::mt19937_64 rng{std::random_device{}()};
    std::lock_guard lock(m);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%08llx%016llx", static_cast<unsigned long long>(now_s() & 0xffffffff),
                  static_cast<unsigned long long>(rng()));
    return std::string(buf, 24);
}

namespace {

bool is_string_map(const json& j) {
    if (!j.is_object()) return false;
    for (const auto& [k, v] : j.items())
        if (k.empty() || !v.is_string()) return false;
    return true;
}

// Replaces every secret value in a log line: a job that prints its secret does not leak it.
std::string redact(std::string line, const std::map<std::string, std::string>& secrets) {
    for (const auto& [name, value] : secrets) {
        if (value.empty()) continue;
        for (size_t pos; (pos = line.find(value)) != std::string::npos;) line.replace(pos, value.size(), "***");
    }
    return line;
}

void write_file_atomic(const std::filesystem::path& path, const std::string& text) {
    auto tmp = path;
    tmp += ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out << text;
        if (!out) throw std::runtime_error("cannot write " + tmp.string());
    }
    std::filesystem::permissions(tmp, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    std::filesystem::rename(tmp, path);
}

}  // namespace

void validate_job_spec(const json& spec) {
    if (!spec.is_object()) throw HubError(400, "The job spec must be a JSON object");
    bool image = spec.contains("dockerImage"), space = spec.contains("spaceId");
    if (image == space) throw HubError(400, "Exactly one of dockerImage or spaceId is required");
    if (!spec[image ? "dockerImage" : "spaceId"].is_string() || spec[image ? "dockerImage" : "spaceId"].get<std::string>().empty())
        throw HubError(400, std::string(image ? "dockerImage" : "spaceId") + " must be a non-empty string");
    for (const char* key : {"command", "arguments"}) {
        if (!spec.contains(key)) continue;
        if (!spec[key].is_array()) throw HubError(400, std::string(key) + " must be an array of strings");
        for (const auto& a : spec[key])
            if (!a.is_string()) throw HubError(400, std::string(key) + " must be an array of strings");
    }
    if (!spec.contains("command") || spec["command"].empty()) throw HubError(400, "command must not be empty");
    for (const char* key : {"environment", "secrets", "labels"})
        if (spec.contains(key) && !spec[key].is_null() && !is_string_map(spec[key]))
            throw HubError(400, std::string(key) + " must be an object of strings");
    if (spec.contains("flavor")) {
        static const std::set<std::string> kFlavors = {
            "cpu-basic", "cpu-upgrade", "cpu-performance", "cpu-xl", "t4-small", "t4-medium", "l4x1", "l4x4",
            "l40sx1", "l40sx4", "l40sx8", "a10g-small", "a10g-large", "a10g-largex2", "a10g-largex4", "a100-large",
            "a100x4", "a100x8", "h100", "h100x8"};
        if (!spec["flavor"].is_string() || !kFlavors.count(spec["flavor"].get<std::string>()))
            throw HubError(400, "Unknown flavor: " + (spec["flavor"].is_string() ? spec["flavor"].get<std::string>()
                                                                                   : spec["flavor"].dump()));
    }
    if (spec.contains("timeoutSeconds") && !spec["timeoutSeconds"].is_null() &&
        (!spec["timeoutSeconds"].is_number() || spec["timeoutSeconds"].get<double>() <= 0))
        throw HubError(400, "timeoutSeconds must be a positive number");
}

JobService::JobService(std::filesystem::path dir, const Access& access, JobOptions options)
    : dir_(std::move(dir)), access_(access), options_(options) {
    std::filesystem::create_directories(dir_ / "logs");
    load();
    std::fprintf(stderr, "localhub: jobs run %s\n",
                 jobs_isolated_from_network() ? "without network (own network namespace)" : "WITH network (no namespace allowed)");
    scheduler_ = std::thread([this] { scheduler_loop(); });
}

JobService::~JobService() {
    std::vector<std::thread> workers;
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
        streams_stopped_ = true;
        for (auto& [id, job] : jobs_)
            if (!job.finished && job.pgid > 0) ::kill(-job.pgid, SIGKILL);
        workers.swap(workers_);
    }
    changed_.notify_all();
    if (scheduler_.joinable()) scheduler_.join();
    for (auto& t : workers) t.join();
}

void JobService::stop_streams() {
    {
        std::lock_guard lock(mutex_);
        streams_stopped_ = true;
    }
    changed_.notify_all();
}

json JobService::run_locked(const std::string& ns, const std::string& user, const json& spec,
                            const std::map<std::string, std::string>& secrets, const std::string& scheduled_id) {
    std::string id = new_job_id();
    std::string now = iso_now();
    json info = {{"id", id},
                 {"createdAt", now},
                 {"startedAt", nullptr},
                 {"finishedAt", nullptr},
                 {"command", spec.value("command", json::array())},
                 {"arguments", spec.value("arguments", json::array())},
                 {"environment", spec.contains("environment") && !spec["environment"].is_null() ? spec["environment"] : json::object()},
                 {"secrets", json::array()},
                 {"flavor", spec.value("flavor", std::string("cpu-basic"))},
                 {"labels", spec.contains("labels") && !spec["labels"].is_null() ? spec["labels"] : json::object()},
                 {"volumes", json::array()},
                 {"timeoutSeconds", spec.contains("timeoutSeconds") ? spec["timeoutSeconds"] : json(nullptr)},
                 {"status", {{"stage", "RUNNING"}, {"message", nullptr}}},
                 {"owner", {{"id", ns}, {"name", ns}, {"type", ns == user ? "user" : "org"}}},
                 {"initiator", scheduled_id.empty() ? json{{"type", "user"}, {"id", user}, {"name", user}}
                                                    : json{{"type", "scheduled-job"}, {"id", scheduled_id}}}};
    if (spec.contains("dockerImage")) info["dockerImage"] = spec["dockerImage"];
    else info["spaceId"] = spec["spaceId"];
    for (const auto& [name, value] : secrets) info["secrets"].push_back(name);

    Job& job = jobs_[id];
    job.info = std::move(info);
    job.secrets = secrets;
    append_log_locked(job, "===== Job started at " + now + " =====");

    std::vector<std::string> argv;
    for (const auto& a : job.info["command"]) argv.push_back(a.get<std::string>());
    for (const auto& a : job.info["arguments"]) argv.push_back(a.get<std::string>());
    std::map<std::string, std::string> env;
    const char* path = std::getenv("PATH");
    env["PATH"] = path ? path : "/usr/local/bin:/usr/bin:/bin";
    env["HOME"] = "/tmp";
    env["JOB_ID"] = id;
    for (const auto& [k, v] : job.info["environment"].items()) env[k] = v.get<std::string>();
    for (const auto& [k, v] : secrets) env[k] = v;
    int64_t timeout = job.info["timeoutSeconds"].is_number() ? static_cast<int64_t>(job.info["timeoutSeconds"].get<double>())
                                                              : options_.default_timeout_s;
    try {
        JobProcess p = start_job_process(argv, env, "/tmp");
        job.pgid = p.pid;
        job.info["startedAt"] = iso_now();
        int fd = p.output.release();
        workers_.emplace_back([this, id, pid = p.pid, fd, timeout] { supervise(id, pid, fd, timeout); });
    } catch (const std::exception& e) {
        std::string msg = redact(e.what(), secrets);
        append_log_locked(job, msg);
        job.info["startedAt"] = iso_now();
        finish_locked(job, "ERROR", msg, 127);
    }
    save_locked();
    return job.info;
}

void JobService::append_log_locked(Job& job, std::string line) {
    json entry = {{"data", redact(std::move(line), job.secrets)}, {"timestamp", iso_now()}};
    std::ofstream out(dir_ / "logs" / (job.info["id"].get<std::string>() + ".jsonl"), std::ios::app);
    out << entry.dump(-1, ' ', false, json::error_handler_t::replace) << "\n";
    job.logs.push_back(std::move(entry));
    changed_.notify_all();
}

void JobService::finish_locked(Job& job, const std::string& stage, const json& message, int exit_code) {
    job.finished = true;
    job.pgid = -1;
    job.info["finishedAt"] = iso_now();
    job.info["status"] = {{"stage", stage}, {"message", message}};
    if (exit_code >= 0) job.info["status"]["exitCode"] = exit_code;  // localhub extension
    changed_.notify_all();
}

// One thread per running job: collects its output line by line, enforces the timeout, and
// records how it ended.
void JobService::supervise(std::string id, pid_t pid, int fd, int64_t timeout_s) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
    std::string pending;
    bool timed_out = false, reaped = false;
    int status = 0;
    auto flush_lines = [&](bool all) {
        std::lock_guard lock(mutex_);
        Job& job = jobs_.at(id);
        for (size_t nl; (nl = pending.find('\n')) != std::string::npos;) {
            std::string line = pending.substr(0, nl);
            if (!line.empty() && line.back() == '\r') line.pop_back();
            append_log_locked(job, std::move(line));
            pending.erase(0, nl + 1);
        }
        if (all && !pending.empty()) {
            append_log_locked(job, std::move(pending));
            pending.clear();
        }
    };
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
        if (left <= 0 && !timed_out) {
            timed_out = true;
            ::kill(-pid, SIGKILL);
        }
        pollfd p{fd, POLLIN, 0};
        int r = ::poll(&p, 1, static_cast<int>(std::clamp<int64_t>(left, 0, 200)));
        if (r > 0) {
            char buf[8192];
            ssize_t n = ::read(fd, buf, sizeof buf);
            if (n > 0) {
                pending.append(buf, static_cast<size_t>(n));
                flush_lines(false);
                continue;
            }
            if (n == 0 || (errno != EINTR && errno != EAGAIN)) break;  // every writer is gone
        }
        // The main process ended but something it started still holds the pipe: end the group.
        if (!reaped && ::waitpid(pid, &status, WNOHANG) == pid) {
            reaped = true;
            ::kill(-pid, SIGKILL);
        }
    }
    ::close(fd);
    ::kill(-pid, SIGKILL);  // nothing of the job outlives it
    if (!reaped)
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
    flush_lines(true);
    std::lock_guard lock(mutex_);
    Job& job = jobs_.at(id);
    if (job.canceled) finish_locked(job, "CANCELED", nullptr, -1);
    else if (timed_out) finish_locked(job, "ERROR", "Job timed out after " + std::to_string(timeout_s) + " seconds", -1);
    else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) finish_locked(job, "COMPLETED", nullptr, 0);
    else if (WIFEXITED(status))
        finish_locked(job, "ERROR", "Job failed with exit code " + std::to_string(WEXITSTATUS(status)), WEXITSTATUS(status));
    else finish_locked(job, "ERROR", "Job killed by signal " + std::to_string(WTERMSIG(status)), 128 + WTERMSIG(status));
    try {
        save_locked();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "localhub: jobs: %s\n", e.what());
    }
}

int64_t JobService::next_run_locked(const Schedule& s) const {
    auto cron = CronSchedule::parse(s.info["schedule"].get<std::string>());
    if (!cron || s.info.value("suspend", false)) return -1;
    int64_t m = options_.minute_seconds;
    int64_t minute = now_s() / m + 1;
    for (int64_t i = 0; i < 366LL * 24 * 60; ++i, ++minute) {
        time_t virtual_time = static_cast<time_t>(minute * 60);
        std::tm t{};
        gmtime_r(&virtual_time, &t);
        if (cron->matches(t)) return minute * m;
    }
    return -1;
}

json JobService::schedule_view_locked(const Schedule& s) const {
    json v = s.info;
    int64_t next = next_run_locked(s);
    v["status"]["nextJobRunAt"] = next < 0 ? json(nullptr) : json(iso_from_seconds(next));
    return v;
}

// Fires schedules: a cron "minute" lasts options_.minute_seconds real seconds, so tests can
// watch `* * * * *` fire several times without waiting minutes.
void JobService::scheduler_loop() {
    int64_t last_minute = now_s() / options_.minute_seconds;
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        changed_.wait_for(lock, std::chrono::milliseconds(250));
        if (stopping_) break;
        int64_t minute = now_s() / options_.minute_seconds;
        if (minute == last_minute) continue;
        last_minute = minute;
        time_t virtual_time = static_cast<time_t>(minute * 60);
        std::tm t{};
        gmtime_r(&virtual_time, &t);
        for (auto& [sid, s] : schedules_) {
            if (s.info.value("suspend", false)) continue;
            auto cron = CronSchedule::parse(s.info["schedule"].get<std::string>());
            if (!cron || !cron->matches(t)) continue;
            // Without concurrency a run is skipped while the previous one still runs.
            const json& last = s.info["status"]["lastJob"];
            if (!s.info.value("concurrency", false) && last.is_object()) {
                auto it = jobs_.find(last["id"].get<std::string>());
                if (it != jobs_.end() && !it->second.finished) continue;
            }
            std::string ns = s.info["owner"]["name"].get<std::string>();
            json job = run_locked(ns, ns, s.info["jobSpec"], s.secrets, sid);
            s.info["status"]["lastJob"] = {{"id", job["id"]}, {"at", job["createdAt"]}};
        }
        try {
            save_locked();
        } catch (const std::exception& e) {
            std::fprintf(stderr, "localhub: jobs: %s\n", e.what());
        }
    }
}

void JobService::save_locked() const {
    json state = {{"jobs", json::array()}, {"scheduled", json::array()}};
    json secrets = {{"jobs", json::object()}, {"scheduled", json::object()}};
    for (const auto& [id, job] : jobs_) {
        state["jobs"].push_back(job.info);
        if (!job.secrets.empty()) secrets["jobs"][id] = job.secrets;
    }
    for (const auto& [id, s] : schedules_) {
        state["scheduled"].push_back(s.info);
        if (!s.secrets.empty()) secrets["scheduled"][id] = s.secrets;
    }
    write_file_atomic(dir_ / "jobs.json", state.dump(1));
    write_file_atomic(dir_ / "secrets.json", secrets.dump());  // owner-only: values to start runs
}

void JobService::load() {
    std::ifstream in(dir_ / "jobs.json");
    if (!in) return;
    json state = json::parse(in, nullptr, false);
    std::ifstream sin(dir_ / "secrets.json");
    json secrets = sin ? json::parse(sin, nullptr, false) : json::object();
    if (!state.is_object()) return;
    auto secrets_of = [&](const char* kind, const std::string& id) {
        std::map<std::string, std::string> out;
        if (secrets.is_object() && secrets.contains(kind) && secrets[kind].contains(id))
            out = secrets[kind][id].get<std::map<std::string, std::string>>();
        return out;
    };
    for (const auto& info : state.value("jobs", json::array())) {
        std::string id = info["id"].get<std::string>();
        Job& job = jobs_[id];
        job.info = info;
        job.secrets = secrets_of("jobs", id);
        job.finished = true;
        std::ifstream logs(dir_ / "logs" / (id + ".jsonl"));
        for (std::string line; std::getline(logs, line);) {
            json entry = json::parse(line, nullptr, false);
            if (entry.is_object()) job.logs.push_back(std::move(entry));
        }
        std::string stage = info["status"].value("stage", "");
        if (stage == "RUNNING" || stage == "SCHEDULING")
            finish_locked(job, "ERROR", "localhub stopped while the job was running", -1);
    }
    for (const auto& info : state.value("scheduled", json::array())) {
        std::string id = info["id"].get<std::string>();
        schedules_[id] = Schedule{info, secrets_of("scheduled", id)};
    }
}

}  // namespace localhub
