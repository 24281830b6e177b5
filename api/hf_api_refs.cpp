// HfApi: branches and tags.
#include "errors.hpp"
#include "hf_api.hpp"
#include "hub_json.hpp"
#include "url.hpp"

namespace hubfs::api {

GitRefs HfApi::list_repo_refs(const Repo& repo, bool include_pull_requests) {
    nlohmann::json body;
    get_json(api_url(repo, include_pull_requests ? "/refs?include_prs=1" : "/refs"), body);
    return parse_git_refs(body);
}

void HfApi::create_ref(const std::string& url, const nlohmann::json& body, bool exist_ok) {
    HttpResponse response = send_json("POST", url, body, false);
    if (response.status == 409 && exist_ok) return;
    expect_ok(response);
}

void HfApi::delete_ref(const std::string& url) {
    HttpRequest request;
    request.method = "DELETE";
    request.url = url;
    expect_ok(http_.send(request));
}

void HfApi::create_branch(const Repo& repo, const std::string& branch, const std::optional<std::string>& revision,
                          bool exist_ok) {
    nlohmann::json body = nlohmann::json::object();
    if (revision) body["startingPoint"] = *revision;
    create_ref(api_url(repo, "/branch/" + percent_encode(branch)), body, exist_ok);
}

void HfApi::delete_branch(const Repo& repo, const std::string& branch) {
    delete_ref(api_url(repo, "/branch/" + percent_encode(branch)));
}

void HfApi::create_tag(const Repo& repo, const std::string& tag, const std::optional<std::string>& tag_message,
                       const std::optional<std::string>& revision, bool exist_ok) {
    nlohmann::json body = {{"tag", tag}};
    if (tag_message) body["message"] = *tag_message;
    create_ref(api_url(repo, "/tag/" + percent_encode(revision.value_or("main"))), body, exist_ok);
}

void HfApi::delete_tag(const Repo& repo, const std::string& tag) {
    delete_ref(api_url(repo, "/tag/" + percent_encode(tag)));
}

}  // namespace hubfs::api
