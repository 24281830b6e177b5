#include "fs/hub/hub_spaces_runtime.hpp"

#include "fs/hub/remote_call.hpp"

namespace hubfs::fs {

SpaceRuntimeState HubSpacesRuntime::runtime(const std::string& space) {
    return remote_call([&] {
        api::SpaceRuntime rt = api_.get_space_runtime(space);
        return SpaceRuntimeState{rt.stage, rt.hardware, rt.requested_hardware, rt.sleep_time, rt.storage, rt.error_message};
    });
}

void HubSpacesRuntime::restart(const std::string& space) {
    remote_call([&] { api_.restart_space(space); });
}

void HubSpacesRuntime::pause(const std::string& space) {
    remote_call([&] { api_.pause_space(space); });
}

void HubSpacesRuntime::request_hardware(const std::string& space, const std::string& flavor) {
    remote_call([&] { api_.request_space_hardware(space, flavor); });
}

void HubSpacesRuntime::set_sleep_time(const std::string& space, int64_t seconds) {
    remote_call([&] { api_.set_space_sleep_time(space, seconds); });
}

void HubSpacesRuntime::request_storage(const std::string& space, const std::string& tier) {
    remote_call([&] { api_.request_space_storage(space, tier); });
}

void HubSpacesRuntime::delete_storage(const std::string& space) {
    remote_call([&] { api_.delete_space_storage(space); });
}

std::vector<std::string> HubSpacesRuntime::secret_keys(const std::string& space) {
    return remote_call([&] { return api_.list_space_secrets(space); });
}

void HubSpacesRuntime::add_secret(const std::string& space, const std::string& key, const std::string& value) {
    remote_call([&] { api_.add_space_secret(space, key, value); });
}

void HubSpacesRuntime::delete_secret(const std::string& space, const std::string& key) {
    remote_call([&] { api_.delete_space_secret(space, key); });
}

std::map<std::string, std::string> HubSpacesRuntime::variables(const std::string& space) {
    return remote_call([&] {
        std::map<std::string, std::string> out;
        for (const auto& [key, var] : api_.get_space_variables(space)) out[key] = var.value;
        return out;
    });
}

void HubSpacesRuntime::add_variable(const std::string& space, const std::string& key, const std::string& value) {
    remote_call([&] { api_.add_space_variable(space, key, value); });
}

void HubSpacesRuntime::delete_variable(const std::string& space, const std::string& key) {
    remote_call([&] { api_.delete_space_variable(space, key); });
}

}  // namespace hubfs::fs
