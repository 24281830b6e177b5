// The Inference Endpoints area's EndpointsRemote over api/HfApi (control/endpoints_remote.hpp).
#pragma once

#include "api/hf_api.hpp"
#include "fs/control/endpoints_remote.hpp"

namespace hubfs::fs {

class HubEndpoints : public EndpointsRemote {
public:
    explicit HubEndpoints(api::HubConfig config) : api_(std::move(config)) {}

    std::vector<EndpointState> list(const std::string& ns) override;
    EndpointState get(const std::string& ns, const std::string& name) override;
    EndpointState create(const std::string& ns, const EndpointSpec& spec) override;
    EndpointState update(const std::string& ns, const std::string& name, const EndpointUpdate& update) override;
    EndpointState pause(const std::string& ns, const std::string& name) override;
    EndpointState resume(const std::string& ns, const std::string& name) override;
    EndpointState scale_to_zero(const std::string& ns, const std::string& name) override;
    void remove(const std::string& ns, const std::string& name) override;

private:
    api::HfApi api_;
};

}  // namespace hubfs::fs
