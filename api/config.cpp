#include "config.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>

#ifndef HUBFS_VERSION
#define HUBFS_VERSION "0.0.0"
#endif

namespace hubfs::api {

namespace {

std::string trim(std::string s) {
    auto is_space = [](unsigned char c) { return std::isspace(c) != 0; };
    s.erase(s.begin(), std::find_if_not(s.begin(), s.end(), is_space));
    s.erase(std::find_if_not(s.rbegin(), s.rend(), is_space).base(), s.end());
    return s;
}

std::optional<std::string> non_empty(const EnvLookup& env, const std::string& name) {
    auto value = env(name);
    if (!value) return std::nullopt;
    std::string trimmed = trim(*value);
    if (trimmed.empty()) return std::nullopt;
    return trimmed;
}

std::string hf_home(const EnvLookup& env) {
    if (auto home = non_empty(env, "HF_HOME")) return *home;
    if (auto xdg = non_empty(env, "XDG_CACHE_HOME")) return *xdg + "/huggingface";
    return non_empty(env, "HOME").value_or("") + "/.cache/huggingface";
}

}  // namespace

std::optional<std::string> read_token_file(const std::string& path) {
    std::ifstream in(path);
    if (!in) return std::nullopt;
    std::stringstream buffer;
    buffer << in.rdbuf();
    std::string token = trim(buffer.str());
    if (token.empty()) return std::nullopt;
    return token;
}

EnvLookup process_environment() {
    return [](const std::string& name) -> std::optional<std::string> {
        const char* value = std::getenv(name.c_str());
        if (value == nullptr) return std::nullopt;
        return std::string(value);
    };
}

bool is_truthy(const std::optional<std::string>& value) {
    if (!value) return false;
    std::string v = trim(*value);
    std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return std::toupper(c); });
    return v == "1" || v == "ON" || v == "YES" || v == "TRUE";
}

std::string default_user_agent() { return std::string("hubfs/") + HUBFS_VERSION; }

HubConfig HubConfig::from_environment(const EnvLookup& env) {
    HubConfig config;
    config.user_agent = default_user_agent();
    if (auto endpoint = non_empty(env, "HF_ENDPOINT")) {
        std::string value = *endpoint;
        while (value.ends_with('/')) value.pop_back();
        config.endpoint = value;
    }
    if (auto url = non_empty(env, "HF_INFERENCE_ENDPOINTS_URL")) config.inference_endpoints_url = *url;
    if (auto url = non_empty(env, "HF_INFERENCE_CATALOG_URL")) config.inference_catalog_url = *url;
    config.offline = is_truthy(env("HF_HUB_OFFLINE"));

    std::string home = hf_home(env);
    config.cache_dir = non_empty(env, "HF_HUB_CACHE").value_or(home + "/hub");

    if (!is_truthy(env("HF_HUB_DISABLE_IMPLICIT_TOKEN"))) {
        if (auto token = non_empty(env, "HF_TOKEN")) {
            config.token = token;
        } else if (auto legacy = non_empty(env, "HUGGING_FACE_HUB_TOKEN")) {
            config.token = legacy;
        } else {
            config.token = read_token_file(non_empty(env, "HF_TOKEN_PATH").value_or(home + "/token"));
        }
    }
    return config;
}

}  // namespace hubfs::api
