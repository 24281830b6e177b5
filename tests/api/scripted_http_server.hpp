// A tiny HTTP/1.1 server for unit tests of the HTTP core: it answers every request with the
// same canned response and records the request heads, so tests can see exactly which headers
// the client sent to which host.
#pragma once

#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace hubfs::api::testing {

class ScriptedHttpServer {
public:
    // `response_head` is the status line and headers, without the blank line or Content-Length.
    ScriptedHttpServer(const std::string& address, std::string response_head, std::string body);
    ScriptedHttpServer(const ScriptedHttpServer&) = delete;
    ScriptedHttpServer& operator=(const ScriptedHttpServer&) = delete;
    ~ScriptedHttpServer();

    std::string base_url() const;
    std::vector<std::string> requests() const;  // request heads (lower-cased) and bodies

private:
    void serve();

    std::string address_;
    int port_ = 0;
    int listen_fd_ = -1;
    std::string response_;
    mutable std::mutex mutex_;
    std::vector<std::string> requests_;
    std::jthread thread_;
};

// Each server got one request: `hub`'s carries the token "hf_secret_token" and the extra header
// "X-Extra", `blob`'s (the cross-origin redirect's target) neither. Returns the two request heads.
std::pair<std::string, std::string> check_credentials_stay_on_hub(const ScriptedHttpServer& hub,
                                                                  const ScriptedHttpServer& blob);

}  // namespace hubfs::api::testing
