#include "fs/control/job_logs.hpp"

#include <cerrno>
#include <vector>

#include "fs/common/log.hpp"
#include "fs/errno_map.hpp"
#include "fs/network_wait.hpp"

namespace hubfs::fs {

std::shared_ptr<JobLogs::Log> JobLogs::start(const std::string& ns, const std::string& id) {
    std::vector<std::thread> to_join;
    std::shared_ptr<Log> log;
    {
        std::lock_guard lock(mutex_);
        auto& slot = logs_[ns + "/" + id];
        if (!slot) slot = std::make_shared<Log>();
        log = slot;
        std::lock_guard log_lock(log->mutex);
        auto now = std::chrono::steady_clock::now();
        log->used = now;
        bool retry_due = log->error.empty() || now - log->failed_at >= options_.retry_after;
        if (!stopping_ && !log->following && !log->whole && retry_due) {
            if (log->follower.joinable()) to_join.push_back(std::move(log->follower));  // it has returned
            log->following = true;
            log->started = now;
            log->follower = std::thread([this, log, ns, id] { follow(log, ns, id); });
        }
        evict_locked(to_join);
    }
    for (auto& t : to_join) t.join();
    return log;
}

void JobLogs::follow(const std::shared_ptr<Log>& log, const std::string& ns, const std::string& id) {
    try {
        bool ended = remote_.inspect(ns, id).finished();
        size_t skip = 0;
        {
            std::lock_guard lock(log->mutex);
            log->ended_before = ended;
            skip = log->lines;  // a stream followed again replays from the first line
            log->changed.notify_all();
        }
        size_t seen = 0;
        remote_.follow_logs(ns, id, [&](const std::string& line) {
            if (seen++ < skip) return;
            std::lock_guard lock(log->mutex);
            log->text += line;
            log->text += '\n';
            ++log->lines;
            log->changed.notify_all();
        });
        std::lock_guard lock(log->mutex);
        log->whole = true;
        log->error.clear();
    } catch (const std::exception& e) {
        if (!stopping_) HUBFS_LOG(warn, "logs of job %s/%s: %s", ns.c_str(), id.c_str(), e.what());
        std::lock_guard lock(log->mutex);
        log->error = e.what();
        log->failed_at = std::chrono::steady_clock::now();
    }
    std::lock_guard lock(log->mutex);
    log->following = false;
    log->changed.notify_all();
}

// Drops the least recently used whole logs beyond options_.kept (their followers have ended).
void JobLogs::evict_locked(std::vector<std::thread>& to_join) {
    while (logs_.size() > options_.kept) {
        auto oldest = logs_.end();
        for (auto it = logs_.begin(); it != logs_.end(); ++it) {
            std::lock_guard lock(it->second->mutex);
            if (it->second->following) continue;
            if (oldest == logs_.end() || it->second->used < oldest->second->used) oldest = it;
        }
        if (oldest == logs_.end()) return;  // all still streaming: kept until they end
        std::lock_guard lock(oldest->second->mutex);
        if (oldest->second->follower.joinable()) to_join.push_back(std::move(oldest->second->follower));
        logs_.erase(oldest);
    }
}

uint64_t JobLogs::size(const std::string& ns, const std::string& id) {
    auto log = start(ns, id);
    std::lock_guard lock(log->mutex);
    return log->text.size();
}

void JobLogs::prepare(const std::string& ns, const std::string& id) {
    auto log = start(ns, id);
    std::unique_lock lock(log->mutex);
    // Nothing to wait for: the log is whole (or its follower gave up), or the job runs and its
    // first lines arrived (or the follower is no longer new). A finished job's log is waited for.
    auto settled = [&] {
        if (log->whole || !log->following) return true;
        if (!log->ended_before || *log->ended_before) return false;
        return !log->text.empty() || std::chrono::steady_clock::now() >= log->started + options_.catch_up;
    };
    if (settled()) return;
    lock.unlock();
    may_wait_for_network();
    lock.lock();
    log->changed.wait_for(lock, options_.whole, [&] { return log->ended_before.has_value() || !log->following; });
    if (log->ended_before.value_or(false)) log->changed.wait_for(lock, options_.whole, [&] { return log->whole || !log->following; });
    else log->changed.wait_until(lock, log->started + options_.catch_up, [&] { return !log->text.empty() || !log->following; });
}

std::string JobLogs::read(const std::string& ns, const std::string& id, uint64_t offset, size_t size) {
    auto log = start(ns, id);
    std::lock_guard lock(log->mutex);
    if (offset < log->text.size()) return log->text.substr(offset, size);
    if (log->text.empty() && !log->whole && !log->error.empty())
        throw FsError(EIO, "logs of job " + ns + "/" + id + ": " + log->error);
    return "";  // the end of what arrived: tail -f polls for more
}

void JobLogs::stop() {
    std::vector<std::thread> to_join;
    {
        std::lock_guard lock(mutex_);
        if (stopping_) return;
        stopping_ = true;
    }
    remote_.stop_streams();
    {
        std::lock_guard lock(mutex_);
        for (auto& [key, log] : logs_) {
            std::lock_guard log_lock(log->mutex);
            if (log->follower.joinable()) to_join.push_back(std::move(log->follower));
        }
    }
    for (auto& t : to_join) t.join();  // unlocked: a follower's last steps take no lock of ours but its log's
}

}  // namespace hubfs::fs
