// The Spaces runtime and Inference Endpoints control areas (issue 16) with the Hub adapters
// they run on, kept together so that serve() holds them in one value for the mount's life.
// `ls` of each area shows the user's namespaces (the token's user and organisations).
#pragma once

#include <string>
#include <vector>

#include "fs/control/control_tree.hpp"
#include "fs/control/endpoints_area.hpp"
#include "fs/control/spaces_runtime_area.hpp"
#include "fs/hub/hub_endpoints.hpp"
#include "fs/hub/hub_spaces_runtime.hpp"
#include "fs/read/catalog.hpp"

namespace hubfs {

class RuntimeAreas {
public:
    RuntimeAreas(const api::HubConfig& config, fs::Catalog& catalog, std::vector<std::string> own_namespaces)
        : spaces_remote_(config),
          spaces_(spaces_remote_, [own = own_namespaces] { return own; },
                  [&catalog](const std::string& ns) { return catalog.repos_of(fs::RepoType::space, ns); }),
          endpoints_remote_(config),
          endpoints_(endpoints_remote_, [own = std::move(own_namespaces)] { return own; }) {}
    RuntimeAreas(const RuntimeAreas&) = delete;
    RuntimeAreas& operator=(const RuntimeAreas&) = delete;

    void add_to(fs::ControlTree& tree) {
        tree.add_area("spaces-runtime", [this] { return spaces_.root(); });
        tree.add_area("endpoints", [this] { return endpoints_.root(); });
    }

private:
    fs::HubSpacesRuntime spaces_remote_;
    fs::SpacesRuntimeArea spaces_;
    fs::HubEndpoints endpoints_remote_;
    fs::EndpointsArea endpoints_;
};

}  // namespace hubfs
