// A small HTTP/1.1 server: one thread per connection (bounded, see ServerLimits), keep-alive, streamed request bodies,
// file bodies by sendfile, and the hooks localhub needs that general servers lack:
// exact control of Range answers, per-connection bandwidth, and resets after N bytes.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "emulation.hpp"
#include "http_message.hpp"
#include "request_log.hpp"
#include "server_limits.hpp"
#include "fs/common/unique_fd.hpp"

namespace localhub {

using hubfs::UniqueFd;

class HttpServer {
public:
    using Handler = std::function<void(HttpRequest&, HttpResponse&)>;

    HttpServer(std::string listener, Handler handler, Emulation emulation, ServerLimits limits,
               FaultInjector& faults, RequestLog& log);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    // Binds and listens; returns the bound port. Throws std::runtime_error.
    int listen(const std::string& host, int port);
    void start();
    void stop();

private:
    void accept_loop();
    void serve(int fd);

    std::string listener_;
    Handler handler_;
    Emulation emulation_;
    ServerLimits limits_;
    FaultInjector& faults_;
    RequestLog& log_;
    UniqueFd listen_fd_;
    std::thread accept_thread_;
    std::atomic<bool> stopping_{false};
    std::mutex mutex_;
    std::condition_variable idle_;
    std::set<int> connections_;
};

}  // namespace localhub
