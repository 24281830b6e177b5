// Client configuration as Hugging Face users know it: HF_ENDPOINT, HF_TOKEN and the token file,
// HF_HUB_OFFLINE, the cache folder. Read once from the environment, then passed by value.
#pragma once

#include "host_health.hpp"
#include "retry_policy.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace hubfs::api {

// Looks up an environment variable; injectable so tests need not touch the real environment.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
EnvLookup process_environment();

struct Timeouts {
    std::chrono::milliseconds connect{10000};
    // A transfer that moves no byte for low_speed_time (no first byte, or a body that stops)
    // is dropped, and resumed or retried, so a stalled connection never hangs a reader; curl's
    // own check (slower than low_speed_bytes per second, averaged) stays as a backstop.
    long low_speed_bytes = 1;
    std::chrono::seconds low_speed_time{30};
};

std::string default_user_agent();  // "hubfs/<version>"

struct HubConfig {
    std::string endpoint = "https://huggingface.co";
    std::string inference_endpoints_url = "https://api.endpoints.huggingface.cloud/v2";
    std::string inference_catalog_url = "https://endpoints.huggingface.co/api/catalog";  // HF_INFERENCE_CATALOG_URL
    // Never logged or printed.
    std::optional<std::string> token;
    bool offline = false;
    std::string user_agent = default_user_agent();
    std::vector<std::pair<std::string, std::string>> extra_headers;
    std::string cache_dir;  // the hub cache (HF_HUB_CACHE, default $HF_HOME/hub)
    Timeouts timeouts;
    RetryPolicy retry;
    // Shared by every client made from copies of this configuration: which hosts are down
    // (requests to them fail at once) and what is in flight. None: no breaker.
    std::shared_ptr<HostHealth> health;

    // Variables: HF_ENDPOINT, HF_TOKEN, HUGGING_FACE_HUB_TOKEN, HF_TOKEN_PATH, HF_HOME,
    // XDG_CACHE_HOME, HOME, HF_HUB_CACHE, HF_HUB_OFFLINE, HF_HUB_DISABLE_IMPLICIT_TOKEN,
    // HF_INFERENCE_ENDPOINTS_URL (hubfs's own, the Python client hard-codes that host).
    static HubConfig from_environment(const EnvLookup& env = process_environment());
};

// A token file's token (the file's text, trimmed); nullopt when it is unreadable or empty.
std::optional<std::string> read_token_file(const std::string& path);

// "1", "ON", "YES", "TRUE" in any case, as the Python client reads boolean variables.
bool is_truthy(const std::optional<std::string>& value);

}  // namespace hubfs::api
