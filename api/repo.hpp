// Names a repository on the Hub: its id ("ns/name") and type, and the URL pieces they imply.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace hubfs::api {

enum class RepoType { model, dataset, space };

std::string_view to_string(RepoType type);                    // "model"
const char* type_plural(RepoType type);                       // "models": URL and mount folder names
std::optional<RepoType> repo_type_from_string(std::string_view text);  // singular or plural

struct Repo {
    std::string id;  // "namespace/name" (or a canonical "name")
    RepoType type = RepoType::model;

    Repo(std::string repo_id, RepoType repo_type = RepoType::model) : id(std::move(repo_id)), type(repo_type) {}
    Repo(const char* repo_id, RepoType repo_type = RepoType::model) : id(repo_id), type(repo_type) {}

    // "/api/models/ns/name" (the id's slash is kept, as the official clients send it)
    std::string api_path() const;
    // "" for models, "datasets/" and "spaces/" otherwise: the prefix of resolve and .git URLs
    std::string_view url_prefix() const;
    std::string name_space() const;  // "" for canonical ids
    std::string name() const;
};

}  // namespace hubfs::api
