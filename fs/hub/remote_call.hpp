// How a Hub adapter runs one api/ call: never on a FUSE thread (a request that would wait for
// the Hub is computed again on a thread of its own: network_wait.hpp), and its failure becomes
// a RemoteError (errno_map.cpp makes it an errno).
#pragma once

#include "fs/hub/hub_remote.hpp"
#include "fs/network_wait.hpp"

namespace hubfs::fs {

template <typename F>
auto remote_call(F&& call) -> decltype(call()) {
    may_wait_for_network();
    try {
        return call();
    } catch (...) {
        rethrow_as_remote_error();
    }
}

}  // namespace hubfs::fs
