#include "repo.hpp"

#include "url.hpp"

namespace hubfs::api {

std::string_view to_string(RepoType type) {
    switch (type) {
        case RepoType::model: return "model";
        case RepoType::dataset: return "dataset";
        case RepoType::space: return "space";
    }
    return "model";
}

const char* type_plural(RepoType type) {
    switch (type) {
        case RepoType::model: return "models";
        case RepoType::dataset: return "datasets";
        case RepoType::space: return "spaces";
    }
    return "models";
}

std::optional<RepoType> repo_type_from_string(std::string_view text) {
    if (text == "model" || text == "models") return RepoType::model;
    if (text == "dataset" || text == "datasets") return RepoType::dataset;
    if (text == "space" || text == "spaces") return RepoType::space;
    return std::nullopt;
}

std::string Repo::api_path() const { return std::string("/api/") + type_plural(type) + "/" + percent_encode_path(id); }

std::string_view Repo::url_prefix() const {
    switch (type) {
        case RepoType::model: return "";
        case RepoType::dataset: return "datasets/";
        case RepoType::space: return "spaces/";
    }
    return "";
}

std::string Repo::name_space() const {
    size_t slash = id.find('/');
    return slash == std::string::npos ? std::string() : id.substr(0, slash);
}

std::string Repo::name() const {
    size_t slash = id.find('/');
    return slash == std::string::npos ? id : id.substr(slash + 1);
}

}  // namespace hubfs::api
