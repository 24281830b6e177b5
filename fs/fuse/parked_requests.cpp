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

void ParkedRequests::run(Request req, const std::string& what, Work work) {
    try {
        NoNetworkWaits here;
        compute(work, what)(req);
        return;
    } catch (const WouldWait&) {
    }
    const fuse_req_t raw = req.raw();
    uint64_t id;
    {
        std::lock_guard lock(mutex_);
        if (closed_) return (void)req.err(EIO);
        id = ++next_id_;
        parked_.emplace(raw, Parked{id, what, std::chrono::steady_clock::now(), std::move(req)});
    }
    // Before the work can answer it: once answered, the request must not be touched again.
    // (If the caller was already interrupted, on_interrupt answers it right here.)
    fuse_req_interrupt_func(raw, &ParkedRequests::on_interrupt, this);
    tasks_.run([this, raw, id, what, work = std::move(work)] {
        Reply reply;
        try {
            reply = compute(work, what);
        } catch (...) {  // WouldWait cannot happen here: this thread may wait
            reply = reply_error(EIO);
        }
        answer(raw, id, reply);
    });
}

void ParkedRequests::answer(fuse_req_t raw, uint64_t id, const Reply& reply) {
    // Under the lock, as for reads: abandon_all() and on_interrupt never race a reply.
    std::lock_guard lock(mutex_);
    auto it = parked_.find(raw);
    if (it == parked_.end() || it->second.id != id) return;  // answered already (interrupted)
    std::string what = std::move(it->second.what);
    Request req = std::move(it->second.req);
    parked_.erase(it);
    answer_errors(req, what.c_str(), [&] { reply(req); });  // a reply that throws threw before sending
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
    it->second.req.err(EINTR);
    parked->parked_.erase(it);
}

void ParkedRequests::run_again(Request req, const std::string& what, std::function<void(Request&)> call) {
    {
        std::lock_guard lock(mutex_);
        ++running_again_;
    }
    // Shared only because a task must be copyable; this task alone owns the request.
    auto owned = std::make_shared<Request>(std::move(req));
    tasks_.run([this, owned, what, call = std::move(call)] {
        {
            Request req = std::move(*owned);  // one left unanswered answers EIO at the end of this scope
            answer_errors(req, what.c_str(), [&] { call(req); });
        }
        std::lock_guard lock(mutex_);
        --running_again_;
    });
}

void ParkedRequests::abandon_all() {
    std::lock_guard lock(mutex_);
    for (auto& [raw, p] : parked_) p.req.err(EIO);
    parked_.clear();
    closed_ = true;
}

size_t ParkedRequests::size() {
    std::lock_guard lock(mutex_);
    return parked_.size() + running_again_;
}

}  // namespace hubfs::fs
