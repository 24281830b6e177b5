// Inference Endpoints (protocol §9): what create/update send and what the API answers.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hubfs::api {

struct InferenceEndpointSpec {
    std::string name;
    std::string repository;
    std::string framework = "pytorch";
    std::string accelerator = "cpu";
    std::string instance_size = "x1";
    std::string instance_type = "intel-spr";
    std::string region = "us-east-1";
    std::string vendor = "aws";
    int min_replica = 1;
    int max_replica = 1;
    std::optional<int> scale_to_zero_timeout{};
    std::optional<std::string> revision{};
    std::optional<std::string> task{};
    std::map<std::string, std::string> env{};
    std::map<std::string, std::string> secrets{};
    std::string type = "protected";  // public, protected, authenticated, private
};

// Only the fields that are set are sent (a partial update).
struct InferenceEndpointUpdate {
    std::optional<std::string> accelerator{}, instance_size{}, instance_type{};
    std::optional<int> min_replica{}, max_replica{}, scale_to_zero_timeout{};
    std::optional<std::string> repository{}, framework{}, revision{}, task{};
    std::optional<std::map<std::string, std::string>> env{}, secrets{};
};

struct InferenceEndpoint {
    std::string name;
    std::string namespace_;
    std::string type;
    std::string repository, framework;
    std::optional<std::string> revision{}, task{};
    std::string status;  // pending initializing updating updateFailed running paused failed scaledToZero
    std::optional<std::string> url{}, message{};
    std::string created_at, updated_at;
    std::string health_route;
    nlohmann::json raw;
};

InferenceEndpoint parse_inference_endpoint(const nlohmann::json& j, const std::string& ns);
nlohmann::json inference_endpoint_create_json(const InferenceEndpointSpec& spec);
nlohmann::json inference_endpoint_update_json(const InferenceEndpointUpdate& update);

}  // namespace hubfs::api
