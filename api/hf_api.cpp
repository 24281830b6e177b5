// HfApi's shared plumbing: URL building and JSON requests.
#include "hf_api.hpp"

#include "errors.hpp"
#include "hub_json.hpp"

namespace hubfs::api {

HfApi::HfApi(HubConfig config) : http_(std::move(config)) {}

std::string HfApi::api_url(const Repo& repo, const std::string& suffix) const {
    return config().endpoint + repo.api_path() + suffix;
}

HttpResponse HfApi::get_json(const std::string& url, nlohmann::json& out) {
    HttpRequest request;
    request.url = url;
    HttpResponse response = http_.send(request);
    expect_ok(response);
    out = parse_json_body(response.body, url);
    return response;
}

HttpResponse HfApi::send_json(const std::string& method, const std::string& url, const nlohmann::json& body,
                              bool idempotent) {
    HttpRequest request;
    request.method = method;
    request.url = url;
    request.headers.emplace_back("Content-Type", "application/json");
    request.body = body.dump();
    request.idempotent = idempotent;
    return http_.send(request);
}

}  // namespace hubfs::api
