// Jobs (protocol §8): what run_job and create_scheduled_job send, and what the Hub answers.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hubfs::api {

// What to run. `image` is a Docker image, or "hf.co/spaces/NS/NAME" (also
// "huggingface.co/spaces/...") to run a Space's image, as in Python.
struct JobSpec {
    std::string image;
    std::vector<std::string> command;
    std::map<std::string, std::string> env{};
    std::map<std::string, std::string> secrets{};  // sent once, never answered back
    std::string flavor = "cpu-basic";
    std::optional<double> timeout_seconds{};
    std::map<std::string, std::string> labels{};
};

// run_uv_job: a Python script (a URL, or a local file sent inline) run with `uv run`.
struct UvJobSpec {
    std::string script;
    std::vector<std::string> script_args{};
    std::vector<std::string> dependencies{};
    std::optional<std::string> python{};
    std::string image = "ghcr.io/astral-sh/uv:python3.12-bookworm";
    std::map<std::string, std::string> env{};
    std::map<std::string, std::string> secrets{};
    std::string flavor = "cpu-basic";
    std::optional<double> timeout_seconds{};
    std::map<std::string, std::string> labels{};
};

struct JobOwner {
    std::string id, name, type;
};

struct JobStatus {
    std::string stage;  // SCHEDULING RUNNING UPDATING COMPLETED CANCELED ERROR DELETED
    std::optional<std::string> message{};
    std::optional<int> exit_code{};  // localhub only
};

struct JobInfo {
    std::string id;
    std::string created_at;
    std::optional<std::string> started_at{}, finished_at{};
    std::optional<std::string> docker_image{}, space_id{};
    std::vector<std::string> command, arguments;
    std::map<std::string, std::string> environment;
    std::vector<std::string> secrets;  // names only
    std::string flavor;
    std::map<std::string, std::string> labels;
    std::optional<double> timeout_seconds{};
    JobStatus status;
    JobOwner owner;
    std::string url;  // {endpoint}/jobs/{owner}/{id}
};

struct ScheduledJobInfo {
    std::string id;
    std::string created_at;
    std::string schedule;
    bool suspend = false;
    bool concurrency = false;
    nlohmann::json job_spec;  // as the Hub stores it (secrets as names)
    std::optional<std::string> last_job_id{}, last_job_at{};
    std::optional<std::string> next_job_run_at{};
    JobOwner owner;
};

struct JobLogLine {
    std::string data;
    std::string timestamp;
};

struct ListJobsOptions {
    std::vector<std::string> stages{};                // only jobs in one of these stages
    std::map<std::string, std::string> labels{};      // only jobs with all these labels
};

JobInfo parse_job_info(const nlohmann::json& j, const std::string& endpoint);
ScheduledJobInfo parse_scheduled_job_info(const nlohmann::json& j);
// The body run_job sends (image -> dockerImage or spaceId, as Python does).
nlohmann::json job_spec_json(const JobSpec& spec);
JobSpec uv_job_spec(const UvJobSpec& uv);

}  // namespace hubfs::api
