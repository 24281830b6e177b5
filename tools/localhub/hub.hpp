// The Hub API: routes requests of the API host and the blob host to their handlers.
// Handlers live in hub_*.cpp by area; they throw HubError for anything the client did wrong.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "access.hpp"
#include "git_repo.hpp"
#include "http_message.hpp"
#include "lfs_store.hpp"
#include "repo_store.hpp"
#include "url_signer.hpp"

namespace localhub {

class JobService;     // job_service.hpp (issue 16)
class SpaceRuntimes;  // space_runtime.hpp (issue 16)
class EndpointService;  // endpoint_service.hpp (issue 16)

struct HubOptions {
    uint64_t max_body = 1ull << 30;
    uint64_t multipart_threshold = 20ull << 20;
    uint64_t multipart_chunk = 8ull << 20;
    std::string blob_url;  // http://127.0.0.2:PORT, set once the blob listener is bound
};

class Hub {
public:
    Hub(RepoStore& repos, LfsStore& lfs, Access& access, const UrlSigner& signer, HubOptions options);
    void set_blob_url(std::string url) { options_.blob_url = std::move(url); }
    void set_jobs(JobService* jobs) { jobs_ = jobs; }  // issue 16: /api/jobs, /api/scheduled-jobs
    void set_spaces(SpaceRuntimes* spaces) { spaces_ = spaces; }  // issue 16: /api/spaces/{id}/runtime...
    void set_endpoints(EndpointService* endpoints) { endpoints_ = endpoints; }  // issue 16

    void handle_api(HttpRequest& req, HttpResponse& res);
    void handle_blob(HttpRequest& req, HttpResponse& res);

    // Creates the demo repositories if missing (for --samples).
    void create_samples();

private:
    // A repository the caller may read (and, when asked, write).
    struct RepoContext {
        RepoId id;
        RepoMeta meta;
        Caller caller;
        GitRepo git;
    };
    using Segments = std::vector<std::string>;

    RepoContext open_repo(const HttpRequest& req, const RepoId& id, bool write);
    void route_api(HttpRequest& req, HttpResponse& res, const Segments& seg);
    void route_repo_api(HttpRequest& req, HttpResponse& res, RepoType type, const Segments& seg);
    void route_web(HttpRequest& req, HttpResponse& res, const Segments& seg);

    // hub_read.cpp
    void repo_info(HttpRequest& req, HttpResponse& res, RepoContext& ctx, const std::string& rev);
    void tree(HttpRequest& req, HttpResponse& res, RepoContext& ctx, const std::string& rev, const std::string& path);
    void paths_info(HttpRequest& req, HttpResponse& res, RepoContext& ctx, const std::string& rev);
    void refs(HttpRequest& req, HttpResponse& res, RepoContext& ctx);
    void commits(HttpRequest& req, HttpResponse& res, RepoContext& ctx, const std::string& rev);
    void list_repos(HttpRequest& req, HttpResponse& res, RepoType type);
    nlohmann::json tree_entry_json(const TreeItem& item) const;
    git_oid resolve_or_404(const RepoContext& ctx, const std::string& rev) const;

    // hub_resolve.cpp
    void resolve(HttpRequest& req, HttpResponse& res, RepoContext& ctx, const std::string& rev,
                 const std::string& path, bool raw);
    void serve_lfs_object(HttpRequest& req, HttpResponse& res, const std::string& sha256);

    // hub_write.cpp
    void preupload(HttpRequest& req, HttpResponse& res, RepoContext& ctx, const std::string& rev);
    void commit(HttpRequest& req, HttpResponse& res, RepoContext& ctx, const std::string& rev);
    void create_branch(HttpRequest& req, HttpResponse& res, RepoContext& ctx, const std::string& branch);
    void delete_branch(HttpResponse& res, RepoContext& ctx, const std::string& branch);
    void create_tag(HttpRequest& req, HttpResponse& res, RepoContext& ctx, const std::string& rev);
    void delete_tag(HttpResponse& res, RepoContext& ctx, const std::string& tag);
    void super_squash(HttpRequest& req, HttpResponse& res, RepoContext& ctx, const std::string& branch);

    // hub_lfs.cpp
    // Whether this repository may reference the LFS object: its bytes were uploaded through
    // it, or a pointer to it is already in its history.
    bool repo_has_lfs(const RepoContext& ctx, const std::string& sha256, uint64_t size) const;
    void check_gate(const RepoContext& ctx) const;  // 401/403 GatedRepo for a gated repo's files
    void lfs_batch(HttpRequest& req, HttpResponse& res, RepoContext& ctx);
    void blob_upload(HttpRequest& req, HttpResponse& res, const Segments& seg);

    // hub_discussions.cpp
    void discussions(HttpRequest& req, HttpResponse& res, RepoContext& ctx, const Segments& seg, size_t i);
    void list_discussions(HttpRequest& req, HttpResponse& res, RepoContext& ctx);
    void discussion_details(HttpRequest& req, HttpResponse& res, RepoContext& ctx, long num);
    void create_discussion(HttpRequest& req, HttpResponse& res, RepoContext& ctx);
    void discussion_action(HttpRequest& req, HttpResponse& res, RepoContext& ctx, long num, const Segments& seg,
                           size_t i);
    nlohmann::json discussion_json(RepoContext& ctx, const nlohmann::json& d, bool with_diff);
    // 401 anonymous, 403 read-only token: who may post at all.
    void require_poster(const RepoContext& ctx) const;
    // Commits to refs/pr/N (under the repository lock): 404 for a missing PR, 403 for a closed
    // or merged one and for callers other than its author and the writers.
    void check_pr_commit(const RepoContext& ctx, const std::string& ref);
    void record_pr_commit(const RepoContext& ctx, const std::string& ref, const std::string& subject,
                          const git_oid& commit);
    // create_pr=1: a draft PR whose ref points at commit; returns its number.
    int open_pr_from_commit(RepoContext& ctx, const std::string& base_ref, const std::string& title,
                            const std::string& description, const git_oid& commit);

    // hub_admin.cpp
    void whoami(HttpRequest& req, HttpResponse& res);
    void create_repo(HttpRequest& req, HttpResponse& res);
    void delete_repo(HttpRequest& req, HttpResponse& res);
    void move_repo(HttpRequest& req, HttpResponse& res);
    void update_settings(HttpRequest& req, HttpResponse& res, RepoContext& ctx);
    void validate_yaml(HttpRequest& req, HttpResponse& res);

    RepoStore& repos_;
    LfsStore& lfs_;
    Access& access_;
    const UrlSigner& signer_;
    HubOptions options_;
    JobService* jobs_ = nullptr;  // issue 16
    SpaceRuntimes* spaces_ = nullptr;  // issue 16
    EndpointService* endpoints_ = nullptr;  // issue 16
    // hub_spaces.cpp (issue 16): false when the action is not a Spaces runtime one
    bool space_api(HttpRequest& req, HttpResponse& res, RepoContext& ctx, const std::string& action);
    std::optional<std::string> space_runtime_error(const RepoContext& ctx) const;
};

// Answers a single "Range: bytes=..." for a body of `total` bytes: sets status 200/206/416 and
// Content-Range; returns the [offset, length) to send.
std::pair<uint64_t, uint64_t> apply_range(const HttpRequest& req, HttpResponse& res, uint64_t total);

}  // namespace localhub
