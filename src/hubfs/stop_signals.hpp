// After the unmount, while the daemon commits what is staged (up to kFlushTimeout against a Hub
// that does not answer): SIGTERM, SIGINT and SIGHUP end that flush. libfuse's own handler only
// ends the FUSE session, already ended by then, so without this a `kill` (or a system's
// shutdown) waited out the whole flush. The staged changes stay in the journal for the next mount.
// A handler may only set a flag: `on_signal` runs once, on a thread of its own (it cancels the
// commit's transfers), and `raised()` tells the flush to give up.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <signal.h>
#include <thread>

namespace hubfs {

class StopSignals {
public:
    explicit StopSignals(std::function<void()> on_signal);
    ~StopSignals();  // the handlers from before are back
    StopSignals(const StopSignals&) = delete;
    StopSignals& operator=(const StopSignals&) = delete;

    static const std::atomic<bool>& raised();

private:
    struct sigaction previous_[3] {};
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stop_ = false;
    std::thread thread_;
};

}  // namespace hubfs
