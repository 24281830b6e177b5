// Spaces runtime (protocol §7): what get_space_runtime and the Space mutations answer.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hubfs::api {

struct SpaceRuntime {
    std::string stage;                         // BUILDING, RUNNING, PAUSED, SLEEPING, RUNTIME_ERROR, ...
    std::optional<std::string> hardware{};     // current flavor (null while building, paused, asleep)
    std::optional<std::string> requested_hardware{};
    std::optional<int64_t> sleep_time{};       // gcTimeout seconds; none: never sleeps
    std::optional<std::string> storage{};      // small, medium, large
    std::optional<std::string> error_message{};
    nlohmann::json raw;                        // the whole answer
};

struct SpaceVariable {
    std::string key;
    std::string value;
    std::optional<std::string> description{};
    std::optional<std::string> updated_at{};
};

// For duplicate_space and the secrets/variables lists it may send.
struct SpaceKeyValue {
    std::string key;
    std::string value;
    std::optional<std::string> description{};
};

struct DuplicateSpaceOptions {
    std::optional<std::string> to_id{};  // "ns/name"; default: the token user's namespace, same name
    std::optional<bool> is_private{};
    bool exist_ok = false;
    std::optional<std::string> hardware{};
    std::optional<std::string> storage{};
    std::optional<int64_t> sleep_time{};
    std::vector<SpaceKeyValue> secrets{};
    std::vector<SpaceKeyValue> variables{};
};

SpaceRuntime parse_space_runtime(const nlohmann::json& j);
std::map<std::string, SpaceVariable> parse_space_variables(const nlohmann::json& j);

}  // namespace hubfs::api
