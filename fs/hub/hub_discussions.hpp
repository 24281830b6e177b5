// The discussions area's DiscussionsRemote over api/HfApi (control/discussions_remote.hpp).
#pragma once

#include "api/hf_api.hpp"
#include "fs/control/discussions_remote.hpp"

namespace hubfs::fs {

class HubDiscussions : public DiscussionsRemote {
public:
    explicit HubDiscussions(api::HubConfig config) : api_(std::move(config)) {}

    std::vector<DiscussionSummary> list(const RepoRef& repo) override;
    DiscussionDetails details(const RepoRef& repo, int num, bool with_diff) override;
    int open(const RepoRef& repo, const std::string& title, const std::string& body, bool pull_request) override;
    void comment(const RepoRef& repo, int num, const std::string& text) override;
    void set_status(const RepoRef& repo, int num, const std::string& status) override;
    void rename(const RepoRef& repo, int num, const std::string& title) override;
    void merge(const RepoRef& repo, int num) override;

private:
    api::HfApi api_;
};

}  // namespace hubfs::fs
