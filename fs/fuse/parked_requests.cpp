#include "fs/fuse/parked_requests.hpp"

#include <cerrno>

#include "fs/common/log.hpp"
#include "fs/errno_map.hpp"
#include "fs/network_wait.hpp"

namespace hubfs::fs {
namespace {

// work's answer, or the answer for the error it throws.
ParkedRequests::Reply compute(const ParkedRequests::Work& work, const std::string& what) {
    try {
        return work();
    } catch (const WouldWait&) {
        throw;
    } catch (...) {
        return reply_error(errno_from_current_exception(what));
    }
}

}  // namespace

void ParkedRequests::run(fuse_req_t req, const std::string& what, Work work) {
    try {
        NoNetworkWaits here;
        compute(work, what)(req);
        return;
    } catch (const WouldWait&) {
    }
    uint64_t id;
    {
        std::lock_guard lock(mutex_);
        if (closed_) return (void)fuse_reply_err(req, EIO);
        id = ++next_id_;
        parked_[req] = Parked{id, what, std::chrono::steady_clock::now()};
    }
    // Before the work can answer it: once answered, the request must not be touched again.
    // (If the caller was already interrupted, on_interrupt answers it right here.)
    fuse_req_interrupt_func(req, &ParkedRequests::on_interrupt, this);
    tasks_.run([this, req, id, what, work = std::move(work)] {
        Reply reply;
        try {
            reply = compute(work, what);
        } catch (...) {  // WouldWait cannot happen here: this thread may wait
            reply = reply_error(EIO);
        }
        answer(req, id, reply);
    });
}

void ParkedRequests::answer(fuse_req_t req, uint64_t id, const Reply& reply) {
    // Under the lock, as for reads: abandon_all() and on_interrupt never race a reply.
    std::lock_guard lock(mutex_);
    auto it = parked_.find(req);
    if (it == parked_.end() || it->second.id != id) return;  // answered already (interrupted)
    std::string what = std::move(it->second.what);
    parked_.erase(it);
    try {
        reply(req);
    } catch (...) {  // before its fuse_reply (an allocation): nothing was sent yet
        fuse_reply_err(req, errno_from_current_exception(what));
    }
}

void ParkedRequests::on_interrupt(fuse_req_t req, void* self) {
    auto* parked = static_cast<ParkedRequests*>(self);
    std::lock_guard lock(parked->mutex_);
    auto it = parked->parked_.find(req);
    if (it == parked->parked_.end()) return;
    HUBFS_LOG(info, "%s interrupted by the caller after %lld ms", it->second.what.c_str(),
              static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                         std::chrono::steady_clock::now() - it->second.since)
                                         .count()));
    parked->parked_.erase(it);
    fuse_reply_err(req, EINTR);
}

void ParkedRequests::run_again(fuse_req_t req, const std::string& what, std::function<void()> call) {
    {
        std::lock_guard lock(mutex_);
        ++running_again_;
    }
    tasks_.run([this, req, what, call = std::move(call)] {
        try {
            call();
        } catch (...) {  // it had not answered: it answers last
            fuse_reply_err(req, errno_from_current_exception(what));
        }
        std::lock_guard lock(mutex_);
        --running_again_;
    });
}

void ParkedRequests::abandon_all() {
    std::lock_guard lock(mutex_);
    for (auto& [req, p] : parked_) fuse_reply_err(req, EIO);
    parked_.clear();
    closed_ = true;
}

size_t ParkedRequests::size() {
    std::lock_guard lock(mutex_);
    return parked_.size() + running_again_;
}

}  // namespace hubfs::fs
