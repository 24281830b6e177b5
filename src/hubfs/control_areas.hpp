// The control areas at the mount's root (fs/control/): discussions and pull requests, the Spaces
// runtime, Inference Endpoints and Jobs, each with the Hub adapter it runs on, kept together so
// that serve() holds them in one value for the mount's life. `ls` of an area shows the user's
// namespaces (the token's user and organisations); any other namespace is reached by name.
#pragma once

#include <string>
#include <vector>

#include "fs/control/control_tree.hpp"
#include "fs/control/discussions_area.hpp"
#include "fs/control/endpoints_area.hpp"
#include "fs/control/jobs_area.hpp"
#include "fs/control/spaces_runtime_area.hpp"
#include "fs/hub/hub_discussions.hpp"
#include "fs/hub/hub_endpoints.hpp"
#include "fs/hub/hub_jobs.hpp"
#include "fs/hub/hub_spaces_runtime.hpp"
#include "fs/read/catalog.hpp"

namespace hubfs {

class ControlAreas {
public:
    ControlAreas(const api::HubConfig& config, fs::Catalog& catalog, const std::vector<std::string>& own_namespaces)
        : discussions_remote_(config),
          discussions_(discussions_remote_,
                       [&catalog](fs::RepoType type, const std::string& ns) { return catalog.repos_of(type, ns); }),
          spaces_remote_(config),
          spaces_(spaces_remote_, [own_namespaces] { return own_namespaces; },
                  [&catalog](const std::string& ns) { return catalog.repos_of(fs::RepoType::space, ns); }),
          endpoints_remote_(config),
          endpoints_(endpoints_remote_, [own_namespaces] { return own_namespaces; }),
          jobs_remote_(config),
          jobs_(jobs_remote_, own_namespaces) {}
    ControlAreas(const ControlAreas&) = delete;
    ControlAreas& operator=(const ControlAreas&) = delete;

    void add_to(fs::ControlTree& tree) {
        tree.add_area("discussions", [this] { return discussions_.root(); });
        tree.add_area("spaces-runtime", [this] { return spaces_.root(); });
        tree.add_area("endpoints", [this] { return endpoints_.root(); });
        tree.add_area("jobs", [this] { return jobs_.root(); });
    }

private:
    // Each area after its adapter: it goes first (the jobs area ends its log streams while its
    // adapter is still there).
    fs::HubDiscussions discussions_remote_;
    fs::DiscussionsArea discussions_;
    fs::HubSpacesRuntime spaces_remote_;
    fs::SpacesRuntimeArea spaces_;
    fs::HubEndpoints endpoints_remote_;
    fs::EndpointsArea endpoints_;
    fs::HubJobs jobs_remote_;
    fs::JobsArea jobs_;
};

}  // namespace hubfs
