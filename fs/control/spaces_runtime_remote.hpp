// What the Spaces runtime area needs from the Hub: a Space's runtime and the requests on it, its
// secrets (keys only: their values go one way) and variables. The implementation over api/ is
// hub/hub_spaces_runtime.*; this side sees only these calls and RemoteError kinds (remote.hpp).
// A Space is named "ns/name".
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "fs/remote.hpp"

namespace hubfs::fs {

struct SpaceRuntimeState {
    std::string stage;  // BUILDING, RUNNING, PAUSED, SLEEPING, RUNTIME_ERROR, ...
    std::optional<std::string> hardware, requested_hardware;
    std::optional<int64_t> sleep_time;  // seconds; none: never sleeps
    std::optional<std::string> storage;
    std::optional<std::string> error_message;
};

class SpacesRuntimeRemote {
public:
    virtual ~SpacesRuntimeRemote() = default;
    virtual SpaceRuntimeState runtime(const std::string& space) = 0;
    virtual void restart(const std::string& space) = 0;
    virtual void pause(const std::string& space) = 0;
    virtual void request_hardware(const std::string& space, const std::string& flavor) = 0;
    virtual void set_sleep_time(const std::string& space, int64_t seconds) = 0;  // -1: never sleep
    virtual void request_storage(const std::string& space, const std::string& tier) = 0;
    virtual void delete_storage(const std::string& space) = 0;
    virtual std::vector<std::string> secret_keys(const std::string& space) = 0;
    virtual void add_secret(const std::string& space, const std::string& key, const std::string& value) = 0;
    virtual void delete_secret(const std::string& space, const std::string& key) = 0;
    virtual std::map<std::string, std::string> variables(const std::string& space) = 0;
    virtual void add_variable(const std::string& space, const std::string& key, const std::string& value) = 0;
    virtual void delete_variable(const std::string& space, const std::string& key) = 0;
};

}  // namespace hubfs::fs
