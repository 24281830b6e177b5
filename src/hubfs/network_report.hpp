// What the mount is waiting for on the network, for `hubfs status`: the mount rewrites
// <cache dir>/requests.<pid> every second (requests in flight with their age and host, hosts
// taken as down); `hubfs status` prints it under the mount's line.
#pragma once

#include <sys/types.h>

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "api/host_health.hpp"

namespace hubfs {

class NetworkReport {
public:
    // pending_reads: how many FUSE reads wait for a fetch (0 if unknown).
    NetworkReport(std::shared_ptr<api::HostHealth> health, std::string cache_dir, std::function<size_t()> pending_reads);
    ~NetworkReport();  // stops the writer and removes the file
    NetworkReport(const NetworkReport&) = delete;
    NetworkReport& operator=(const NetworkReport&) = delete;

    std::string text();

private:
    void run();

    std::shared_ptr<api::HostHealth> health_;
    std::string path_;
    std::function<size_t()> pending_reads_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread thread_;
};

// The report of mount process `pid` with this cache dir, "" if none (indented lines).
std::string network_report_of(const std::string& cache_dir, pid_t pid);

}  // namespace hubfs
