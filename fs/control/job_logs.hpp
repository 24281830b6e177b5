// A job's logs as a file that grows: one follower thread per job being read streams its lines
// from the Hub into memory, so that stat shows the length so far (tail -f sees it grow) and a
// read at any offset is answered from what arrived. A finished job's log is whole once its
// stream ends; whole logs are kept (the last few) and never fetched again.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "fs/control/jobs_remote.hpp"

namespace hubfs::fs {

struct JobLogsOptions {
    size_t kept = 64;                                // whole logs kept in memory
    std::chrono::milliseconds catch_up{1000};        // an open, a new follower of a running job: the wait for its first lines
    std::chrono::milliseconds whole{30000};          // an open, a finished job: the wait for its whole log
    std::chrono::milliseconds retry_after{1000};     // a broken stream is followed again after this
};

class JobLogs {
public:
    explicit JobLogs(JobsRemote& remote, JobLogsOptions options = {}) : remote_(remote), options_(options) {}
    ~JobLogs() { stop(); }
    JobLogs(const JobLogs&) = delete;
    JobLogs& operator=(const JobLogs&) = delete;

    // The length of what arrived so far (starts following the job).
    uint64_t size(const std::string& ns, const std::string& id);
    // At open: waits for a finished job's whole log, or a new follower's first lines (on a
    // FUSE thread it throws WouldWait instead, and the open runs again where it may wait).
    void prepare(const std::string& ns, const std::string& id);
    // Up to `size` bytes at `offset` of what arrived, without waiting: "" is the end for now.
    std::string read(const std::string& ns, const std::string& id, uint64_t offset, size_t size);
    // At unmount: ends every stream and waits for the followers.
    void stop();

private:
    struct Log {
        std::mutex mutex;
        std::condition_variable changed;
        std::string text;        // the lines so far, each with its newline
        size_t lines = 0;
        bool following = false;  // a follower runs
        bool whole = false;      // the stream ended with the job: nothing more will come
        std::optional<bool> ended_before;  // whether the job had ended when the follower began
        std::string error;       // the last stream's failure
        std::chrono::steady_clock::time_point started{}, failed_at{}, used{};
        std::thread follower;
    };

    std::shared_ptr<Log> start(const std::string& ns, const std::string& id);
    void follow(const std::shared_ptr<Log>& log, const std::string& ns, const std::string& id);
    void evict_locked(std::vector<std::thread>& to_join);

    JobsRemote& remote_;
    JobLogsOptions options_;
    std::mutex mutex_;
    std::map<std::string, std::shared_ptr<Log>> logs_;  // "ns/id"
    std::atomic<bool> stopping_{false};  // read by followers without mutex_
};

}  // namespace hubfs::fs
