#include "scripted_http_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace hubfs::api::testing {

ScriptedHttpServer::ScriptedHttpServer(const std::string& address, std::string response_head, std::string body)
    : address_(address),
      response_(std::move(response_head) + "\r\nContent-Length: " + std::to_string(body.size()) +
                "\r\nConnection: close\r\n\r\n" + body) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listen_fd_ < 0) throw std::runtime_error("socket failed");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = 0;
    if (::inet_pton(AF_INET, address.c_str(), &addr.sin_addr) != 1 ||
        ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listen_fd_, 16) != 0) {
        ::close(listen_fd_);
        throw std::runtime_error("cannot listen on " + address);
    }
    socklen_t length = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &length);
    port_ = ntohs(addr.sin_port);
    thread_ = std::jthread([this] { serve(); });
}

ScriptedHttpServer::~ScriptedHttpServer() {
    ::shutdown(listen_fd_, SHUT_RDWR);  // wakes accept()
    if (thread_.joinable()) thread_.join();
    ::close(listen_fd_);
}

std::string ScriptedHttpServer::base_url() const { return "http://" + address_ + ":" + std::to_string(port_); }

std::vector<std::string> ScriptedHttpServer::requests() const {
    std::lock_guard guard(mutex_);
    return requests_;
}

void ScriptedHttpServer::serve() {
    while (true) {
        int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (client < 0) return;
        std::string head;
        char buffer[4096];
        while (head.find("\r\n\r\n") == std::string::npos) {
            ssize_t got = ::recv(client, buffer, sizeof buffer, 0);
            if (got <= 0) break;
            head.append(buffer, static_cast<size_t>(got));
        }
        std::transform(head.begin(), head.end(), head.begin(), [](unsigned char c) { return std::tolower(c); });
        // Read the body too (Content-Length only), so tests can see what was sent.
        size_t end = head.find("\r\n\r\n");
        size_t length_at = head.find("content-length: ");
        if (end != std::string::npos && length_at != std::string::npos && length_at < end) {
            size_t want = end + 4 + std::stoul(head.substr(length_at + 16));
            while (head.size() < want) {
                ssize_t got = ::recv(client, buffer, sizeof buffer, 0);
                if (got <= 0) break;
                head.append(buffer, static_cast<size_t>(got));
            }
        }
        {
            std::lock_guard guard(mutex_);
            requests_.push_back(head);
        }
        ::send(client, response_.data(), response_.size(), MSG_NOSIGNAL);
        ::close(client);
    }
}

std::pair<std::string, std::string> check_credentials_stay_on_hub(const ScriptedHttpServer& hub,
                                                                  const ScriptedHttpServer& blob) {
    auto hub_requests = hub.requests();
    auto blob_requests = blob.requests();
    REQUIRE(hub_requests.size() == 1);
    REQUIRE(blob_requests.size() == 1);
    CHECK(hub_requests[0].find("authorization: bearer hf_secret_token") != std::string::npos);
    CHECK(hub_requests[0].find("x-extra: yes") != std::string::npos);
    CHECK(blob_requests[0].find("authorization") == std::string::npos);
    CHECK(blob_requests[0].find("hf_") == std::string::npos);
    CHECK(blob_requests[0].find("x-extra") == std::string::npos);
    return {hub_requests[0], blob_requests[0]};
}

}  // namespace hubfs::api::testing
