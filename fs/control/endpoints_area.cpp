#include "fs/control/endpoints_area.hpp"

#include <cerrno>
#include <initializer_list>
#include <set>

#include "fs/control/control_values.hpp"
#include "fs/errno_map.hpp"

namespace hubfs::fs {
namespace {

using json = nlohmann::json;
using StringField = std::pair<const char*, std::optional<std::string>*>;

json or_null(const std::optional<std::string>& v) { return v ? json(*v) : json(nullptr); }

// A JSON object from what was written, or EINVAL saying why not.
json parse_object(std::string_view text, const char* what) {
    json j = json::parse(text, nullptr, false);
    if (j.is_discarded()) throw FsError(EINVAL, std::string(what) + " is not valid JSON");
    if (!j.is_object()) throw FsError(EINVAL, std::string(what) + " must be a JSON object");
    return j;
}

// Field readers: each leaves the target alone when the key is absent, EINVAL for a wrong type.
void read_field(const json& j, const char* key, std::optional<std::string>& out) {
    if (!j.contains(key)) return;
    if (!j[key].is_string() || j[key].get<std::string>().empty())
        throw FsError(EINVAL, std::string(key) + " must be a non-empty string");
    out = j[key].get<std::string>();
}

void read_field(const json& j, const char* key, std::optional<int>& out) {
    if (!j.contains(key)) return;
    if (!j[key].is_number_integer() || j[key].get<int64_t>() < 0 || j[key].get<int64_t>() > 100000)
        throw FsError(EINVAL, std::string(key) + " must be a non-negative integer");
    out = j[key].get<int>();
}

void read_field(const json& j, const char* key, std::optional<std::map<std::string, std::string>>& out) {
    if (!j.contains(key)) return;
    if (!j[key].is_object()) throw FsError(EINVAL, std::string(key) + " must be an object of strings");
    std::map<std::string, std::string> m;
    for (const auto& [k, v] : j[key].items()) {
        if (!v.is_string()) throw FsError(EINVAL, std::string(key) + "." + k + " must be a string");
        m[k] = v.get<std::string>();
    }
    out = std::move(m);
}

// Refuses keys it does not know: a typo must not be dropped silently.
void only_keys(const json& j, const std::set<std::string>& known, const char* what) {
    for (const auto& [k, v] : j.items())
        if (!known.count(k)) throw FsError(EINVAL, std::string(what) + ": unknown key '" + k + "'");
}

// An endpoint's name as the API takes it: lowercase letters, digits and '-', 1-32 characters.
bool valid_name(const std::string& name) {
    if (name.empty() || name.size() > 32 || name.front() == '-' || name.back() == '-') return false;
    for (char c : name)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
    return true;
}

}  // namespace

std::string EndpointsArea::status_json(const EndpointState& e) {
    json j = {{"name", e.name},
              {"namespace", e.ns},
              {"status", e.status},
              {"url", or_null(e.url)},
              {"message", or_null(e.message)},
              {"repository", e.repository},
              {"framework", e.framework},
              {"revision", or_null(e.revision)},
              {"task", or_null(e.task)},
              {"compute", e.compute.is_null() ? json::object() : e.compute},
              {"created_at", e.created_at},
              {"updated_at", e.updated_at}};
    return j.dump(2) + "\n";
}

EndpointSpec EndpointsArea::parse_spec(std::string_view text) {
    json j = parse_object(text, "an endpoint spec");
    only_keys(j,
              {"name", "repository", "framework", "accelerator", "instance_size", "instance_type", "region", "vendor",
               "revision", "task", "type", "min_replica", "max_replica", "scale_to_zero_timeout", "env", "secrets"},
              "an endpoint spec");
    std::optional<std::string> name, repository;
    read_field(j, "name", name);
    read_field(j, "repository", repository);
    if (!name || !valid_name(*name))
        throw FsError(EINVAL, "an endpoint spec needs a name: lowercase letters, digits and '-', at most 32");
    if (!repository) throw FsError(EINVAL, "an endpoint spec needs a repository");
    EndpointSpec s;
    s.name = *name;
    s.repository = *repository;
    for (auto [key, field] : std::initializer_list<StringField>{{"framework", &s.framework}, {"accelerator", &s.accelerator},
                              {"instance_size", &s.instance_size}, {"instance_type", &s.instance_type},
                              {"region", &s.region}, {"vendor", &s.vendor}, {"revision", &s.revision},
                              {"task", &s.task}, {"type", &s.type}})
        read_field(j, key, *field);
    read_field(j, "min_replica", s.min_replica);
    read_field(j, "max_replica", s.max_replica);
    read_field(j, "scale_to_zero_timeout", s.scale_to_zero_timeout);
    std::optional<std::map<std::string, std::string>> env, secrets;
    read_field(j, "env", env);
    read_field(j, "secrets", secrets);
    s.env = env.value_or(std::map<std::string, std::string>{});
    s.secrets = secrets.value_or(std::map<std::string, std::string>{});
    return s;
}

EndpointUpdate EndpointsArea::parse_update(std::string_view text) {
    json j = parse_object(text, "an endpoint update");
    only_keys(j,
              {"accelerator", "instance_size", "instance_type", "repository", "framework", "revision", "task",
               "min_replica", "max_replica", "scale_to_zero_timeout", "env", "secrets"},
              "an endpoint update");
    if (j.empty()) throw FsError(EINVAL, "an endpoint update with nothing to change");
    EndpointUpdate u;
    for (auto [key, field] : std::initializer_list<StringField>{{"accelerator", &u.accelerator}, {"instance_size", &u.instance_size},
                              {"instance_type", &u.instance_type}, {"repository", &u.repository},
                              {"framework", &u.framework}, {"revision", &u.revision}, {"task", &u.task}})
        read_field(j, key, *field);
    read_field(j, "min_replica", u.min_replica);
    read_field(j, "max_replica", u.max_replica);
    read_field(j, "scale_to_zero_timeout", u.scale_to_zero_timeout);
    read_field(j, "env", u.env);
    read_field(j, "secrets", u.secrets);
    return u;
}

ControlFolder EndpointsArea::root() {
    return namespaces_root([this] { return namespaces_(); }, [this](const std::string& ns) { return namespace_folder(ns); });
}

ControlFile EndpointsArea::new_file(const std::string& ns) {
    return make_control_file(
        0644,
        [this, ns] {
            std::string text = "write a JSON spec here to create an endpoint, e.g.\n"
                               "{\"name\": \"my-endpoint\", \"repository\": \"" + ns + "/my-model\", \"accelerator\": \"cpu\"}\n";
            std::lock_guard lock(mutex_);
            if (auto it = last_created_.find(ns); it != last_created_.end()) text += "last created: " + it->second + "\n";
            return text;
        },
        [this, ns](std::string_view text) {
            EndpointSpec spec = parse_spec(text);
            EndpointState created;
            try {
                created = remote_.create(ns, spec);
            } catch (const RemoteError& e) {  // a taken name: EEXIST says it better than the generic conflict
                if (e.kind == RemoteError::Kind::conflict) throw FsError(EEXIST, e.what());
                throw;
            }
            std::lock_guard lock(mutex_);
            last_created_[ns] = created.name;
        });
}

ControlFolder EndpointsArea::namespace_folder(const std::string& ns) {
    ControlFolder f;
    f.names = [this, ns] {
        std::vector<std::string> out{"new"};
        for (const auto& e : remote_.list(ns)) out.push_back(e.name);
        return out;
    };
    f.child = [this, ns](const std::string& name) -> std::optional<ControlEntry> {
        if (name == "new") return new_file(ns);
        if (!valid_name(name)) return std::nullopt;
        return endpoint_folder(ns, name);
    };
    f.remove = [this, ns](const std::string& name) { remote_.remove(ns, name); };
    return f;
}

ControlFolder EndpointsArea::endpoint_folder(const std::string& ns, const std::string& name) {
    ControlFolder f;
    f.exists = [this, ns, name] {
        try {
            remote_.get(ns, name);
            return true;
        } catch (const RemoteError& e) {
            if (e.kind == RemoteError::Kind::not_found) return false;
            throw;
        }
    };
    f.names = [] { return std::vector<std::string>{"status.json", "pause", "resume", "scale-to-zero", "update"}; };
    f.child = [this, ns, name](const std::string& file) -> std::optional<ControlEntry> {
        if (file == "status.json") return make_control_file(0444, [this, ns, name] { return status_json(remote_.get(ns, name)); });
        if (file == "pause") return action_file([this, ns, name] { remote_.pause(ns, name); });
        if (file == "resume") return action_file([this, ns, name] { remote_.resume(ns, name); });
        if (file == "scale-to-zero") return action_file([this, ns, name] { remote_.scale_to_zero(ns, name); });
        if (file == "update")
            return make_control_file(0200, {}, [this, ns, name](std::string_view text) { remote_.update(ns, name, parse_update(text)); });
        return std::nullopt;
    };
    // The files are views of the endpoint, not things of their own: removing one does nothing,
    // so that `rm -r <name>` gets through them to the folder, whose removal deletes the endpoint.
    f.remove = [](const std::string&) {};
    return f;
}

}  // namespace hubfs::fs
