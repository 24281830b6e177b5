// Whether the current thread may wait for the Hub. A FUSE thread first tries a request with
// waits forbidden: code that would wait (a fetch, another caller's fetch of the same thing, a
// refresh, a commit) throws WouldWait instead, and the request is parked and computed again on a
// thread of its own (parked_requests.hpp). Everything known answers on the FUSE thread.
#pragma once

namespace hubfs::fs {

// Not a std::exception: no `catch (const std::exception&)` on the way may take it for a failure.
// errno_from_current_exception (errno_map) rethrows it.
struct WouldWait {};

inline thread_local bool network_waits_forbidden = false;

// Forbids waits on this thread for its scope.
class NoNetworkWaits {
public:
    NoNetworkWaits() : before_(network_waits_forbidden) { network_waits_forbidden = true; }
    ~NoNetworkWaits() { network_waits_forbidden = before_; }
    NoNetworkWaits(const NoNetworkWaits&) = delete;
    NoNetworkWaits& operator=(const NoNetworkWaits&) = delete;

private:
    bool before_;
};

// Called right before anything that may wait for the Hub.
inline void may_wait_for_network() {
    if (network_waits_forbidden) throw WouldWait();
}

// An operation that has changed something cannot be computed again from the start, so from its
// first change on it finishes where it runs (what it still needs was looked up before).
inline void past_the_point_of_no_return() { network_waits_forbidden = false; }

}  // namespace hubfs::fs
