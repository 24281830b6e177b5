#include "fs/control/spaces_runtime_area.hpp"

#include <cctype>
#include <cerrno>
#include <charconv>

#include <nlohmann/json.hpp>

#include "fs/control/control_values.hpp"
#include "fs/errno_map.hpp"

namespace hubfs::fs {
namespace {

using json = nlohmann::json;

json or_null(const std::optional<std::string>& v) { return v ? json(*v) : json(nullptr); }

// A secret's or variable's value as written: `echo` adds a newline that is not part of it.
std::string value_of(std::string_view text) {
    std::string v(text);
    while (!v.empty() && (v.back() == '\n' || v.back() == '\r')) v.pop_back();
    return v;
}

// Asks the Hub whether the Space exists; any other failure is the caller's errno.
bool space_exists(SpacesRuntimeRemote& remote, const std::string& space) {
    try {
        remote.runtime(space);
        return true;
    } catch (const RemoteError& e) {
        if (e.kind == RemoteError::Kind::not_found) return false;
        throw;
    }
}

}  // namespace

std::string SpacesRuntimeArea::runtime_json(const SpaceRuntimeState& rt) {
    json j = {{"stage", rt.stage},
              {"hardware", {{"current", or_null(rt.hardware)}, {"requested", or_null(rt.requested_hardware)}}},
              {"sleep_time", rt.sleep_time ? json(*rt.sleep_time) : json(nullptr)},
              {"storage", or_null(rt.storage)},
              {"error", or_null(rt.error_message)}};
    return j.dump(2) + "\n";
}

int64_t SpacesRuntimeArea::parse_sleep_time(std::string_view text) {
    std::string s = one_line(text);
    if (s == "never") return -1;
    int64_t n = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (s.empty() || ec != std::errc() || end != s.data() + s.size() || (n < 1 && n != -1))
        throw FsError(EINVAL, "a sleep time is a number of seconds, -1 or never; not '" + s + "'");
    return n;
}

bool SpacesRuntimeArea::valid_key(const std::string& key) {
    if (key.empty() || key.size() > 200 || std::isdigit(static_cast<unsigned char>(key.front()))) return false;
    for (char c : key)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
    return true;
}

ControlFolder SpacesRuntimeArea::root() {
    return namespaces_root([this] { return namespaces_(); }, [this](const std::string& ns) { return namespace_folder(ns); });
}

ControlFolder SpacesRuntimeArea::namespace_folder(const std::string& ns) {
    ControlFolder f;
    f.names = [this, ns] { return spaces_of_(ns); };
    f.child = [this, ns](const std::string& name) -> std::optional<ControlEntry> {
        if (name.empty() || name.front() == '.') return std::nullopt;
        return space_folder(ns + "/" + name);
    };
    return f;
}

ControlFolder SpacesRuntimeArea::space_folder(const std::string& space) {
    ControlFolder f;
    f.exists = [this, space] { return space_exists(remote_, space); };
    f.names = [] {
        return std::vector<std::string>{"runtime.json", "restart", "pause", "hardware", "sleep-time", "storage", "secrets", "variables"};
    };
    f.child = [this, space](const std::string& name) -> std::optional<ControlEntry> {
        if (name == "runtime.json") return make_control_file(0444, [this, space] { return runtime_json(remote_.runtime(space)); });
        if (name == "restart") return action_file([this, space] { remote_.restart(space); });
        if (name == "pause") return action_file([this, space] { remote_.pause(space); });
        if (name == "secrets") return secrets_folder(space);
        if (name == "variables") return variables_folder(space);
        return setting_file(space, name);
    };
    return f;
}

// hardware, sleep-time, storage: each reads what is requested and writes a new request.
std::optional<ControlEntry> SpacesRuntimeArea::setting_file(const std::string& space, const std::string& name) {
    auto runtime = [this, space] { return remote_.runtime(space); };
    if (name == "hardware")
        return make_control_file(
            0644,
            [runtime] {
                SpaceRuntimeState rt = runtime();
                return rt.requested_hardware.value_or(rt.hardware.value_or("none")) + "\n";
            },
            [this, space](std::string_view text) {
                std::string flavor = one_line(text);
                if (flavor.empty() || flavor.find_first_of(" \t/") != std::string::npos)
                    throw FsError(EINVAL, "a hardware flavor is one word (cpu-basic, t4-small, ...), not '" + flavor + "'");
                remote_.request_hardware(space, flavor);
            });
    if (name == "sleep-time")
        return make_control_file(
            0644,
            [runtime] {
                SpaceRuntimeState rt = runtime();
                return (rt.sleep_time ? std::to_string(*rt.sleep_time) : std::string("never")) + "\n";
            },
            [this, space](std::string_view text) { remote_.set_sleep_time(space, parse_sleep_time(text)); });
    if (name == "storage")
        return make_control_file(
            0644, [runtime] { return runtime().storage.value_or("none") + "\n"; },
            [this, space](std::string_view text) {
                std::string tier = one_line(text);
                if (tier.empty() || tier.find_first_of(" \t/") != std::string::npos)
                    throw FsError(EINVAL, "a storage tier is small, medium, large or none; not '" + tier + "'");
                if (tier == "none") remote_.delete_storage(space);
                else remote_.request_storage(space, tier);
            });
    return std::nullopt;
}

ControlFolder SpacesRuntimeArea::secrets_folder(const std::string& space) {
    ControlFolder f;
    f.names = [this, space] { return remote_.secret_keys(space); };
    // Any valid key is there to be written (that is how a new secret is set); none can be read.
    f.child = [this, space](const std::string& key) -> std::optional<ControlEntry> {
        if (!valid_key(key)) return std::nullopt;
        ControlFile s;
        s.mode = 0200;
        s.act = [this, space, key](std::string_view text) { remote_.add_secret(space, key, value_of(text)); };
        return s;
    };
    f.remove = [this, space](const std::string& key) { remote_.delete_secret(space, key); };
    return f;
}

ControlFolder SpacesRuntimeArea::variables_folder(const std::string& space) {
    ControlFolder f;
    f.names = [this, space] {
        std::vector<std::string> out;
        for (const auto& [key, value] : remote_.variables(space)) out.push_back(key);
        return out;
    };
    // Any valid key can be written (a new variable); reading one that is not set is ENOENT.
    f.child = [this, space](const std::string& key) -> std::optional<ControlEntry> {
        if (!valid_key(key)) return std::nullopt;
        return make_control_file(
            0644,
            [this, space, key] {
                auto vars = remote_.variables(space);
                auto it = vars.find(key);
                if (it == vars.end()) throw FsError(ENOENT, space + " has no variable " + key);
                return it->second + "\n";
            },
            [this, space, key](std::string_view text) { remote_.add_variable(space, key, value_of(text)); });
    };
    f.remove = [this, space](const std::string& key) { remote_.delete_variable(space, key); };
    return f;
}

}  // namespace hubfs::fs
