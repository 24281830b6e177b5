// Shared by the integration tests: a client configured for a test localhub, with short
// backoff delays so retry tests run fast.
#pragma once

#include "hf_api.hpp"
#include "localhub_process.hpp"

#include <chrono>
#include <optional>
#include <string>

namespace hubfs::api::testing {

inline constexpr const char* alice_token = "hf_alice_token";
inline constexpr const char* bob_token = "hf_bob_token";

inline HubConfig config_for(const LocalHubProcess& hub, std::optional<std::string> token = alice_token) {
    using namespace std::chrono_literals;
    HubConfig config;
    config.endpoint = hub.endpoint();
    config.token = std::move(token);
    config.user_agent = default_user_agent();
    config.retry.base_delay = 5ms;
    config.retry.max_delay = 20ms;
    config.retry.max_server_wait = 5000ms;
    config.timeouts.connect = 5000ms;
    config.timeouts.low_speed_time = 10s;
    return config;
}

// Deterministic pseudo-random bytes (incompressible, so LFS-worthy).
inline std::string pseudo_random_bytes(size_t size, uint32_t seed) {
    std::string bytes(size, '\0');
    uint32_t state = seed * 2654435761u + 1;
    for (auto& byte : bytes) {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        byte = static_cast<char>(state & 0xFF);
    }
    return bytes;
}

}  // namespace hubfs::api::testing
