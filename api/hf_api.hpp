// The Hub client, named after the Python HfApi: one method per HfApi method, returning plain
// structs. Methods are defined in one file per area (hf_api_users.cpp, hf_api_repos.cpp,
// hf_api_files.cpp, hf_api_refs.cpp, hf_api_commits.cpp, hf_api_lfs.cpp, hf_api_cache.cpp,
// hf_api_safetensors.cpp). Errors are the typed exceptions of errors.hpp.
#pragma once

#include "commit_info.hpp"
#include "commit_operation.hpp"
#include "config.hpp"
#include "discussion.hpp"
#include "file_metadata.hpp"
#include "git_commit_info.hpp"
#include "git_refs.hpp"
#include "http_client.hpp"
#include "inference_endpoint.hpp"
#include "job_info.hpp"
#include "space_runtime.hpp"
#include "lfs_file_info.hpp"
#include "paged_list.hpp"
#include "preupload_info.hpp"
#include "repo.hpp"
#include "repo_info.hpp"
#include "repo_tree_entry.hpp"
#include "safetensors_metadata.hpp"
#include "user.hpp"

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace hubfs::api {

struct ListRepoTreeOptions {
    std::string path_in_repo{};  // "" = repository root
    bool recursive = false;
    bool expand = false;       // adds last_commit per entry (slower on the Hub)
    std::optional<std::string> revision{};
};

struct CreateRepoOptions {
    bool is_private = false;
    bool exist_ok = false;
    std::optional<std::string> space_sdk{};  // required for Spaces: gradio, docker, static, streamlit
};

struct RepoSettings {
    std::optional<std::string> gated{};  // "auto", "manual" or "false"
    std::optional<bool> is_private{};
};

// How far a create_commit has got, for progress displays.
struct CommitProgress {
    uint64_t files_total = 0, files_uploaded = 0;  // LFS objects to send
    uint64_t bytes_total = 0, bytes_uploaded = 0;  // their bytes
};

struct CommitOptions {
    std::string commit_message{};
    std::string commit_description{};
    std::string revision = "main";
    bool create_pr = false;
    std::optional<std::string> parent_commit{};  // the Hub refuses (412) if the branch moved since
    int max_uploads_in_flight = 4;             // LFS objects / parts uploaded concurrently
    // Called as LFS bytes go out (from upload threads; keep it cheap and thread-safe).
    std::function<void(const CommitProgress&)> progress{};
};

class HfApi {
public:
    explicit HfApi(HubConfig config);

    const HubConfig& config() const noexcept { return http_.config(); }
    HttpClient& http() noexcept { return http_; }

    // users
    User whoami();
    void auth_check(const Repo& repo, bool write = false);

    // repos
    // `expand`: only these properties (and the id), e.g. {"sha", "lastModified"}: a small answer.
    RepoInfo repo_info(const Repo& repo, const std::optional<std::string>& revision = {}, bool files_metadata = false,
                       const std::vector<std::string>& expand = {});
    ModelInfo model_info(const std::string& repo_id, const std::optional<std::string>& revision = {},
                         bool files_metadata = false);
    DatasetInfo dataset_info(const std::string& repo_id, const std::optional<std::string>& revision = {},
                             bool files_metadata = false);
    SpaceInfo space_info(const std::string& repo_id, const std::optional<std::string>& revision = {},
                         bool files_metadata = false);
    bool repo_exists(const Repo& repo);
    bool revision_exists(const Repo& repo, const std::string& revision);
    RepoUrl create_repo(const Repo& repo, const CreateRepoOptions& options = {});
    void delete_repo(const Repo& repo, bool missing_ok = false);
    void move_repo(const std::string& from_id, const std::string& to_id, RepoType type = RepoType::model);
    void update_repo_settings(const Repo& repo, const RepoSettings& settings);
    void update_repo_visibility(const Repo& repo, bool is_private);

    // files: listing and metadata
    PagedList<RepoTreeEntry> list_repo_tree(const Repo& repo, const ListRepoTreeOptions& options = {});
    std::vector<std::string> list_repo_files(const Repo& repo, const std::optional<std::string>& revision = {});
    std::vector<RepoTreeEntry> get_paths_info(const Repo& repo, const std::vector<std::string>& paths,
                                              bool expand = false, const std::optional<std::string>& revision = {});
    bool file_exists(const Repo& repo, const std::string& filename, const std::optional<std::string>& revision = {});
    std::string hf_hub_url(const Repo& repo, const std::string& filename,
                           const std::optional<std::string>& revision = {}) const;
    HfFileMetadata get_hf_file_metadata(const std::string& url);

    // files: bytes. `url` is a resolve URL or a metadata location.
    uint64_t download_to_sink(const std::string& url, uint64_t offset, std::optional<uint64_t> length,
                              const BodySink& sink);
    std::string download_range(const std::string& url, uint64_t offset, uint64_t length);
    std::string download_file(const Repo& repo, const std::string& filename,
                              const std::optional<std::string>& revision = {});

    // refs
    GitRefs list_repo_refs(const Repo& repo, bool include_pull_requests = false);
    void create_branch(const Repo& repo, const std::string& branch, const std::optional<std::string>& revision = {},
                       bool exist_ok = false);
    void delete_branch(const Repo& repo, const std::string& branch);
    void create_tag(const Repo& repo, const std::string& tag, const std::optional<std::string>& tag_message = {},
                    const std::optional<std::string>& revision = {}, bool exist_ok = false);
    void delete_tag(const Repo& repo, const std::string& tag);

    // commits
    std::vector<GitCommitInfo> list_repo_commits(const Repo& repo, const std::optional<std::string>& revision = {},
                                                 bool formatted = false);
    CommitInfo create_commit(const Repo& repo, const std::vector<CommitOperation>& operations,
                             const CommitOptions& options);
    CommitInfo upload_file(const Repo& repo, CommitOperationAdd file, CommitOptions options = {});
    CommitInfo upload_folder(const Repo& repo, const std::filesystem::path& folder,
                             const std::string& path_in_repo = "", CommitOptions options = {});
    CommitInfo delete_file(const Repo& repo, const std::string& path_in_repo, CommitOptions options = {});
    CommitInfo delete_files(const Repo& repo, const std::vector<std::string>& paths, CommitOptions options = {});
    CommitInfo delete_folder(const Repo& repo, const std::string& path_in_repo, CommitOptions options = {});
    // Preupload + LFS upload ahead of a commit (hf_api_preupload.cpp); one entry per addition.
    std::vector<PreuploadedFile> preupload_lfs_files(const Repo& repo, const std::vector<CommitOperationAdd>& additions,
                                                     const PreuploadOptions& options = {});
    void super_squash_history(const Repo& repo, const std::string& branch = "main",
                              const std::optional<std::string>& commit_message = {});

    // discussions and pull requests (hf_api_discussions.cpp). A 404 on the discussion or the
    // comment is DiscussionNotFoundError; refused input is BadRequestError with the Hub's message.
    // All pages (?p=0, 1, ...), newest first.
    std::vector<Discussion> get_repo_discussions(const Repo& repo, const DiscussionFilter& filter = {});
    DiscussionWithDetails get_discussion_details(const Repo& repo, int discussion_num);
    // description: nullopt sends the Python client's default text.
    DiscussionWithDetails create_discussion(const Repo& repo, const std::string& title,
                                            const std::optional<std::string>& description = {},
                                            bool pull_request = false);
    DiscussionWithDetails create_pull_request(const Repo& repo, const std::string& title,
                                              const std::optional<std::string>& description = {});
    DiscussionEvent comment_discussion(const Repo& repo, int discussion_num, const std::string& comment);
    DiscussionEvent edit_discussion_comment(const Repo& repo, int discussion_num, const std::string& comment_id,
                                            const std::string& new_content);
    DiscussionEvent hide_discussion_comment(const Repo& repo, int discussion_num, const std::string& comment_id);
    DiscussionEvent rename_discussion(const Repo& repo, int discussion_num, const std::string& new_title);
    // new_status: "open" or "closed" (the Hub refuses anything else).
    DiscussionEvent change_discussion_status(const Repo& repo, int discussion_num, const std::string& new_status,
                                             const std::optional<std::string>& comment = {});
    // The status-change event when the server names it (localhub does; the Hub's body is not specified).
    std::optional<DiscussionEvent> merge_pull_request(const Repo& repo, int discussion_num,
                                                      const std::optional<std::string>& comment = {});

    // LFS storage of a repository
    PagedList<LfsFileInfo> list_lfs_files(const Repo& repo);
    void permanently_delete_lfs_files(const Repo& repo, const std::vector<LfsFileInfo>& files,
                                      bool rewrite_history = true);

    // the standard Hugging Face cache (models--ns--name/{blobs,refs,snapshots})
    std::filesystem::path hf_hub_download(const Repo& repo, const std::string& filename,
                                          const std::optional<std::string>& revision = {},
                                          const std::optional<std::filesystem::path>& cache_dir = {});
    std::filesystem::path snapshot_download(const Repo& repo, const std::optional<std::string>& revision = {},
                                            const std::optional<std::filesystem::path>& cache_dir = {});

    // safetensors headers, by ranged reads
    SafetensorsFileMetadata parse_safetensors_file_metadata(const Repo& repo, const std::string& filename,
                                                            const std::optional<std::string>& revision = {});
    SafetensorsRepoMetadata get_safetensors_metadata(const Repo& repo, const std::optional<std::string>& revision = {});

    // jobs (hf_api_jobs.cpp, issue 16); `ns` defaults to the token's user
    JobInfo run_job(const JobSpec& spec, const std::optional<std::string>& ns = {});
    JobInfo run_uv_job(const UvJobSpec& spec, const std::optional<std::string>& ns = {});
    std::vector<JobInfo> list_jobs(const ListJobsOptions& options = {}, const std::optional<std::string>& ns = {});
    JobInfo inspect_job(const std::string& job_id, const std::optional<std::string>& ns = {});
    // Calls on_line per log line as the Hub streams it; returns when the stream ends (the job ended).
    void fetch_job_logs(const std::string& job_id, const std::function<void(const JobLogLine&)>& on_line,
                        const std::optional<std::string>& ns = {});
    void cancel_job(const std::string& job_id, const std::optional<std::string>& ns = {});
    ScheduledJobInfo create_scheduled_job(const JobSpec& spec, const std::string& schedule, bool suspend = false,
                                          bool concurrency = false, const std::optional<std::string>& ns = {});
    ScheduledJobInfo create_scheduled_uv_job(const UvJobSpec& spec, const std::string& schedule, bool suspend = false,
                                             bool concurrency = false, const std::optional<std::string>& ns = {});
    std::vector<ScheduledJobInfo> list_scheduled_jobs(const std::optional<std::string>& ns = {});
    ScheduledJobInfo inspect_scheduled_job(const std::string& scheduled_job_id, const std::optional<std::string>& ns = {});
    void suspend_scheduled_job(const std::string& scheduled_job_id, const std::optional<std::string>& ns = {});
    void resume_scheduled_job(const std::string& scheduled_job_id, const std::optional<std::string>& ns = {});
    void delete_scheduled_job(const std::string& scheduled_job_id, const std::optional<std::string>& ns = {});

    // Spaces runtime (hf_api_spaces.cpp, issue 16)
    SpaceRuntime get_space_runtime(const std::string& repo_id);
    SpaceRuntime restart_space(const std::string& repo_id, bool factory_reboot = false);
    SpaceRuntime pause_space(const std::string& repo_id);
    SpaceRuntime request_space_hardware(const std::string& repo_id, const std::string& hardware,
                                        std::optional<int64_t> sleep_time = {});
    SpaceRuntime set_space_sleep_time(const std::string& repo_id, int64_t sleep_time);  // -1: never sleep
    SpaceRuntime request_space_storage(const std::string& repo_id, const std::string& storage);
    SpaceRuntime delete_space_storage(const std::string& repo_id);
    void add_space_secret(const std::string& repo_id, const std::string& key, const std::string& value,
                          const std::optional<std::string>& description = {});
    void delete_space_secret(const std::string& repo_id, const std::string& key);
    // The secrets' keys (the Hub never sends their values). Not in the Python HfApi: its endpoint is
    // GET /api/spaces/{id}/secrets (protocol §7.2).
    std::vector<std::string> list_space_secrets(const std::string& repo_id);
    std::map<std::string, SpaceVariable> get_space_variables(const std::string& repo_id);
    std::map<std::string, SpaceVariable> add_space_variable(const std::string& repo_id, const std::string& key,
                                                            const std::string& value,
                                                            const std::optional<std::string>& description = {});
    std::map<std::string, SpaceVariable> delete_space_variable(const std::string& repo_id, const std::string& key);
    RepoUrl duplicate_space(const std::string& from_id, const DuplicateSpaceOptions& options = {});

    // Inference Endpoints (hf_api_endpoints.cpp, issue 16); `ns` defaults to the token's user
    std::vector<InferenceEndpoint> list_inference_endpoints(const std::optional<std::string>& ns = {});
    InferenceEndpoint get_inference_endpoint(const std::string& name, const std::optional<std::string>& ns = {});
    InferenceEndpoint create_inference_endpoint(const InferenceEndpointSpec& spec, const std::optional<std::string>& ns = {});
    InferenceEndpoint update_inference_endpoint(const std::string& name, const InferenceEndpointUpdate& update,
                                                const std::optional<std::string>& ns = {});
    InferenceEndpoint pause_inference_endpoint(const std::string& name, const std::optional<std::string>& ns = {});
    InferenceEndpoint resume_inference_endpoint(const std::string& name, bool running_ok = true,
                                                const std::optional<std::string>& ns = {});
    InferenceEndpoint scale_to_zero_inference_endpoint(const std::string& name, const std::optional<std::string>& ns = {});
    void delete_inference_endpoint(const std::string& name, const std::optional<std::string>& ns = {});
    std::vector<std::string> list_inference_catalog();
    InferenceEndpoint create_inference_endpoint_from_catalog(const std::string& repo_id,
                                                             const std::optional<std::string>& name = {},
                                                             const std::optional<std::string>& accelerator = {},
                                                             const std::optional<std::string>& ns = {});

private:
    std::string endpoint_url(const std::string& ns, const std::string& name = "", const std::string& action = "");
    InferenceEndpoint endpoint_call(const std::string& method, const std::string& url, const std::string& ns,
                                    const std::optional<nlohmann::json>& body);  // issue 16
    SpaceRuntime space_runtime_call(const std::string& repo_id, const std::string& method, const std::string& suffix,
                                    const std::optional<nlohmann::json>& body);  // issue 16
    std::string jobs_namespace(const std::optional<std::string>& ns);  // issue 16
    std::string api_url(const Repo& repo, const std::string& suffix = "") const;
    HttpResponse get_json(const std::string& url, nlohmann::json& out);
    HttpResponse send_json(const std::string& method, const std::string& url, const nlohmann::json& body,
                           bool idempotent = true);
    // The shared bodies of create_branch/create_tag (409 is fine with exist_ok) and of
    // delete_branch/delete_tag.
    void create_ref(const std::string& url, const nlohmann::json& body, bool exist_ok);
    void delete_ref(const std::string& url);
    template <class Info>
    Info typed_repo_info(RepoType type, const std::string& repo_id, const std::optional<std::string>& revision,
                         bool files_metadata, const std::vector<std::string>& expand = {});

    HttpClient http_;
};

}  // namespace hubfs::api
