// Jobs (protocol §8): each job's command runs as a real local process (the image is ignored),
// its output kept as log lines that readers follow while it runs; scheduled jobs fire from a
// cron schedule. State lives in DATA/jobs/ and survives a restart (a job that was running when
// localhub stopped is ERROR afterwards). Secret values are kept only to start processes: no
// answer, log line or error carries them.
#pragma once

#include <sys/types.h>

#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "access.hpp"
#include "http_message.hpp"

namespace localhub {

struct JobOptions {
    int minute_seconds = 60;    // real seconds a cron minute lasts (tests shorten it)
    int default_timeout_s = 1800;
};

class JobService {
public:
    JobService(std::filesystem::path dir, const Access& access, JobOptions options);
    ~JobService();  // kills every running job's process group
    JobService(const JobService&) = delete;
    JobService& operator=(const JobService&) = delete;

    // /api/jobs/... and /api/scheduled-jobs/...; throws HubError.
    void handle(HttpRequest& req, HttpResponse& res, const std::vector<std::string>& seg);
    // Ends every open log stream (before the HTTP server waits for its connections).
    void stop_streams();

private:
    struct Job {
        nlohmann::json info;                         // the job object as answered
        std::map<std::string, std::string> secrets;  // name -> value, never answered
        std::vector<nlohmann::json> logs;            // {"data", "timestamp"}
        pid_t pgid = -1;
        bool canceled = false;
        bool finished = false;
    };
    struct Schedule {
        nlohmann::json info;
        std::map<std::string, std::string> secrets;
    };

    // hub_jobs.cpp: HTTP
    std::string authorize(const HttpRequest& req, const std::string& ns) const;
    void stream_logs(HttpRequest& req, HttpResponse& res, const std::string& ns, const std::string& id);

    // job_service.cpp
    nlohmann::json run_locked(const std::string& ns, const std::string& user, const nlohmann::json& spec,
                              const std::map<std::string, std::string>& secrets, const std::string& scheduled_id);
    void supervise(std::string id, pid_t pid, int fd, int64_t timeout_s);
    void append_log_locked(Job& job, std::string line);
    void finish_locked(Job& job, const std::string& stage, const nlohmann::json& message, int exit_code);
    nlohmann::json schedule_view_locked(const Schedule& s) const;
    int64_t next_run_locked(const Schedule& s) const;
    void scheduler_loop();
    void save_locked() const;
    void load();

    std::filesystem::path dir_;
    const Access& access_;
    JobOptions options_;
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::map<std::string, Job> jobs_;
    std::map<std::string, Schedule> schedules_;
    std::vector<std::thread> workers_;
    std::thread scheduler_;
    bool stopping_ = false;
    bool streams_stopped_ = false;
};

// 24 hex digits, like the Hub's object ids.
std::string new_job_id();

// Checks a job spec (run or the jobSpec of a schedule): 400 with a message for what is wrong.
void validate_job_spec(const nlohmann::json& spec);

}  // namespace localhub
