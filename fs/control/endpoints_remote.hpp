// What the Inference Endpoints area needs: a namespace's endpoints and the actions on them. The
// implementation over api/ is hub/hub_endpoints.*; this side sees only these calls and
// RemoteError kinds (remote.hpp).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fs/remote.hpp"

namespace hubfs::fs {

// What `new` takes: the arguments of HfApi.create_inference_endpoint. Unset: the API's default.
struct EndpointSpec {
    std::string name, repository;
    std::optional<std::string> framework, accelerator, instance_size, instance_type, region, vendor, revision, task, type;
    std::optional<int> min_replica, max_replica, scale_to_zero_timeout;
    std::map<std::string, std::string> env, secrets;
};

// What `update` takes: the arguments of HfApi.update_inference_endpoint; only what is set changes.
struct EndpointUpdate {
    std::optional<std::string> accelerator, instance_size, instance_type, repository, framework, revision, task;
    std::optional<int> min_replica, max_replica, scale_to_zero_timeout;
    std::optional<std::map<std::string, std::string>> env, secrets;
};

struct EndpointState {
    std::string name, ns;
    std::string status;  // pending initializing updating updateFailed running paused failed scaledToZero
    std::string repository, framework;
    std::optional<std::string> revision, task, url, message;
    std::string created_at, updated_at;
    nlohmann::json compute;  // accelerator, instance, scaling, as the API describes them
};

class EndpointsRemote {
public:
    virtual ~EndpointsRemote() = default;
    virtual std::vector<EndpointState> list(const std::string& ns) = 0;
    virtual EndpointState get(const std::string& ns, const std::string& name) = 0;
    virtual EndpointState create(const std::string& ns, const EndpointSpec& spec) = 0;
    virtual EndpointState update(const std::string& ns, const std::string& name, const EndpointUpdate& update) = 0;
    virtual EndpointState pause(const std::string& ns, const std::string& name) = 0;
    virtual EndpointState resume(const std::string& ns, const std::string& name) = 0;
    virtual EndpointState scale_to_zero(const std::string& ns, const std::string& name) = 0;
    virtual void remove(const std::string& ns, const std::string& name) = 0;
};

}  // namespace hubfs::fs
