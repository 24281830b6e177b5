// Where repositories live, their metadata, and the per-repository write lock.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace localhub {

enum class RepoType { model, dataset, space };

std::optional<RepoType> repo_type_from_plural(const std::string& s);  // "models" ...
std::optional<RepoType> repo_type_from_name(const std::string& s);    // "model" ...
std::string type_name(RepoType t);      // "model"
std::string type_plural(RepoType t);    // "models"
std::string type_url_prefix(RepoType t);  // "", "datasets/", "spaces/"

// Hub naming rules: 1-96 of [A-Za-z0-9._-], no leading/trailing '-' or '.', no "--" or "..",
// not ending in ".git".
bool valid_repo_name(const std::string& s);

struct RepoId;
// A namespace (empty for canonical repos) and a name that both follow the naming rules.
// Every id that reaches the disk passes this check: RepoStore::path() refuses any other.
bool valid_repo_id(const RepoId& id);

// Thrown by RepoStore::path() for an id that is not valid_repo_id: it never becomes a path.
struct InvalidRepoId : std::invalid_argument {
    using std::invalid_argument::invalid_argument;
};

struct RepoId {
    RepoType type = RepoType::model;
    std::string ns;  // empty for canonical (namespace-less) repos
    std::string name;
    std::string id() const { return ns.empty() ? name : ns + "/" + name; }
    bool operator<(const RepoId& o) const;
};

struct RepoMeta {
    std::string object_id;            // 24 hex, like the Hub's _id
    bool is_private = false;
    nlohmann::json gated = false;     // false | "auto" | "manual"
    std::string created_at;           // ISO-8601
    std::string sdk;                  // spaces
};

class RepoStore {
public:
    explicit RepoStore(std::filesystem::path data_dir);

    std::filesystem::path path(const RepoId& id) const;
    bool exists(const RepoId& id) const;
    std::optional<RepoMeta> meta(const RepoId& id) const;
    void save_meta(const RepoId& id, const RepoMeta& meta) const;

    // Creates the git repository with the Hub's initial commit (.gitattributes). False if it exists.
    bool create(const RepoId& id, const RepoMeta& meta, const std::string& author);
    bool remove(const RepoId& id);
    bool move(const RepoId& from, const RepoId& to);
    std::vector<RepoId> list(RepoType type) const;

    // LFS objects whose bytes were uploaded through this repository's batch API: the proof that
    // whoever commits them here has them (the store is shared by sha256 across repositories).
    void link_lfs(const RepoId& id, const std::string& sha256) const;
    bool has_lfs_link(const RepoId& id, const std::string& sha256) const;
    // "models/ns/name" (or "models/name") and back, for upload URLs.
    static std::string key(const RepoId& id);
    static std::optional<RepoId> from_key(const std::string& key);

    // Serialises writes to one repository (commits, refs, metadata).
    std::unique_lock<std::mutex> lock(const RepoId& id);

private:
    std::filesystem::path root_;
    std::mutex locks_mutex_;
    std::map<std::string, std::shared_ptr<std::mutex>> locks_;
    std::mutex create_mutex_;
};

std::string default_gitattributes();

}  // namespace localhub
