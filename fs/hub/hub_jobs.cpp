#include "fs/hub/hub_jobs.hpp"

#include <algorithm>

#include "api/errors.hpp"
#include "fs/hub/remote_call.hpp"

namespace hubfs::fs {
namespace {

// remote_call (never on a FUSE thread; failures as RemoteError), where the Hub's bare 404 for a
// job or schedule it does not know is not found.
template <typename F>
auto jobs_call(F&& call) -> decltype(call()) {
    return remote_call([&]() -> decltype(call()) {
        try {
            return call();
        } catch (const api::HubError& e) {
            if (e.status() == 404) throw RemoteError(RemoteError::Kind::not_found, e.what());
            throw;
        }
    });
}

// A log stream is quiet between lines (the Hub sends a keep-alive every few seconds): it is
// not slow; it ends when the job ends or the mount stops it.
api::HubConfig stream_config(api::HubConfig config) {
    config.retry.max_retries = 0;
    config.timeouts.low_speed_bytes = 1;
    config.timeouts.low_speed_time = std::max(config.timeouts.low_speed_time, std::chrono::seconds(60));
    return config;
}

JobState state_of(const api::JobInfo& j) {
    JobState s;
    s.id = j.id;
    s.stage = j.status.stage;
    s.message = j.status.message.value_or("");
    s.exit_code = j.status.exit_code;
    s.created_at = j.created_at;
    s.started_at = j.started_at.value_or("");
    s.finished_at = j.finished_at.value_or("");
    s.image = j.space_id ? "hf.co/spaces/" + *j.space_id : j.docker_image.value_or("");
    s.command = j.command;
    s.command.insert(s.command.end(), j.arguments.begin(), j.arguments.end());
    s.flavor = j.flavor;
    s.env = j.environment;
    s.labels = j.labels;
    s.secret_names = j.secrets;
    s.timeout_seconds = j.timeout_seconds;
    s.owner = j.owner.name;
    s.url = j.url;
    return s;
}

ScheduledState scheduled_of(const api::ScheduledJobInfo& j) {
    ScheduledState s;
    s.id = j.id;
    s.schedule = j.schedule;
    s.created_at = j.created_at;
    s.suspend = j.suspend;
    s.concurrency = j.concurrency;
    nlohmann::json spec = j.job_spec;
    if (spec.is_object() && spec.contains("secrets") && spec["secrets"].is_object()) {
        // Names only, whatever an answer carries.
        nlohmann::json names = nlohmann::json::array();
        for (const auto& [k, v] : spec["secrets"].items()) names.push_back(k);
        spec["secrets"] = names;
    }
    s.job_spec_json = spec.dump();
    s.last_job_id = j.last_job_id.value_or("");
    s.last_job_at = j.last_job_at.value_or("");
    s.next_run_at = j.next_job_run_at.value_or("");
    s.owner = j.owner.name;
    return s;
}

api::JobSpec spec_of(const JobRequest& r) {
    if (!r.script.empty()) {
        api::UvJobSpec uv;
        uv.script = r.script;  // a URL (job_spec.cpp): never a local file
        uv.script_args = r.script_args;
        uv.dependencies = r.dependencies;
        uv.python = r.python;
        if (!r.image.empty()) uv.image = r.image;
        uv.env = r.env;
        uv.secrets = r.secrets;
        uv.flavor = r.flavor;
        uv.timeout_seconds = r.timeout_seconds;
        uv.labels = r.labels;
        return api::uv_job_spec(uv);
    }
    api::JobSpec spec;
    spec.image = r.image;
    spec.command = r.command;
    spec.env = r.env;
    spec.secrets = r.secrets;
    spec.flavor = r.flavor;
    spec.timeout_seconds = r.timeout_seconds;
    spec.labels = r.labels;
    return spec;
}

}  // namespace

HubJobs::HubJobs(const api::HubConfig& config) : api_(config), streams_(stream_config(config)) {}

std::vector<JobState> HubJobs::list(const std::string& ns) {
    return jobs_call([&] {
        std::vector<JobState> out;
        for (const auto& j : api_.list_jobs({}, ns)) out.push_back(state_of(j));
        return out;
    });
}

JobState HubJobs::inspect(const std::string& ns, const std::string& id) {
    return jobs_call([&] { return state_of(api_.inspect_job(id, ns)); });
}

std::string HubJobs::run(const std::string& ns, const JobRequest& job) {
    return jobs_call([&] { return api_.run_job(spec_of(job), ns).id; });
}

void HubJobs::cancel(const std::string& ns, const std::string& id) {
    jobs_call([&] { api_.cancel_job(id, ns); });
}

void HubJobs::follow_logs(const std::string& ns, const std::string& id,
                          const std::function<void(const std::string&)>& on_line) {
    jobs_call([&] { streams_.fetch_job_logs(id, [&](const api::JobLogLine& l) { on_line(l.data); }, ns); });
}

std::vector<ScheduledState> HubJobs::list_scheduled(const std::string& ns) {
    return jobs_call([&] {
        std::vector<ScheduledState> out;
        for (const auto& s : api_.list_scheduled_jobs(ns)) out.push_back(scheduled_of(s));
        return out;
    });
}

ScheduledState HubJobs::inspect_scheduled(const std::string& ns, const std::string& id) {
    return jobs_call([&] { return scheduled_of(api_.inspect_scheduled_job(id, ns)); });
}

std::string HubJobs::schedule(const std::string& ns, const ScheduleRequest& r) {
    return jobs_call(
        [&] { return api_.create_scheduled_job(spec_of(r.job), r.schedule, r.suspend, r.concurrency, ns).id; });
}

void HubJobs::suspend(const std::string& ns, const std::string& id) {
    jobs_call([&] { api_.suspend_scheduled_job(id, ns); });
}

void HubJobs::resume(const std::string& ns, const std::string& id) {
    jobs_call([&] { api_.resume_scheduled_job(id, ns); });
}

void HubJobs::remove_scheduled(const std::string& ns, const std::string& id) {
    jobs_call([&] { api_.delete_scheduled_job(id, ns); });
}

}  // namespace hubfs::fs
