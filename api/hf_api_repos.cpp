// HfApi: repository information and management.
#include "errors.hpp"
#include "hf_api.hpp"
#include "hub_json.hpp"
#include "url.hpp"

namespace hubfs::api {

namespace {

std::string info_suffix(const std::optional<std::string>& revision, bool files_metadata,
                        const std::vector<std::string>& expand) {
    std::string suffix = revision ? "/revision/" + percent_encode(*revision) : "";
    std::vector<std::pair<std::string, std::string>> query;
    if (files_metadata) query.emplace_back("blobs", "true");
    for (const auto& property : expand) query.emplace_back("expand", property);
    if (!query.empty()) suffix += "?" + build_query(query);
    return suffix;
}

void parse_info(const nlohmann::json& j, ModelInfo& out) { parse_model_info(j, out); }
void parse_info(const nlohmann::json& j, DatasetInfo& out) { parse_dataset_info(j, out); }
void parse_info(const nlohmann::json& j, SpaceInfo& out) { parse_space_info(j, out); }
void parse_info(const nlohmann::json& j, RepoInfo& out) { parse_repo_info(j, out.type, out); }

}  // namespace

template <class Info>
Info HfApi::typed_repo_info(RepoType type, const std::string& repo_id, const std::optional<std::string>& revision,
                            bool files_metadata, const std::vector<std::string>& expand) {
    Repo repo(repo_id, type);
    nlohmann::json body;
    get_json(api_url(repo, info_suffix(revision, files_metadata, expand)), body);
    Info info;
    info.type = type;
    parse_info(body, info);
    return info;
}

RepoInfo HfApi::repo_info(const Repo& repo, const std::optional<std::string>& revision, bool files_metadata,
                          const std::vector<std::string>& expand) {
    return typed_repo_info<RepoInfo>(repo.type, repo.id, revision, files_metadata, expand);
}

ModelInfo HfApi::model_info(const std::string& repo_id, const std::optional<std::string>& revision,
                            bool files_metadata) {
    return typed_repo_info<ModelInfo>(RepoType::model, repo_id, revision, files_metadata);
}

DatasetInfo HfApi::dataset_info(const std::string& repo_id, const std::optional<std::string>& revision,
                                bool files_metadata) {
    return typed_repo_info<DatasetInfo>(RepoType::dataset, repo_id, revision, files_metadata);
}

SpaceInfo HfApi::space_info(const std::string& repo_id, const std::optional<std::string>& revision,
                            bool files_metadata) {
    return typed_repo_info<SpaceInfo>(RepoType::space, repo_id, revision, files_metadata);
}

bool HfApi::repo_exists(const Repo& repo) {
    try {
        repo_info(repo);
        return true;
    } catch (const GatedRepoError&) {
        return true;  // it exists; the caller just may not read it
    } catch (const RepoNotFoundError&) {
        return false;
    }
}

bool HfApi::revision_exists(const Repo& repo, const std::string& revision) {
    try {
        repo_info(repo, revision);
        return true;
    } catch (const RevisionNotFoundError&) {
        return false;
    }
}

RepoUrl HfApi::create_repo(const Repo& repo, const CreateRepoOptions& options) {
    nlohmann::json body = {{"name", repo.name()}, {"private", options.is_private},
                           {"visibility", options.is_private ? "private" : "public"}};
    std::string ns = repo.name_space();
    body["organization"] = ns.empty() ? nlohmann::json(nullptr) : nlohmann::json(ns);
    if (repo.type != RepoType::model) body["type"] = std::string(to_string(repo.type));
    if (repo.type == RepoType::space) body["sdk"] = options.space_sdk.value_or("static");
    // Not retried blindly: a lost answer to a successful create would turn into a 409.
    HttpResponse response = send_json("POST", config().endpoint + "/api/repos/create", body, false);
    std::string url;
    // With exist_ok, a refusal may just mean "it is there and you may not create": as the
    // Python client, answer 401/402/403 by looking the repo up.
    bool maybe_exists = response.status == 409 ||
                        (response.status >= 401 && response.status <= 403 && options.exist_ok && repo_exists(repo));
    if (maybe_exists && options.exist_ok) {
        url = config().endpoint + "/" + std::string(repo.url_prefix()) + repo.id;
    } else {
        expect_ok(response);
        auto answer = parse_json_body(response.body, response.url);
        url = answer.value("url", config().endpoint + "/" + std::string(repo.url_prefix()) + repo.id);
    }
    return RepoUrl{url, repo.id, std::string(to_string(repo.type))};
}

void HfApi::delete_repo(const Repo& repo, bool missing_ok) {
    nlohmann::json body = {{"name", repo.name()}};
    std::string ns = repo.name_space();
    body["organization"] = ns.empty() ? nlohmann::json(nullptr) : nlohmann::json(ns);
    if (repo.type != RepoType::model) body["type"] = std::string(to_string(repo.type));
    HttpResponse response = send_json("DELETE", config().endpoint + "/api/repos/delete", body, false);
    if (!response.ok()) {
        try {
            throw_http_error(response);
        } catch (const RepoNotFoundError&) {
            if (!missing_ok) throw;
        }
    }
}

void HfApi::move_repo(const std::string& from_id, const std::string& to_id, RepoType type) {
    nlohmann::json body = {{"fromRepo", from_id}, {"toRepo", to_id}, {"type", std::string(to_string(type))}};
    expect_ok(send_json("POST", config().endpoint + "/api/repos/move", body, false));
}

void HfApi::update_repo_settings(const Repo& repo, const RepoSettings& settings) {
    nlohmann::json body = nlohmann::json::object();
    if (settings.gated) {
        if (*settings.gated == "false") body["gated"] = false;
        else body["gated"] = *settings.gated;
    }
    if (settings.is_private) {
        body["private"] = *settings.is_private;
        body["visibility"] = *settings.is_private ? "private" : "public";
    }
    expect_ok(send_json("PUT", api_url(repo, "/settings"), body));
}

void HfApi::update_repo_visibility(const Repo& repo, bool is_private) {
    update_repo_settings(repo, RepoSettings{.gated = std::nullopt, .is_private = is_private});
}

}  // namespace hubfs::api
