// Jobs through HfApi against a private localhub (issue 16): run, stream logs, cancel, the
// typed errors, uv jobs' request building, and scheduled jobs that fire.
#include "errors.hpp"
#include "hub_test_support.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <set>
#include <thread>

using namespace hubfs::api;
using namespace hubfs::api::testing;
using namespace std::chrono_literals;

namespace {

JobSpec shell(const std::string& script) {
    JobSpec spec;
    spec.image = "python:3.12";
    spec.command = {"sh", "-c", script};
    return spec;
}

// Polls until the job leaves RUNNING; a hang fails the test after 30 s.
JobInfo wait_done(HfApi& api, const std::string& id) {
    auto end = std::chrono::steady_clock::now() + 30s;
    for (;;) {
        JobInfo j = api.inspect_job(id);
        if (j.status.stage != "RUNNING") return j;
        REQUIRE(std::chrono::steady_clock::now() < end);
        std::this_thread::sleep_for(100ms);
    }
}

}  // namespace

TEST_CASE("run_job, fetch_job_logs streams lines while the job runs, inspect_job and list_jobs") {
    LocalHubProcess hub;
    HfApi api(config_for(hub));
    HfApi watcher(config_for(hub));
    JobSpec spec = shell("for i in 1 2 3; do echo line $i; sleep 0.4; done; echo len ${#TOKEN}");
    spec.secrets = {{"TOKEN", "abcdefgh"}};
    spec.labels = {{"name", "count"}};
    JobInfo job = api.run_job(spec);
    CHECK(job.id.size() == 24);
    CHECK(job.status.stage == "RUNNING");
    CHECK(job.owner.name == "alice");
    CHECK(job.docker_image == std::optional<std::string>("python:3.12"));
    CHECK(job.secrets == std::vector<std::string>{"TOKEN"});
    CHECK(job.url == hub.endpoint() + "/jobs/alice/" + job.id);

    std::vector<std::string> lines;
    std::string stage_at_first_line;
    api.fetch_job_logs(job.id, [&](const JobLogLine& l) {
        if (lines.empty()) stage_at_first_line = watcher.inspect_job(job.id).status.stage;
        CHECK(!l.timestamp.empty());
        lines.push_back(l.data);
    });
    CHECK(stage_at_first_line == "RUNNING");
    std::string joined;
    for (const auto& l : lines) joined += "[" + l + "]";
    CHECK(joined == "[line 1][line 2][line 3][len 8]");

    JobInfo done = wait_done(api, job.id);
    CHECK(done.status.stage == "COMPLETED");
    CHECK(done.status.exit_code == std::optional<int>(0));
    CHECK(done.finished_at.has_value());

    auto completed = api.list_jobs(ListJobsOptions{{"COMPLETED"}, {{"name", "count"}}});
    REQUIRE(completed.size() == 1);
    CHECK(completed[0].id == job.id);
    CHECK(api.list_jobs(ListJobsOptions{{"RUNNING"}, {}}).empty());
    CHECK(api.list_jobs({}, "acme").empty());
}

TEST_CASE("job failures, cancel, and errors as typed exceptions") {
    LocalHubProcess hub;
    HfApi api(config_for(hub));

    JobInfo bad = api.run_job(JobSpec{"python:3.12", {"no-such-command-xyz"}});
    JobInfo bad_done = wait_done(api, bad.id);
    CHECK(bad_done.status.stage == "ERROR");
    REQUIRE(bad_done.status.message.has_value());
    CHECK(bad_done.status.message->find("no-such-command-xyz") != std::string::npos);

    JobInfo failing = api.run_job(shell("exit 4"));
    CHECK(wait_done(api, failing.id).status.exit_code == std::optional<int>(4));

    JobInfo sleeper = api.run_job(shell("sleep 120"));
    api.cancel_job(sleeper.id);
    CHECK(wait_done(api, sleeper.id).status.stage == "CANCELED");
    CHECK_THROWS_AS(api.cancel_job(sleeper.id), BadRequestError);  // not running any more

    JobSpec flavor = shell("true");
    flavor.flavor = "quantum-xl";
    CHECK_THROWS_AS(api.run_job(flavor), BadRequestError);
    CHECK_THROWS_AS(api.inspect_job("0123456789abcdef01234567"), HubError);
    CHECK_THROWS_AS(HfApi(config_for(hub, bob_token)).run_job(shell("true")), ForbiddenError);  // read token
    CHECK_THROWS_AS(api.run_job(shell("true"), "bob"), ForbiddenError);                      // not a member
    CHECK_THROWS_AS(HfApi(config_for(hub, std::nullopt)).list_jobs({}, "alice"), UnauthorizedError);
}

