// What one HTTP listener allows a client, so that no client (slow, stuck or hostile) can pin
// its threads, file descriptors or memory for long.
#pragma once

#include <cstddef>
#include <cstdint>

namespace localhub {

struct ServerLimits {
    size_t max_connections = 512;    // open connections per listener; more get 503 and are closed
    int request_timeout_s = 30;      // a request head must arrive in full this long after its first byte;
                                     // a body gets this long plus its size at min_body_rate
    int idle_timeout_s = 60;         // a keep-alive connection with no request is closed after this
    int send_timeout_s = 60;         // a client that takes no response bytes for this long is dropped
    uint64_t min_body_rate = 64 * 1024;  // bytes per second a request body must average after the grace
};

}  // namespace localhub
