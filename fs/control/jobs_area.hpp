// /jobs/<namespace>/: a namespace's Jobs as files.
//   run                  write a JSON spec (job_spec.hpp): starts a job; reading says how, and the
//                        id of the last job this mount started there
//   index                one line per job: id, stage, created, command
//   <id>/status.json     the job, live (stage, message, exit code, command, secret names...)
//   <id>/logs            its log lines; grows while the job runs (tail -f follows it)
//   <id>/cancel          write (anything): cancels the job
//   scheduled/new        write a JSON spec with a "schedule": creates a scheduled job; reading
//                        says how, and the id of the last one this mount created
//   scheduled/index      one line per scheduled job: id, schedule, active | suspended, last job
//   scheduled/<id>/      spec.json (read), suspend, resume (write anything); rmdir deletes it
// /jobs/ lists the token's user and its organisations; any other namespace is found by name.
// Reads are live (rendered at every open); a write is the action, its errno the outcome.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "fs/control/control_entry.hpp"
#include "fs/control/job_logs.hpp"
#include "fs/control/jobs_remote.hpp"

namespace hubfs::fs {

class JobsArea {
public:
    JobsArea(JobsRemote& remote, std::vector<std::string> own_namespaces, JobLogsOptions logs = {})
        : remote_(remote), own_(std::move(own_namespaces)), logs_(remote, logs) {}

    ControlFolder root();  // the area's folder: one per namespace
    void stop() { logs_.stop(); }  // at unmount: ends the log streams

    // Renderings, apart for tests.
    static std::string status_json(const JobState& job);
    static std::string index_text(const std::vector<JobState>& jobs);
    static std::string scheduled_json(const ScheduledState& s);
    static std::string scheduled_index_text(const std::vector<ScheduledState>& list);

private:
    ControlFolder namespace_folder(const std::string& ns);
    ControlFolder job_folder(const std::string& ns, const std::string& id);
    ControlFolder scheduled_folder(const std::string& ns);
    ControlFolder schedule_folder(const std::string& ns, const std::string& id);
    // A file that creates something per write (`create` returns its id) and shows `how`, then
    // "<said>: <id>" of the last one this mount created.
    ControlFile creating_file(const std::string& how, const std::string& key, const std::string& said,
                              std::function<std::string(std::string_view)> create);
    ControlFile run_file(const std::string& ns);
    ControlFile new_schedule_file(const std::string& ns);
    ControlFile logs_file(const std::string& ns, const std::string& id);
    std::string last(const std::string& key);

    JobsRemote& remote_;
    std::vector<std::string> own_;
    JobLogs logs_;
    std::mutex mutex_;
    std::map<std::string, std::string> last_;  // "run:ns" / "scheduled:ns" -> the last id this mount made
};

}  // namespace hubfs::fs
