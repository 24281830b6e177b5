#include "config.hpp"

#include "localhub_process.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <map>

using namespace hubfs::api;

namespace {
EnvLookup fake_env(std::map<std::string, std::string> vars) {
    return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
        auto it = vars.find(name);
        if (it == vars.end()) return std::nullopt;
        return it->second;
    };
}
}  // namespace

TEST_CASE("config defaults") {
    auto config = HubConfig::from_environment(fake_env({{"HOME", "/nonexistent-home"}}));
    CHECK(config.endpoint == "https://huggingface.co");
    CHECK_FALSE(config.token);
    CHECK_FALSE(config.offline);
    CHECK(config.user_agent.starts_with("hubfs/"));
    CHECK(config.cache_dir == "/nonexistent-home/.cache/huggingface/hub");
    CHECK(config.inference_endpoints_url == "https://api.endpoints.huggingface.cloud/v2");
}

TEST_CASE("config from the Hub's environment variables") {
    auto config = HubConfig::from_environment(fake_env({{"HF_ENDPOINT", "http://127.0.0.1:8080//"},
                                                        {"HF_TOKEN", " hf_abc \n"},
                                                        {"HUGGING_FACE_HUB_TOKEN", "hf_legacy"},
                                                        {"HF_HUB_OFFLINE", "yes"},
                                                        {"HF_HOME", "/data/hf"},
                                                        {"HF_INFERENCE_ENDPOINTS_URL", "http://127.0.0.1:9/v2"}}));
    CHECK(config.endpoint == "http://127.0.0.1:8080");
    CHECK(config.token == "hf_abc");
    CHECK(config.offline);
    CHECK(config.cache_dir == "/data/hf/hub");
    CHECK(config.inference_endpoints_url == "http://127.0.0.1:9/v2");

    CHECK(HubConfig::from_environment(fake_env({{"HUGGING_FACE_HUB_TOKEN", "hf_legacy"}})).token == "hf_legacy");
    CHECK(HubConfig::from_environment(fake_env({{"HF_HUB_CACHE", "/c"}})).cache_dir == "/c");
    CHECK_FALSE(HubConfig::from_environment(fake_env({{"HF_TOKEN", "hf_x"}, {"HF_HUB_DISABLE_IMPLICIT_TOKEN", "1"}}))
                    .token);
}

TEST_CASE("token files: HF_TOKEN_PATH, then $HF_HOME/token") {
    hubfs::api::testing::TempDir dir;
    {
        std::ofstream(dir.path() / "token") << "hf_from_home\n";
        std::ofstream(dir.path() / "other") << "  hf_from_path  \n";
    }
    auto home = HubConfig::from_environment(fake_env({{"HF_HOME", dir.path().string()}}));
    CHECK(home.token == "hf_from_home");
    auto path = HubConfig::from_environment(
        fake_env({{"HF_HOME", dir.path().string()}, {"HF_TOKEN_PATH", (dir.path() / "other").string()}}));
    CHECK(path.token == "hf_from_path");
    auto env_wins = HubConfig::from_environment(fake_env({{"HF_HOME", dir.path().string()}, {"HF_TOKEN", "hf_env"}}));
    CHECK(env_wins.token == "hf_env");
    auto xdg = HubConfig::from_environment(fake_env({{"XDG_CACHE_HOME", dir.path().string()}}));
    CHECK(xdg.cache_dir == (dir.path() / "huggingface/hub").string());
}

TEST_CASE("is_truthy") {
    CHECK(is_truthy("1"));
    CHECK(is_truthy("True"));
    CHECK(is_truthy("on"));
    CHECK_FALSE(is_truthy("0"));
    CHECK_FALSE(is_truthy("false"));
    CHECK_FALSE(is_truthy(std::nullopt));
}
