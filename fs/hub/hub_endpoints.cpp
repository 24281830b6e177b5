#include "fs/hub/hub_endpoints.hpp"

#include "fs/hub/remote_call.hpp"

namespace hubfs::fs {
namespace {

// Only the fields status.json shows: the model's secrets (and env) stay out of it.
EndpointState state_of(const api::InferenceEndpoint& e) {
    EndpointState s;
    s.name = e.name;
    s.ns = e.namespace_;
    s.status = e.status;
    s.repository = e.repository;
    s.framework = e.framework;
    s.revision = e.revision;
    s.task = e.task;
    s.url = e.url;
    s.message = e.message;
    s.created_at = e.created_at;
    s.updated_at = e.updated_at;
    if (e.raw.contains("compute") && e.raw["compute"].is_object()) s.compute = e.raw["compute"];
    return s;
}

template <typename T>
void set_if(const std::optional<T>& from, T& to) {
    if (from) to = *from;
}

api::InferenceEndpointSpec api_spec(const EndpointSpec& s) {
    api::InferenceEndpointSpec out;
    out.name = s.name;
    out.repository = s.repository;
    set_if(s.framework, out.framework);
    set_if(s.accelerator, out.accelerator);
    set_if(s.instance_size, out.instance_size);
    set_if(s.instance_type, out.instance_type);
    set_if(s.region, out.region);
    set_if(s.vendor, out.vendor);
    set_if(s.type, out.type);
    set_if(s.min_replica, out.min_replica);
    set_if(s.max_replica, out.max_replica);
    out.scale_to_zero_timeout = s.scale_to_zero_timeout;
    out.revision = s.revision;
    out.task = s.task;
    out.env = s.env;
    out.secrets = s.secrets;
    return out;
}

api::InferenceEndpointUpdate api_update(const EndpointUpdate& u) {
    api::InferenceEndpointUpdate out;
    out.accelerator = u.accelerator;
    out.instance_size = u.instance_size;
    out.instance_type = u.instance_type;
    out.min_replica = u.min_replica;
    out.max_replica = u.max_replica;
    out.scale_to_zero_timeout = u.scale_to_zero_timeout;
    out.repository = u.repository;
    out.framework = u.framework;
    out.revision = u.revision;
    out.task = u.task;
    out.env = u.env;
    out.secrets = u.secrets;
    return out;
}

}  // namespace

std::vector<EndpointState> HubEndpoints::list(const std::string& ns) {
    return remote_call([&] {
        std::vector<EndpointState> out;
        for (const auto& e : api_.list_inference_endpoints(ns)) out.push_back(state_of(e));
        return out;
    });
}

EndpointState HubEndpoints::get(const std::string& ns, const std::string& name) {
    return remote_call([&] { return state_of(api_.get_inference_endpoint(name, ns)); });
}

EndpointState HubEndpoints::create(const std::string& ns, const EndpointSpec& spec) {
    return remote_call([&] { return state_of(api_.create_inference_endpoint(api_spec(spec), ns)); });
}

EndpointState HubEndpoints::update(const std::string& ns, const std::string& name, const EndpointUpdate& update) {
    return remote_call([&] { return state_of(api_.update_inference_endpoint(name, api_update(update), ns)); });
}

EndpointState HubEndpoints::pause(const std::string& ns, const std::string& name) {
    return remote_call([&] { return state_of(api_.pause_inference_endpoint(name, ns)); });
}

EndpointState HubEndpoints::resume(const std::string& ns, const std::string& name) {
    return remote_call([&] { return state_of(api_.resume_inference_endpoint(name, true, ns)); });
}

EndpointState HubEndpoints::scale_to_zero(const std::string& ns, const std::string& name) {
    return remote_call([&] { return state_of(api_.scale_to_zero_inference_endpoint(name, ns)); });
}

void HubEndpoints::remove(const std::string& ns, const std::string& name) {
    remote_call([&] { api_.delete_inference_endpoint(name, ns); });
}

}  // namespace hubfs::fs
