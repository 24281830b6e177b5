// Starts a private localhub for one test (own data folder, port 0) and stops it in the
// destructor, so a failing test never leaves a server behind.
#pragma once

#include <nlohmann/json.hpp>

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

namespace hubfs::api::testing {

class TempDir {
public:
    TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir();
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

class LocalHubProcess {
public:
    // Users: alice (write token hf_alice_token), bob (read token hf_bob_token); sample repos.
    explicit LocalHubProcess(std::vector<std::string> extra_args = {});
    LocalHubProcess(const LocalHubProcess&) = delete;
    LocalHubProcess& operator=(const LocalHubProcess&) = delete;
    ~LocalHubProcess();

    const std::string& endpoint() const { return endpoint_; }
    // One parsed JSON object per logged request, in order. localhub writes a line after the
    // response is sent, so a caller that knows how many requests it made waits for them.
    std::vector<nlohmann::json> log_entries(size_t at_least = 0) const;

private:
    TempDir dir_;
    pid_t pid_ = -1;
    std::string endpoint_;
};

}  // namespace hubfs::api::testing
