// The jobs area without FUSE or a Hub: its files over a fake JobsRemote, including logs that
// grow while a job runs.
#include <doctest/doctest.h>

#include <cerrno>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "fs/control/job_spec.hpp"
#include "fs/control/jobs_area.hpp"
#include "control_test_support.hpp"
#include "fs/errno_map.hpp"
#include "fs/network_wait.hpp"

using namespace hubfs::fs;

namespace {

const std::string kSecret = "s3cr3t-value-4411";

class FakeJobs : public JobsRemote {
public:
    std::mutex mutex;
    std::condition_variable changed;
    std::map<std::string, JobState> jobs;
    std::map<std::string, std::vector<std::string>> lines;
    std::map<std::string, ScheduledState> scheduled;
    std::vector<std::string> calls;
    std::vector<JobRequest> requests;
    int streams = 0;
    bool stopped = false;

    std::vector<JobState> list(const std::string&) override {
        std::lock_guard lock(mutex);
        std::vector<JobState> out;
        for (const auto& [id, j] : jobs) out.push_back(j);
        return out;
    }
    JobState inspect(const std::string&, const std::string& id) override {
        std::lock_guard lock(mutex);
        return job(id);
    }
    std::string run(const std::string& ns, const JobRequest& r) override {
        std::lock_guard lock(mutex);
        std::string id = "job" + std::to_string(jobs.size() + 1);
        JobState j;
        j.id = id;
        j.stage = "RUNNING";
        j.image = r.image;
        j.command = r.command;
        j.env = r.env;
        for (const auto& [k, v] : r.secrets) j.secret_names.push_back(k);
        j.owner = ns;
        jobs[id] = j;
        requests.push_back(r);
        calls.push_back("run " + ns);
        return id;
    }
    void cancel(const std::string&, const std::string& id) override {
        std::lock_guard lock(mutex);
        if (job(id).finished()) throw RemoteError(RemoteError::Kind::invalid, "job is not running");
        end(id, "CANCELED");
        calls.push_back("cancel " + id);
    }
    void follow_logs(const std::string&, const std::string& id, const std::function<void(const std::string&)>& on_line) override {
        std::unique_lock lock(mutex);
        ++streams;
        job(id);
        for (size_t sent = 0;;) {
            while (sent < lines[id].size()) {
                std::string line = lines[id][sent++];
                lock.unlock();
                on_line(line);
                lock.lock();
            }
            if (stopped) throw RemoteError(RemoteError::Kind::unavailable, "stopped");
            if (jobs.at(id).finished()) return;
            changed.wait(lock);
        }
    }
    void stop_streams() override {
        std::lock_guard lock(mutex);
        stopped = true;
        changed.notify_all();
    }
    std::vector<ScheduledState> list_scheduled(const std::string&) override {
        std::lock_guard lock(mutex);
        std::vector<ScheduledState> out;
        for (const auto& [id, s] : scheduled) out.push_back(s);
        return out;
    }
    ScheduledState inspect_scheduled(const std::string&, const std::string& id) override {
        std::lock_guard lock(mutex);
        auto it = scheduled.find(id);
        if (it == scheduled.end()) throw RemoteError(RemoteError::Kind::not_found, "no scheduled job");
        return it->second;
    }
    std::string schedule(const std::string&, const ScheduleRequest& r) override {
        std::lock_guard lock(mutex);
        std::string id = "sched" + std::to_string(scheduled.size() + 1);
        ScheduledState s;
        s.id = id;
        s.schedule = r.schedule;
        s.suspend = r.suspend;
        s.job_spec_json = R"({"command":["echo","tick"],"secrets":["K"]})";
        scheduled[id] = s;
        requests.push_back(r.job);
        calls.push_back("schedule " + r.schedule);
        return id;
    }
    void suspend(const std::string& ns, const std::string& id) override { set_suspend(ns, id, true); }
    void resume(const std::string& ns, const std::string& id) override { set_suspend(ns, id, false); }
    void remove_scheduled(const std::string& ns, const std::string& id) override {
        inspect_scheduled(ns, id);
        std::lock_guard lock(mutex);
        scheduled.erase(id);
        calls.push_back("delete " + id);
    }

