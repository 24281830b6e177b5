// /endpoints/<ns>/: a namespace's Inference Endpoints as files.
//   new                 write a JSON spec (the arguments of create_inference_endpoint: name,
//                       repository, framework, accelerator, instance_size, ...): creates it;
//                       reading says how, and the name of the last one this mount created
//   <name>/status.json  its state (pending, initializing, running, paused, scaledToZero, ...),
//                       URL, message, model and compute
//   <name>/pause, resume, scale-to-zero   write (anything): the action
//   <name>/update       write JSON (the arguments of update_inference_endpoint): a partial update
//   rm -r <name>        deletes the endpoint
// Reads are live; a write is the action, its errno the outcome (a bad spec: EINVAL, before any
// call). Secret values given in a spec are sent, never shown (status.json has no secrets).
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "fs/control/control_entry.hpp"
#include "fs/control/endpoints_remote.hpp"

namespace hubfs::fs {

class EndpointsArea {
public:
    // namespaces: what `ls` of the area shows (the user and their organisations); any other
    // namespace can be looked up by name.
    EndpointsArea(EndpointsRemote& remote, std::function<std::vector<std::string>()> namespaces)
        : remote_(remote), namespaces_(std::move(namespaces)) {}

    ControlFolder root();

    // Renderings and parsings, apart for tests. Parsers throw FsError(EINVAL) with the reason.
    static std::string status_json(const EndpointState& e);
    static EndpointSpec parse_spec(std::string_view text);
    static EndpointUpdate parse_update(std::string_view text);

private:
    ControlFolder namespace_folder(const std::string& ns);
    ControlFolder endpoint_folder(const std::string& ns, const std::string& name);
    ControlFile new_file(const std::string& ns);

    EndpointsRemote& remote_;
    std::function<std::vector<std::string>()> namespaces_;
    std::mutex mutex_;
    std::map<std::string, std::string> last_created_;  // namespace -> the endpoint this mount created last
};

}  // namespace hubfs::fs
