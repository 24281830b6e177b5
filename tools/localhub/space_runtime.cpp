#include "space_runtime.hpp"

#include <chrono>
#include <fstream>
#include <regex>
#include <set>

#include "api_support.hpp"
#include "time_format.hpp"

namespace localhub {
namespace {

using json = nlohmann::json;

int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

bool SpaceRuntimes::known_flavor(const std::string& f) {
    static const std::set<std::string> kFlavors = {
        "cpu-basic", "cpu-upgrade", "zero-a10g", "t4-small", "t4-medium", "l4x1", "l4x4", "l40sx1", "l40sx4", "l40sx8",
        "a10g-small", "a10g-large", "a10g-largex2", "a10g-largex4", "a100-large", "a100x4", "a100x8"};
    return kFlavors.count(f) > 0;
}

SpaceRuntimes::SpaceRuntimes(std::filesystem::path dir, int build_seconds) : dir_(std::move(dir)), build_seconds_(build_seconds) {
    std::filesystem::create_directories(dir_);
}

std::filesystem::path SpaceRuntimes::file_of(const std::string& key) const {
    std::string name = key;
    for (auto& c : name)
        if (c == '/') c = '@';  // ns and name never hold '@' (valid_repo_id)
    return dir_ / (name + ".json");
}

json SpaceRuntimes::load_locked(const std::string& key) {
    std::ifstream in(file_of(key));
    json s = in ? json::parse(in, nullptr, false) : json();
    if (!s.is_object()) {
        // First sight of this Space: it starts building now on cpu-basic, as a new Space does.
        s = {{"started", now_ms()}, {"paused", false}, {"requested", "cpu-basic"}, {"previous", nullptr},
             {"gcTimeout", 172800}, {"storage", nullptr}, {"secrets", json::object()}, {"variables", json::object()}};
        save_locked(key, s);
    }
    return s;
}

void SpaceRuntimes::save_locked(const std::string& key, const json& state) {
    auto path = file_of(key), tmp = path;
    tmp += ".tmp";
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << state.dump();
        if (!out) throw std::runtime_error("cannot write " + tmp.string());
    }
    std::filesystem::permissions(tmp, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    std::filesystem::rename(tmp, path);
}

json SpaceRuntimes::runtime(const std::string& key, const std::optional<std::string>& runtime_error) {
    std::lock_guard lock(mutex_);
    json s = load_locked(key);
    int64_t since = now_ms() - s["started"].get<int64_t>();
    bool built = since >= int64_t(build_seconds_) * 1000;
    std::string stage;
    json current = built ? s["requested"] : s["previous"];
    if (s["paused"].get<bool>()) {
        stage = "PAUSED";
        current = nullptr;
    } else if (!built) stage = "BUILDING";
    else if (runtime_error) stage = "RUNTIME_ERROR";
    else if (s["gcTimeout"].is_number() && since >= (int64_t(build_seconds_) + s["gcTimeout"].get<int64_t>()) * 1000) {
        stage = "SLEEPING";
        current = nullptr;
    } else stage = "RUNNING";
    json r = {{"stage", stage},
              {"hardware", {{"current", current}, {"requested", s["requested"]}}},
              {"storage", s["storage"]},
              {"gcTimeout", s["gcTimeout"]},
              {"replicas", {{"requested", 1}, {"current", stage == "RUNNING" ? 1 : 0}}},
              {"devMode", false},
              {"domains", json::array()}};
    if (stage == "RUNTIME_ERROR") r["errorMessage"] = *runtime_error;
    return r;
}

void SpaceRuntimes::restart(const std::string& key) {
    std::lock_guard lock(mutex_);
    json s = load_locked(key);
    bool built = now_ms() - s["started"].get<int64_t>() >= int64_t(build_seconds_) * 1000;
    if (built && !s["paused"].get<bool>()) s["previous"] = s["requested"];
    s["started"] = now_ms();
    s["paused"] = false;
    save_locked(key, s);
}

void SpaceRuntimes::pause(const std::string& key) {
    std::lock_guard lock(mutex_);
    json s = load_locked(key);
    s["paused"] = true;
    s["previous"] = nullptr;
    save_locked(key, s);
}

void SpaceRuntimes::request_hardware(const std::string& key, const std::string& flavor, std::optional<int64_t> sleep_seconds) {
    if (!known_flavor(flavor)) throw HubError(400, "Unknown hardware flavor: " + flavor);
    if (sleep_seconds && *sleep_seconds < -1) throw HubError(400, "sleepTimeSeconds must be -1 or positive");
    {
        std::lock_guard lock(mutex_);
        json s = load_locked(key);
        s["requested"] = flavor;
        if (sleep_seconds) s["gcTimeout"] = *sleep_seconds < 0 ? json(nullptr) : json(*sleep_seconds);
        save_locked(key, s);
    }
    restart(key);  // a hardware change rebuilds the Space
}

void SpaceRuntimes::set_sleep_time(const std::string& key, int64_t seconds) {
    if (seconds < -1 || seconds == 0) throw HubError(400, "seconds must be -1 (never) or positive");
    std::lock_guard lock(mutex_);
    json s = load_locked(key);
    s["gcTimeout"] = seconds < 0 ? json(nullptr) : json(seconds);
    save_locked(key, s);
}

void SpaceRuntimes::set_storage(const std::string& key, const std::optional<std::string>& tier) {
    if (tier && *tier != "small" && *tier != "medium" && *tier != "large")
        throw HubError(400, "Unknown storage tier: " + *tier + " (small, medium or large)");
    std::lock_guard lock(mutex_);
    json s = load_locked(key);
    if (tier && s["storage"].is_string() && s["storage"] != *tier)
        throw HubError(400, "Persistent storage can only be deleted, not changed to another tier");
    s["storage"] = tier ? json(*tier) : json(nullptr);
    save_locked(key, s);
}

void SpaceRuntimes::upsert(const std::string& key, const std::string& kind, const std::string& name,
                           const std::string& value, const std::optional<std::string>& description) {
    static const std::regex kKey("[A-Za-z_][A-Za-z0-9_]{0,127}");
    if (!std::regex_match(name, kKey)) throw HubError(400, "Invalid key: it must match [A-Za-z_][A-Za-z0-9_]*");
    if (value.size() > 65536) throw HubError(400, "The value is too long");
    std::lock_guard lock(mutex_);
    json s = load_locked(key);
    json entry = {{"value", value}, {"updatedAt", iso_now()}};
    if (description) entry["description"] = *description;
    else if (s[kind].contains(name) && s[kind][name].contains("description")) entry["description"] = s[kind][name]["description"];
    s[kind][name] = entry;
    save_locked(key, s);
}

void SpaceRuntimes::remove(const std::string& key, const std::string& kind, const std::string& name) {
    std::lock_guard lock(mutex_);
    json s = load_locked(key);
    s[kind].erase(name);  // a missing key is not an error, as on the Hub
    save_locked(key, s);
}

json SpaceRuntimes::listing(const std::string& key, const std::string& kind) {
    std::lock_guard lock(mutex_);
    json s = load_locked(key);
    json out = json::object();
    for (const auto& [name, entry] : s[kind].items()) {
        json e = entry;
        if (kind == "secrets") e.erase("value");  // write-only
        out[name] = e;
    }
    return out;
}

void SpaceRuntimes::copy_settings(const std::string& from, const std::string& to) {
    std::lock_guard lock(mutex_);
    json s = load_locked(from);
    s["started"] = now_ms();
    s["paused"] = false;
    s["previous"] = nullptr;
    s["secrets"] = json::object();
    s["variables"] = json::object();
    s["storage"] = nullptr;
    save_locked(to, s);
}

}  // namespace localhub
