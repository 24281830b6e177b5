// The jobs area's JobsRemote over api/HfApi (control/jobs_remote.hpp).
#pragma once

#include "api/hf_api.hpp"
#include "fs/control/jobs_remote.hpp"

namespace hubfs::fs {

class HubJobs : public JobsRemote {
public:
    explicit HubJobs(const api::HubConfig& config);

    std::vector<JobState> list(const std::string& ns) override;
    JobState inspect(const std::string& ns, const std::string& id) override;
    std::string run(const std::string& ns, const JobRequest& job) override;
    void cancel(const std::string& ns, const std::string& id) override;
    void follow_logs(const std::string& ns, const std::string& id,
                     const std::function<void(const std::string&)>& on_line) override;
    void stop_streams() override { streams_.http().cancel(); }

    std::vector<ScheduledState> list_scheduled(const std::string& ns) override;
    ScheduledState inspect_scheduled(const std::string& ns, const std::string& id) override;
    std::string schedule(const std::string& ns, const ScheduleRequest& request) override;
    void suspend(const std::string& ns, const std::string& id) override;
    void resume(const std::string& ns, const std::string& id) override;
    void remove_scheduled(const std::string& ns, const std::string& id) override;

private:
    api::HfApi api_;
    api::HfApi streams_;  // log streams: no retry (a stream replays from its start), its own cancel
};

}  // namespace hubfs::fs
