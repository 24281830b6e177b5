// Inference Endpoints (protocol §9), served under a path prefix of the API address
// (--endpoints-prefix, default /endpoints-api/v2, standing in for
// https://api.endpoints.huggingface.cloud/v2) and the catalog under /endpoints-catalog/api/catalog
// (for https://endpoints.huggingface.co/api/catalog). Nothing is deployed: the state follows from
// time, each step lasting --endpoint-step-seconds:
//   pending -> initializing -> running   after create, resume and update (update: "updating" first)
//   failed        a spec whose model repository does not exist here (after the pending step)
//   paused, scaledToZero                 on request, until resume
// State in DATA/endpoints/endpoints.json survives a restart.
#pragma once

#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "access.hpp"
#include "http_message.hpp"
#include "repo_store.hpp"

namespace localhub {

class EndpointService {
public:
    EndpointService(std::filesystem::path dir, const Access& access, const RepoStore& repos, std::string prefix,
                    int step_seconds);
    // True when the path is ours (then answered or HubError thrown).
    bool handle(HttpRequest& req, HttpResponse& res, const std::vector<std::string>& seg);

private:
    std::string authorize(const HttpRequest& req, const std::string& ns) const;
    nlohmann::json view_locked(const nlohmann::json& e, const HttpRequest& req) const;
    nlohmann::json create_locked(const std::string& ns, const std::string& user, const nlohmann::json& body);
    void save_locked() const;

    std::filesystem::path dir_;
    const Access& access_;
    const RepoStore& repos_;
    std::vector<std::string> prefix_;
    int step_ms_;
    mutable std::mutex mutex_;
    nlohmann::json endpoints_ = nlohmann::json::object();  // "ns/name" -> stored endpoint
};

}  // namespace localhub
