// The Spaces runtime area's SpacesRuntimeRemote over api/HfApi (control/spaces_runtime_remote.hpp).
#pragma once

#include "api/hf_api.hpp"
#include "fs/control/spaces_runtime_remote.hpp"

namespace hubfs::fs {

class HubSpacesRuntime : public SpacesRuntimeRemote {
public:
    explicit HubSpacesRuntime(api::HubConfig config) : api_(std::move(config)) {}

    SpaceRuntimeState runtime(const std::string& space) override;
    void restart(const std::string& space) override;
    void pause(const std::string& space) override;
    void request_hardware(const std::string& space, const std::string& flavor) override;
    void set_sleep_time(const std::string& space, int64_t seconds) override;
    void request_storage(const std::string& space, const std::string& tier) override;
    void delete_storage(const std::string& space) override;
    std::vector<std::string> secret_keys(const std::string& space) override;
    void add_secret(const std::string& space, const std::string& key, const std::string& value) override;
    void delete_secret(const std::string& space, const std::string& key) override;
    std::map<std::string, std::string> variables(const std::string& space) override;
    void add_variable(const std::string& space, const std::string& key, const std::string& value) override;
    void delete_variable(const std::string& space, const std::string& key) override;

private:
    api::HfApi api_;
};

}  // namespace hubfs::fs
