// Hub JSON answers to the plain structs. Unknown keys are ignored; missing required keys
// raise InvalidResponseError.
#pragma once

#include "commit_info.hpp"
#include "git_commit_info.hpp"
#include "git_refs.hpp"
#include "lfs_file_info.hpp"
#include "repo_info.hpp"
#include "repo_tree_entry.hpp"
#include "user.hpp"

#include <nlohmann/json.hpp>

namespace hubfs::api {

// A string field of an object; nullopt when absent, null, not a string, or j not an object.
std::optional<std::string> opt_string(const nlohmann::json& j, const char* key);

RepoTreeEntry parse_tree_entry(const nlohmann::json& j);
void parse_repo_info(const nlohmann::json& j, RepoType type, RepoInfo& out);
void parse_model_info(const nlohmann::json& j, ModelInfo& out);
void parse_dataset_info(const nlohmann::json& j, DatasetInfo& out);
void parse_space_info(const nlohmann::json& j, SpaceInfo& out);
GitRefs parse_git_refs(const nlohmann::json& j);
GitCommitInfo parse_git_commit(const nlohmann::json& j);
User parse_user(const nlohmann::json& j);
LfsFileInfo parse_lfs_file(const nlohmann::json& j);
// The commit endpoint's answer; message and description are the caller's.
CommitInfo parse_commit_response(const nlohmann::json& j);
// Parses a response body that must be JSON.
nlohmann::json parse_json_body(const std::string& body, const std::string& url);

}  // namespace hubfs::api