TEST_CASE("job specs as Python builds them: Space images, uv scripts") {
    JobSpec space{"hf.co/spaces/acme/runner", {"python", "app.py"}};
    auto body = job_spec_json(space);
    CHECK(body["spaceId"] == "acme/runner");
    CHECK(!body.contains("dockerImage"));
    CHECK(!body.contains("secrets"));
    CHECK(body["flavor"] == "cpu-basic");

    UvJobSpec remote;
    remote.script = "https://example.com/train.py";
    remote.script_args = {"--epochs", "2"};
    remote.dependencies = {"numpy"};
    remote.python = "3.12";
    JobSpec r = uv_job_spec(remote);
    CHECK(r.image == "ghcr.io/astral-sh/uv:python3.12-bookworm");
    CHECK(r.command == std::vector<std::string>{"uv", "run", "--with", "numpy", "--python", "3.12",
                                                "https://example.com/train.py", "--epochs", "2"});

    TempDir dir;
    auto script = dir.path() / "hello.py";
    std::ofstream(script) << "print('hi')\n";
    UvJobSpec local;
    local.script = script.string();
    local.script_args = {"x"};
    JobSpec l = uv_job_spec(local);
    CHECK(l.env.at("UV_SCRIPT_ENCODED") == "cHJpbnQoJ2hpJykK");
    REQUIRE(l.command.size() == 5);
    CHECK(l.command[0] == "bash");
    CHECK(l.command[2].find("base64 -d > /tmp/script.py && exec uv run /tmp/script.py") != std::string::npos);
    CHECK(l.command[4] == "x");

    UvJobSpec missing;
    missing.script = (dir.path() / "absent.py").string();
    CHECK_THROWS(uv_job_spec(missing));

    // The Hub takes it; localhub runs `bash` for real (uv itself may be missing here).
    LocalHubProcess hub;
    HfApi api(config_for(hub));
    JobInfo job = api.run_uv_job(local);
    CHECK(job.command == l.command);
    CHECK(job.environment.at("UV_SCRIPT_ENCODED") == "cHJpbnQoJ2hpJykK");
    CHECK(wait_done(api, job.id).status.stage != "RUNNING");
}

TEST_CASE("scheduled jobs fire, suspend, resume and delete") {
    LocalHubProcess hub({"--job-minute-seconds", "1"});
    HfApi api(config_for(hub));
    CHECK_THROWS_AS(api.create_scheduled_job(shell("true"), "every so often"), BadRequestError);

    ScheduledJobInfo s = api.create_scheduled_job(shell("echo tick"), "* * * * *");
    CHECK(s.schedule == "* * * * *");
    CHECK(!s.suspend);
    CHECK(s.next_job_run_at.has_value());
    std::set<std::string> fired;
    auto end = std::chrono::steady_clock::now() + 20s;
    while (fired.size() < 2 && std::chrono::steady_clock::now() < end) {
        if (auto id = api.inspect_scheduled_job(s.id).last_job_id) fired.insert(*id);
        std::this_thread::sleep_for(100ms);
    }
    CHECK(fired.size() >= 2);
    for (const auto& id : fired) CHECK(wait_done(api, id).status.stage == "COMPLETED");

    api.suspend_scheduled_job(s.id);
    ScheduledJobInfo suspended = api.inspect_scheduled_job(s.id);
    CHECK(suspended.suspend);
    CHECK(!suspended.next_job_run_at.has_value());
    std::this_thread::sleep_for(300ms);
    auto last = api.inspect_scheduled_job(s.id).last_job_id;
    std::this_thread::sleep_for(2500ms);
    CHECK(api.inspect_scheduled_job(s.id).last_job_id == last);

    api.resume_scheduled_job(s.id);
    CHECK(!api.inspect_scheduled_job(s.id).suspend);
    REQUIRE(api.list_scheduled_jobs().size() == 1);
    api.delete_scheduled_job(s.id);
    CHECK(api.list_scheduled_jobs().empty());
    CHECK_THROWS_AS(api.inspect_scheduled_job(s.id), HubError);

    UvJobSpec uv;
    uv.script = "https://example.com/x.py";
    ScheduledJobInfo u = api.create_scheduled_uv_job(uv, "@daily", true);
    CHECK(u.suspend);
    CHECK(u.job_spec["command"][0] == "uv");
}
