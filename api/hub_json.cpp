#include "hub_json.hpp"

#include "errors.hpp"

namespace hubfs::api {

namespace {

using nlohmann::json;

[[noreturn]] void malformed(const std::string& what) {
    throw InvalidResponseError(ErrorDetails{0, "malformed Hub answer: " + what, {}, {}});
}

const json& require(const json& j, const char* key) {
    if (!j.is_object()) malformed(std::string("expected an object with '") + key + "'");
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) malformed(std::string("missing '") + key + "'");
    return *it;
}

std::string require_string(const json& j, const char* key) {
    const json& v = require(j, key);
    if (!v.is_string()) malformed(std::string("'") + key + "' is not a string");
    return v.get<std::string>();
}

std::optional<uint64_t> opt_uint(const json& j, const char* key) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_number()) return std::nullopt;
    return it->get<uint64_t>();
}

std::string string_or(const json& j, const char* key, std::string fallback = {}) {
    return opt_string(j, key).value_or(std::move(fallback));
}

std::optional<BlobLfsInfo> parse_lfs(const json& j, const char* sha_key) {
    auto it = j.find("lfs");
    if (it == j.end() || !it->is_object()) return std::nullopt;
    BlobLfsInfo lfs;
    lfs.sha256 = string_or(*it, sha_key);
    lfs.size = opt_uint(*it, "size").value_or(0);
    lfs.pointer_size = opt_uint(*it, "pointerSize").value_or(0);
    return lfs;
}

std::optional<LastCommitInfo> parse_last_commit(const json& j) {
    auto it = j.find("lastCommit");
    if (it == j.end() || !it->is_object()) return std::nullopt;
    return LastCommitInfo{string_or(*it, "id"), string_or(*it, "title"), string_or(*it, "date")};
}

std::vector<GitRefInfo> parse_ref_list(const json& j, const char* key) {
    std::vector<GitRefInfo> refs;
    auto it = j.find(key);
    if (it == j.end() || !it->is_array()) return refs;
    for (const auto& r : *it) {
        refs.push_back({require_string(r, "name"), require_string(r, "ref"), require_string(r, "targetCommit")});
    }
    return refs;
}

}  // namespace

std::optional<std::string> opt_string(const nlohmann::json& j, const char* key) {
    if (!j.is_object()) return std::nullopt;
    auto it = j.find(key);
    if (it == j.end() || !it->is_string()) return std::nullopt;
    return it->get<std::string>();
}

nlohmann::json parse_json_body(const std::string& body, const std::string& url) {
    auto j = json::parse(body, nullptr, false);
    if (j.is_discarded())
        throw InvalidResponseError(ErrorDetails{0, "response is not JSON", {}, url.substr(0, url.find('?'))});
    return j;
}

RepoTreeEntry parse_tree_entry(const json& j) {
    std::string type = require_string(j, "type");
    if (type == "directory") {
        return RepoFolder{require_string(j, "path"), string_or(j, "oid"), parse_last_commit(j)};
    }
    RepoFile file;
    file.path = require_string(j, "path");
    file.size = opt_uint(j, "size").value_or(0);
    file.blob_id = string_or(j, "oid");
    file.lfs = parse_lfs(j, "oid");
    file.last_commit = parse_last_commit(j);
    return file;
}

void parse_repo_info(const json& j, RepoType type, RepoInfo& out) {
    out.type = type;
    out.id = require_string(j, "id");
    out.author = opt_string(j, "author");
    out.sha = opt_string(j, "sha");
    out.created_at = opt_string(j, "createdAt");
    out.last_modified = opt_string(j, "lastModified");
    out.is_private = j.value("private", false);
    if (auto it = j.find("gated"); it != j.end() && it->is_string()) out.gated = it->get<std::string>();
    out.disabled = j.value("disabled", false);
    out.downloads = j.value("downloads", int64_t{0});
    out.likes = j.value("likes", int64_t{0});
    if (auto it = j.find("tags"); it != j.end() && it->is_array()) {
        for (const auto& t : *it)
            if (t.is_string()) out.tags.push_back(t.get<std::string>());
    }
    if (auto it = j.find("siblings"); it != j.end() && it->is_array()) {
        for (const auto& s : *it) {
            RepoSibling sibling;
            sibling.rfilename = require_string(s, "rfilename");
            sibling.size = opt_uint(s, "size");
            sibling.blob_id = opt_string(s, "blobId");
            sibling.lfs = parse_lfs(s, "sha256");
            out.siblings.push_back(std::move(sibling));
        }
    }
    out.used_storage = opt_uint(j, "usedStorage");
    if (auto it = j.find("cardData"); it != j.end()) out.card_data = *it;
    out.raw = j;
}

