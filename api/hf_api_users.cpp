// HfApi: identity of the token (whoami, auth_check).
#include "errors.hpp"
#include "hf_api.hpp"
#include "hub_json.hpp"

namespace hubfs::api {

User HfApi::whoami() {
    if (!config().token) {
        throw UnauthorizedError(ErrorDetails{0, "whoami needs a token (HF_TOKEN or the token file)", {}, {}});
    }
    nlohmann::json body;
    get_json(config().endpoint + "/api/whoami-v2", body);
    return parse_user(body);
}

void HfApi::auth_check(const Repo& repo, bool write) {
    HttpRequest request;
    request.url = api_url(repo, write ? "/auth-check/write" : "/auth-check");
    expect_ok(http_.send(request));
}

}  // namespace hubfs::api