    // The job prints a line / ends (as the Hub would see it).
    void print(const std::string& id, const std::string& line) {
        std::lock_guard lock(mutex);
        lines[id].push_back(line);
        changed.notify_all();
    }
    void finish(const std::string& id, const std::string& stage, int code) {
        std::lock_guard lock(mutex);
        end(id, stage);
        jobs.at(id).exit_code = code;
    }

private:
    JobState& job(const std::string& id) {
        auto it = jobs.find(id);
        if (it == jobs.end()) throw RemoteError(RemoteError::Kind::not_found, "no job");
        return it->second;
    }
    void end(const std::string& id, const std::string& stage) {
        job(id).stage = stage;
        changed.notify_all();
    }
    void set_suspend(const std::string& ns, const std::string& id, bool value) {
        inspect_scheduled(ns, id);
        std::lock_guard lock(mutex);
        scheduled[id].suspend = value;
        calls.push_back(std::string(value ? "suspend " : "resume ") + id);
    }
};

// All of a logs file from offset 0, as `cat` opens and reads it.
std::string cat(const ControlFile& f) {
    f.prepare_read();
    std::string out;
    for (;;) {
        std::string part = f.read_at(out.size(), 4096);
        if (part.empty()) return out;
        out += part;
    }
}

// Waits (bounded) until the follower has received `n` bytes: the job's lines reach it on its own thread.
void wait_size(const ControlFile& f, uint64_t n) {
    for (int i = 0; i < 1000 && f.size() < n; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    REQUIRE(f.size() == n);
}

struct Area {
    FakeJobs hub;
    JobsArea area{hub, {"alice", "acme"}, JobLogsOptions{.kept = 4, .catch_up = std::chrono::milliseconds(1500)}};
    ControlTree tree;
    Area() {
        tree.add_area("jobs", [this] { return area.root(); });
    }
    ~Area() { area.stop(); }
};

}  // namespace

TEST_CASE("run starts a job from a JSON spec; the id shows in run, index and as a folder; status.json is live") {
    Area a;
    CHECK(std::get<ControlFolder>(*a.tree.find("jobs")).names() == std::vector<std::string>{"alice", "acme"});
    file_at(a.tree, "jobs/alice/run").act(R"({"image": "python:3.12", "command": ["echo", "hi"], "env": {"A": "1"}})");
    REQUIRE(a.hub.calls == std::vector<std::string>{"run alice"});
    CHECK(a.hub.requests.at(0).flavor == "cpu-basic");
    CHECK(file_at(a.tree, "jobs/alice/run").render().find("last started: job1") != std::string::npos);
    CHECK(file_at(a.tree, "jobs/acme/run").render().find("last started") == std::string::npos);
    CHECK(std::get<ControlFolder>(*a.tree.find("jobs/alice")).names() ==
          std::vector<std::string>{"run", "index", "scheduled", "job1"});
    CHECK(file_at(a.tree, "jobs/alice/index").render() == "job1\tRUNNING\t\techo hi\n");
    CHECK(file_at(a.tree, "jobs/alice/job1/status.json").render().find("\"stage\": \"RUNNING\"") != std::string::npos);
    a.hub.finish("job1", "COMPLETED", 0);
    std::string status = file_at(a.tree, "jobs/alice/job1/status.json").render();
    CHECK(status.find("\"stage\": \"COMPLETED\"") != std::string::npos);
    CHECK(status.find("\"exit_code\": 0") != std::string::npos);
    CHECK_FALSE(a.tree.find("jobs/alice/job9").has_value());
    CHECK_FALSE(a.tree.find("jobs/alice/job1/other").has_value());
    CHECK_FALSE(a.tree.find("jobs/..").has_value());
}

TEST_CASE("bad specs are EINVAL and reach no Hub call; messages never quote a secret") {
    Area a;
    const std::vector<std::string> bad = {
        R"({"image": "x", "command": [)",                              // malformed
        R"([1, 2])",                                                    // not an object
        R"({"command": ["true"]})",                                     // no image
        R"({"image": "x"})",                                            // no command
        R"({"image": "x", "command": "true"})",                         // command not an array
        R"({"image": "x", "command": ["true", 1]})",                    // not strings
        R"({"image": "x", "command": ["true"], "enviroment": {}})",     // unknown key
        R"({"image": "x", "command": ["true"], "timeout": -1})",        // bad timeout
        R"({"image": "x", "command": ["true"], "secrets": {"K": 5}})",  // secret not a string
        R"({"script": "/etc/passwd"})",                                 // a local file
        R"({"image": "x", "command": ["true"], "schedule": "@hourly"})",  // run takes no schedule
        "{\"image\": \"x\", \"command\": [\"true\"], \"secrets\": {\"K\": \"" + kSecret + "\"",  // cut short
    };
    for (const auto& text : bad) {
        CAPTURE(text);
        CHECK(errno_of([&] { file_at(a.tree, "jobs/alice/run").act(text); }) == EINVAL);
        try {
            parse_job_request(text);
        } catch (const std::exception& e) {
            CHECK(std::string(e.what()).find(kSecret) == std::string::npos);
        }
    }
    CHECK(a.hub.calls.empty());
    CHECK(errno_of([&] { file_at(a.tree, "jobs/alice/scheduled/new").act(R"({"image": "x", "command": ["true"]})"); }) ==
          EINVAL);  // no schedule
    CHECK(a.hub.calls.empty());
}

TEST_CASE("a secret goes to the Hub and never into status.json") {
    Area a;
    file_at(a.tree, "jobs/alice/run")
        .act(R"({"image": "x", "command": ["true"], "secrets": {"TOKEN": ")" + kSecret + R"("}})");
    CHECK(a.hub.requests.at(0).secrets.at("TOKEN") == kSecret);
    std::string status = file_at(a.tree, "jobs/alice/job1/status.json").render();
    CHECK(status.find("TOKEN") != std::string::npos);
    CHECK(status.find(kSecret) == std::string::npos);
}

TEST_CASE("logs grow while the job runs: size and reads follow; a finished job's logs read whole") {
    Area a;
    file_at(a.tree, "jobs/alice/run").act(R"({"image": "x", "command": ["true"]})");
    ControlFile logs = file_at(a.tree, "jobs/alice/job1/logs");
    REQUIRE(logs.read_at);
    REQUIRE(logs.size);
    CHECK(logs.mode == 0444);
    CHECK(logs.size() == 0);
    a.hub.print("job1", "line 1");
    logs.prepare_read();  // an open waits for a new follower's first lines
    CHECK(logs.read_at(0, 100) == "line 1\n");
    CHECK(logs.size() == 7);
    CHECK(logs.read_at(7, 100) == "");  // the end, for now: a read never waits (tail -f polls)
    a.hub.print("job1", "line 2");
    wait_size(logs, 14);  // stat sees it grow
    CHECK(logs.read_at(7, 100) == "line 2\n");
    CHECK(logs.read_at(3, 6) == "e 1\nli");
    a.hub.finish("job1", "COMPLETED", 0);
    CHECK(cat(logs) == "line 1\nline 2\n");
    CHECK(a.hub.streams == 1);  // followed once: the whole log is kept

    // A job that had ended before anyone read it: its log is whole at the first read.
    file_at(a.tree, "jobs/alice/run").act(R"({"image": "x", "command": ["true"]})");
    for (int i = 0; i < 50; ++i) a.hub.print("job2", "l" + std::to_string(i));
    a.hub.finish("job2", "ERROR", 3);
    std::string whole = cat(file_at(a.tree, "jobs/alice/job2/logs"));
    CHECK(whole.starts_with("l0\nl1\n"));
    CHECK(whole.ends_with("l49\n"));
}

TEST_CASE("stop ends a stream that follows a running job") {
    Area a;
    file_at(a.tree, "jobs/alice/run").act(R"({"image": "x", "command": ["sleep"]})");
    a.hub.print("job1", "started");
    ControlFile logs = file_at(a.tree, "jobs/alice/job1/logs");
    logs.prepare_read();
    CHECK(logs.read_at(0, 100) == "started\n");
    a.area.stop();  // would hang here if the follower were not ended
    CHECK(a.hub.stopped);
}

TEST_CASE("cancel acts once; a finished job's cancel is refused") {
    Area a;
    file_at(a.tree, "jobs/alice/run").act(R"({"image": "x", "command": ["sleep", "100"]})");
    ControlFile cancel = file_at(a.tree, "jobs/alice/job1/cancel");
    CHECK_FALSE(static_cast<bool>(cancel.render));
    cancel.act("\n");
    CHECK(a.hub.jobs.at("job1").stage == "CANCELED");
    CHECK(errno_of([&] { cancel.act("\n"); }) == EINVAL);
}

TEST_CASE("scheduled: new, spec.json, suspend, resume, index, rm") {
    Area a;
    file_at(a.tree, "jobs/alice/scheduled/new")
        .act(R"({"schedule": "* * * * *", "image": "x", "command": ["echo", "tick"], "secrets": {"K": ")" + kSecret + R"("}})");
    CHECK(a.hub.calls == std::vector<std::string>{"schedule * * * * *"});
    CHECK(file_at(a.tree, "jobs/alice/scheduled/new").render().find("last created: sched1") != std::string::npos);
    auto folder = std::get<ControlFolder>(*a.tree.find("jobs/alice/scheduled"));
    CHECK(folder.names() == std::vector<std::string>{"new", "index", "sched1"});
    std::string spec = file_at(a.tree, "jobs/alice/scheduled/sched1/spec.json").render();
    CHECK(spec.find("\"schedule\": \"* * * * *\"") != std::string::npos);
    CHECK(spec.find("\"suspend\": false") != std::string::npos);
    CHECK(spec.find(kSecret) == std::string::npos);
    file_at(a.tree, "jobs/alice/scheduled/sched1/suspend").act("x");
    CHECK(file_at(a.tree, "jobs/alice/scheduled/index").render() == "sched1\t* * * * *\tsuspended\t-\n");
    file_at(a.tree, "jobs/alice/scheduled/sched1/resume").act("x");
    CHECK(a.hub.scheduled.at("sched1").suspend == false);
    CHECK(errno_of([&] { folder.remove("new"); }) == EPERM);
    folder.remove("sched1");
    CHECK(a.hub.scheduled.empty());
    CHECK_FALSE(a.tree.find("jobs/alice/scheduled/sched1").has_value());
}

TEST_CASE("an open of logs that would wait, on a FUSE thread, is WouldWait (parked); once whole it is not") {
    Area a;
    file_at(a.tree, "jobs/alice/run").act(R"({"image": "x", "command": ["true"]})");
    ControlFile logs = file_at(a.tree, "jobs/alice/job1/logs");
    {
        NoNetworkWaits fuse_thread;
        CHECK_THROWS_AS(logs.prepare_read(), WouldWait);  // a running job, nothing printed yet
        CHECK(logs.read_at(0, 100) == "");                // a read answers at once
    }
    a.hub.print("job1", "done");
    a.hub.finish("job1", "COMPLETED", 0);
    CHECK(cat(logs) == "done\n");
    NoNetworkWaits fuse_thread;
    logs.prepare_read();  // whole: nothing to wait for
    CHECK(logs.read_at(0, 100) == "done\n");
}