void parse_model_info(const json& j, ModelInfo& out) {
    parse_repo_info(j, RepoType::model, out);
    out.pipeline_tag = opt_string(j, "pipeline_tag");
    out.library_name = opt_string(j, "library_name");
}

void parse_dataset_info(const json& j, DatasetInfo& out) {
    parse_repo_info(j, RepoType::dataset, out);
    out.paperswithcode_id = opt_string(j, "paperswithcode_id");
}

void parse_space_info(const json& j, SpaceInfo& out) {
    parse_repo_info(j, RepoType::space, out);
    out.sdk = opt_string(j, "sdk");
    out.host = opt_string(j, "host");
    out.subdomain = opt_string(j, "subdomain");
    if (auto it = j.find("runtime"); it != j.end() && it->is_object()) out.runtime = parse_space_runtime(*it);
}

GitRefs parse_git_refs(const json& j) {
    GitRefs refs;
    refs.branches = parse_ref_list(j, "branches");
    refs.converts = parse_ref_list(j, "converts");
    refs.tags = parse_ref_list(j, "tags");
    if (j.contains("pullRequests")) refs.pull_requests = parse_ref_list(j, "pullRequests");
    return refs;
}

GitCommitInfo parse_git_commit(const json& j) {
    GitCommitInfo commit;
    commit.commit_id = require_string(j, "id");
    if (auto it = j.find("authors"); it != j.end() && it->is_array()) {
        for (const auto& a : *it) {
            if (a.is_object() && a.contains("user") && a["user"].is_string()) commit.authors.push_back(a["user"]);
        }
    }
    commit.created_at = string_or(j, "date");
    commit.title = string_or(j, "title");
    commit.message = string_or(j, "message");
    if (auto it = j.find("formatted"); it != j.end() && it->is_object()) {
        commit.formatted_title = opt_string(*it, "title");
        commit.formatted_message = opt_string(*it, "message");
    }
    return commit;
}

User parse_user(const json& j) {
    User user;
    user.type = string_or(j, "type", "user");
    user.name = require_string(j, "name");
    user.fullname = opt_string(j, "fullname");
    user.email = opt_string(j, "email");
    if (auto it = j.find("orgs"); it != j.end() && it->is_array()) {
        for (const auto& org : *it)
            if (org.is_object() && org.contains("name") && org["name"].is_string()) user.orgs.push_back(org["name"]);
    }
    if (auto auth = j.find("auth"); auth != j.end() && auth->is_object()) {
        if (auto token = auth->find("accessToken"); token != auth->end() && token->is_object()) {
            user.token_name = opt_string(*token, "displayName");
            user.token_role = opt_string(*token, "role");
        }
    }
    user.raw = j;
    return user;
}

LfsFileInfo parse_lfs_file(const json& j) {
    LfsFileInfo info;
    info.file_oid = require_string(j, "fileOid");
    info.oid = require_string(j, "oid");
    info.filename = string_or(j, "filename");
    info.pushed_at = string_or(j, "pushedAt");
    info.ref = opt_string(j, "ref");
    info.size = opt_uint(j, "size").value_or(0);
    return info;
}

CommitInfo parse_commit_response(const json& j) {
    CommitInfo info;
    info.oid = require_string(j, "commitOid");
    info.commit_url = require_string(j, "commitUrl");
    if (auto pr = opt_string(j, "pullRequestUrl")) {
        info.pr_url = pr;
        size_t slash = pr->rfind("/discussions/");
        if (slash != std::string::npos) {
            std::string number = pr->substr(slash + 13);
            try {
                info.pr_num = std::stoi(number);
                info.pr_revision = "refs/pr/" + number;
            } catch (const std::exception&) {
                malformed("pullRequestUrl does not end in a number");
            }
        }
    }
    return info;
}

}  // namespace hubfs::api
