// Whether the current thread may wait for the Hub. A FUSE thread first tries a metadata request
// with waits forbidden: code that would wait (a fetch, another caller's fetch of the same thing,
// a refresh) throws WouldWait instead, and the request is parked and computed again on a thread
// of its own (parked_requests.hpp). Everything known answers on the FUSE thread.
#pragma once

#include <exception>

namespace hubfs::fs {

struct WouldWait : std::exception {
    const char* what() const noexcept override { return "would wait for the Hub"; }
};

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

}  // namespace hubfs::fs
