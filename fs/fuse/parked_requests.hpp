// Metadata requests (lookup, getattr, opendir) that would wait for the Hub do not hold a FUSE
// worker thread: the same shape as reads (pending_read.hpp). The request is first computed on
// the FUSE thread with network waits forbidden (network_wait.hpp); if it would wait, it is kept
// here, computed again on a thread of its own, and answered from there. A caller interrupted
// meanwhile (Ctrl-C, kill -9) is answered EINTR at once; the computation goes on for the caches.
#pragma once

#define FUSE_USE_VERSION 35
#include <fuse_lowlevel.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>

#include "fs/background_tasks.hpp"
#include "fs/fuse/request.hpp"

namespace hubfs::fs {

class ParkedRequests {
public:
    using Reply = std::function<void(Request&)>;  // sends the request's one answer
    using Work = std::function<Reply()>;            // computes it; throws on failure (errno_map)

    // Answers req with what work computes: here, or, if it would wait for the Hub, later from
    // another thread (req is handed over: kept here until then). `what` names it in logs.
    void run(Request req, const std::string& what, Work work);
    // An operation that answers its request itself and would wait (it threw WouldWait before
    // changing anything): `call` runs it again from the start on a thread of its own, where it
    // may wait, with req handed over to it; an exception it lets out is answered as its errno.
    // Not interruptible: it answers within its own bounds (timeouts, retries).
    void run_again(Request req, const std::string& what, std::function<void(Request&)> call);
    // At unmount, before the session goes: answers what is still parked with EIO.
    void abandon_all();
    size_t size();

private:
    struct Parked {
        uint64_t id;  // a request's address may be reused once it is answered
        std::string what;
        std::chrono::steady_clock::time_point since;
        Request req;  // answered by the work, an interrupt or abandon_all(), whichever comes first
    };
    static void on_interrupt(fuse_req_t req, void* self);
    // Sends reply if req is still parked under id.
    void answer(fuse_req_t raw, uint64_t id, const Reply& reply);

    std::mutex mutex_;
    std::unordered_map<fuse_req_t, Parked> parked_;  // not yet answered
    uint64_t next_id_ = 0;
    size_t running_again_ = 0;  // run_again calls not yet done
    bool closed_ = false;
    BackgroundTasks tasks_;  // last member: joined first, while the rest is alive
};

// The Reply that answers an errno.
inline ParkedRequests::Reply reply_error(int err) {
    return [err](Request& req) { req.err(err); };
}

}  // namespace hubfs::fs
