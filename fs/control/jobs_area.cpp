#include "fs/control/jobs_area.hpp"

#include <cctype>
#include <cerrno>
#include <sstream>

#include <nlohmann/json.hpp>

#include "fs/control/control_values.hpp"
#include "fs/control/job_spec.hpp"
#include "fs/errno_map.hpp"

namespace hubfs::fs {
namespace {

using json = nlohmann::json;

// A namespace or an id as the Hub spells them: no "..", no hidden names, no slashes.
bool plain_name(const std::string& name) {
    if (name.empty() || name.front() == '.' || name.size() > 96) return false;
    for (char c : name)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') return false;
    return true;
}

ControlFile read_only(std::function<std::string()> render) { return make_control_file(0444, std::move(render)); }

void put_if(json& j, const char* key, const std::string& value) {
    if (!value.empty()) j[key] = value;
}

// true: the entry exists; false: the Hub says not found; other failures propagate.
template <typename F>
bool found(F&& lookup) {
    try {
        lookup();
        return true;
    } catch (const RemoteError& e) {
        if (e.kind == RemoteError::Kind::not_found) return false;
        throw;
    }
}

}  // namespace

std::string JobsArea::status_json(const JobState& job) {
    json j = {{"id", job.id}, {"stage", job.stage}};
    put_if(j, "message", job.message);
    if (job.exit_code) j["exit_code"] = *job.exit_code;
    put_if(j, "created_at", job.created_at);
    put_if(j, "started_at", job.started_at);
    put_if(j, "finished_at", job.finished_at);
    j["image"] = job.image;
    j["command"] = job.command;
    j["flavor"] = job.flavor;
    j["env"] = job.env;
    j["secrets"] = job.secret_names;  // names only: values never come back
    if (!job.labels.empty()) j["labels"] = job.labels;
    if (job.timeout_seconds) j["timeout"] = *job.timeout_seconds;
    put_if(j, "owner", job.owner);
    put_if(j, "url", job.url);
    return j.dump(2) + "\n";
}

std::string JobsArea::index_text(const std::vector<JobState>& jobs) {
    std::ostringstream out;
    for (const auto& job : jobs) {
        std::string command;
        for (const auto& part : job.command) command += (command.empty() ? "" : " ") + part;
        out << job.id << "\t" << job.stage << "\t" << job.created_at << "\t" << command << "\n";
    }
    return out.str();
}

std::string JobsArea::scheduled_json(const ScheduledState& s) {
    json j = {{"id", s.id}, {"schedule", s.schedule}, {"suspend", s.suspend}, {"concurrency", s.concurrency}};
    put_if(j, "created_at", s.created_at);
    json spec = json::parse(s.job_spec_json, nullptr, false);
    j["job"] = spec.is_discarded() ? json::object() : spec;
    put_if(j, "last_job", s.last_job_id);
    put_if(j, "last_job_at", s.last_job_at);
    put_if(j, "next_run_at", s.next_run_at);
    put_if(j, "owner", s.owner);
    return j.dump(2) + "\n";
}

std::string JobsArea::scheduled_index_text(const std::vector<ScheduledState>& list) {
    std::ostringstream out;
    for (const auto& s : list)
        out << s.id << "\t" << s.schedule << "\t" << (s.suspend ? "suspended" : "active") << "\t"
            << (s.last_job_id.empty() ? "-" : s.last_job_id) << "\n";
    return out.str();
}

std::string JobsArea::last(const std::string& key) {
    std::lock_guard lock(mutex_);
    auto it = last_.find(key);
    return it == last_.end() ? "" : it->second;
}

ControlFolder JobsArea::root() {
    ControlFolder f;
    f.names = [this] { return own_; };
    f.child = [this](const std::string& ns) -> std::optional<ControlEntry> {
        if (!plain_name(ns)) return std::nullopt;
        return namespace_folder(ns);
    };
    return f;
}

ControlFolder JobsArea::namespace_folder(const std::string& ns) {
    ControlFolder f;
    f.names = [this, ns] {
        std::vector<std::string> out{"run", "index", "scheduled"};
        for (const auto& job : remote_.list(ns)) out.push_back(job.id);
        return out;
    };
    f.child = [this, ns](const std::string& name) -> std::optional<ControlEntry> {
        if (name == "run") return run_file(ns);
        if (name == "index") return read_only([this, ns] { return index_text(remote_.list(ns)); });
        if (name == "scheduled") return scheduled_folder(ns);
        if (!plain_name(name)) return std::nullopt;
        return job_folder(ns, name);
    };
    return f;
}

ControlFile JobsArea::creating_file(const std::string& how, const std::string& key, const std::string& said,
                                    std::function<std::string(std::string_view)> create) {
    ControlFile f;
    f.mode = 0644;
    f.render = [this, how, key, said] {
        std::string id = last(key);
        return id.empty() ? how : how + said + ": " + id + "\n";
    };
    f.act = [this, key, create = std::move(create)](std::string_view text) {
        std::string id = create(text);
        std::lock_guard lock(mutex_);
        last_[key] = id;
    };
    return f;
}

ControlFile JobsArea::run_file(const std::string& ns) {
    return creating_file("write a JSON job spec here to run a job, e.g.\n"
                         "{\"image\": \"python:3.12\", \"command\": [\"python\", \"-c\", \"print(42)\"]}\n",
                         "run:" + ns, "last started",
                         [this, ns](std::string_view text) { return remote_.run(ns, parse_job_request(text)); });
}

ControlFile JobsArea::logs_file(const std::string& ns, const std::string& id) {
    ControlFile f;
    f.mode = 0444;
    f.read_at = [this, ns, id](uint64_t offset, size_t size) { return logs_.read(ns, id, offset, size); };
    f.size = [this, ns, id] { return logs_.size(ns, id); };
    f.prepare_read = [this, ns, id] { logs_.prepare(ns, id); };
    return f;
}

ControlFolder JobsArea::job_folder(const std::string& ns, const std::string& id) {
    ControlFolder f;
    f.exists = [this, ns, id] { return found([&] { remote_.inspect(ns, id); }); };
    f.names = [] { return std::vector<std::string>{"status.json", "logs", "cancel"}; };
    f.child = [this, ns, id](const std::string& name) -> std::optional<ControlEntry> {
        if (name == "status.json") return read_only([this, ns, id] { return status_json(remote_.inspect(ns, id)); });
        if (name == "logs") return logs_file(ns, id);
        if (name == "cancel") return action_file([this, ns, id] { remote_.cancel(ns, id); });
        return std::nullopt;
    };
    return f;
}

ControlFile JobsArea::new_schedule_file(const std::string& ns) {
    return creating_file("write a JSON job spec with a \"schedule\" here to create a scheduled job, e.g.\n"
                         "{\"schedule\": \"@hourly\", \"image\": \"python:3.12\", \"command\": [\"echo\", \"tick\"]}\n",
                         "scheduled:" + ns, "last created",
                         [this, ns](std::string_view text) { return remote_.schedule(ns, parse_schedule_request(text)); });
}

ControlFolder JobsArea::scheduled_folder(const std::string& ns) {
    ControlFolder f;
    f.names = [this, ns] {
        std::vector<std::string> out{"new", "index"};
        for (const auto& s : remote_.list_scheduled(ns)) out.push_back(s.id);
        return out;
    };
    f.child = [this, ns](const std::string& name) -> std::optional<ControlEntry> {
        if (name == "new") return new_schedule_file(ns);
        if (name == "index") return read_only([this, ns] { return scheduled_index_text(remote_.list_scheduled(ns)); });
        if (!plain_name(name)) return std::nullopt;
        return schedule_folder(ns, name);
    };
    f.remove = [this, ns](const std::string& name) {
        if (name == "new" || name == "index") throw FsError(EPERM, "scheduled/" + name + " cannot be removed");
        remote_.remove_scheduled(ns, name);
    };
    return f;
}

ControlFolder JobsArea::schedule_folder(const std::string& ns, const std::string& id) {
    ControlFolder f;
    f.exists = [this, ns, id] { return found([&] { remote_.inspect_scheduled(ns, id); }); };
    f.names = [] { return std::vector<std::string>{"spec.json", "suspend", "resume"}; };
    f.child = [this, ns, id](const std::string& name) -> std::optional<ControlEntry> {
        if (name == "spec.json")
            return read_only([this, ns, id] { return scheduled_json(remote_.inspect_scheduled(ns, id)); });
        if (name == "suspend") return action_file([this, ns, id] { remote_.suspend(ns, id); });
        if (name == "resume") return action_file([this, ns, id] { remote_.resume(ns, id); });
        return std::nullopt;
    };
    return f;
}

}  // namespace hubfs::fs
