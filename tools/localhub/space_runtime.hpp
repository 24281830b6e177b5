// Spaces runtime (protocol §7): stage, hardware, sleep time, storage, secrets and variables of
// each Space, kept in DATA/spaces-runtime/. Nothing is run: the stage is worked out from the
// time of the last (re)start, so tests can watch BUILDING -> RUNNING -> SLEEPING:
//   PAUSED        after pause, until a restart
//   BUILDING      for --space-build-seconds after each (re)start or hardware request
//   RUNTIME_ERROR once built, if the Space's main branch has a file `localhub-runtime-error`
//                 (its first line becomes errorMessage)
//   SLEEPING      once built, after the sleep time (gcTimeout) has passed since the start
//   RUNNING       otherwise
#pragma once

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace localhub {

class SpaceRuntimes {
public:
    SpaceRuntimes(std::filesystem::path dir, int build_seconds);

    // key: "ns/name". runtime_error: the marker's message when the Space's files have one.
    nlohmann::json runtime(const std::string& key, const std::optional<std::string>& runtime_error);
    void restart(const std::string& key);
    void pause(const std::string& key);
    // Throws HubError 400 for an unknown flavor.
    void request_hardware(const std::string& key, const std::string& flavor, std::optional<int64_t> sleep_seconds);
    void set_sleep_time(const std::string& key, int64_t seconds);  // -1: never sleep
    void set_storage(const std::string& key, const std::optional<std::string>& tier);  // 400 for an unknown tier
    // kind: "secrets" or "variables". Upsert/delete; 400 for a bad key.
    void upsert(const std::string& key, const std::string& kind, const std::string& name, const std::string& value,
                const std::optional<std::string>& description);
    void remove(const std::string& key, const std::string& kind, const std::string& name);
    // Secrets: names with description and updatedAt only. Variables: with values.
    nlohmann::json listing(const std::string& key, const std::string& kind);
    // For duplicate_space: the copy starts with the source's settings but neither secrets nor
    // variables unless given.
    void copy_settings(const std::string& from, const std::string& to);

    static bool known_flavor(const std::string& flavor);

private:
    nlohmann::json load_locked(const std::string& key);
    void save_locked(const std::string& key, const nlohmann::json& state);
    std::filesystem::path file_of(const std::string& key) const;

    std::filesystem::path dir_;
    int build_seconds_;
    std::mutex mutex_;
};

}  // namespace localhub
