// What the jobs area needs from the Hub: a namespace's jobs and scheduled jobs, their logs, and
// the actions on them. The implementation over api/ is hub/hub_jobs.*; this side sees only these
// calls and RemoteError kinds (remote.hpp). Secrets travel in a request and never come back:
// a job or a schedule read from the Hub names its secrets, without their values.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "fs/remote.hpp"

namespace hubfs::fs {

// What to run: a command in an image, or (script set) a Python script run with `uv run`.
struct JobRequest {
    std::string image;  // a Docker image, or hf.co/spaces/NS/NAME; "" with a script: uv's default
    std::vector<std::string> command;
    std::map<std::string, std::string> env;
    std::map<std::string, std::string> secrets;  // values: sent once, never shown
    std::map<std::string, std::string> labels;
    std::string flavor = "cpu-basic";
    std::optional<double> timeout_seconds;
    std::string script;  // uv: the script's URL
    std::vector<std::string> script_args, dependencies;
    std::optional<std::string> python;
};

struct ScheduleRequest {
    JobRequest job;
    std::string schedule;  // cron syntax, or @hourly, @daily, ...
    bool suspend = false;
    bool concurrency = false;
};

struct JobState {
    std::string id, stage, message;  // stage: SCHEDULING RUNNING UPDATING COMPLETED CANCELED ERROR DELETED
    std::optional<int> exit_code;
    std::string created_at, started_at, finished_at;
    std::string image;  // docker image, or the Space it runs
    std::vector<std::string> command;
    std::string flavor;
    std::map<std::string, std::string> env, labels;
    std::vector<std::string> secret_names;
    std::optional<double> timeout_seconds;
    std::string owner, url;
    // Whether the job has ended: its logs are whole.
    bool finished() const { return stage != "SCHEDULING" && stage != "RUNNING" && stage != "UPDATING"; }
};

struct ScheduledState {
    std::string id, schedule, created_at;
    bool suspend = false, concurrency = false;
    std::string job_spec_json;  // as the Hub keeps it (secrets as names)
    std::string last_job_id, last_job_at, next_run_at;
    std::string owner;
};

class JobsRemote {
public:
    virtual ~JobsRemote() = default;
    virtual std::vector<JobState> list(const std::string& ns) = 0;
    virtual JobState inspect(const std::string& ns, const std::string& id) = 0;  // not_found: no such job
    virtual std::string run(const std::string& ns, const JobRequest& job) = 0;   // the new job's id
    virtual void cancel(const std::string& ns, const std::string& id) = 0;
    // Calls on_line for each log line from the first; returns when the job's log ends (at once
    // for a finished job, when it ends for a running one) or throws when the stream breaks.
    virtual void follow_logs(const std::string& ns, const std::string& id,
                             const std::function<void(const std::string&)>& on_line) = 0;
    // At unmount: ends every follow_logs now (they throw) and refuses new ones.
    virtual void stop_streams() = 0;

    virtual std::vector<ScheduledState> list_scheduled(const std::string& ns) = 0;
    virtual ScheduledState inspect_scheduled(const std::string& ns, const std::string& id) = 0;
    virtual std::string schedule(const std::string& ns, const ScheduleRequest& request) = 0;  // its id
    virtual void suspend(const std::string& ns, const std::string& id) = 0;
    virtual void resume(const std::string& ns, const std::string& id) = 0;
    virtual void remove_scheduled(const std::string& ns, const std::string& id) = 0;
};

}  // namespace hubfs::fs
