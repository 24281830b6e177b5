// Keeps curl easy handles alive between requests so their connections (keep-alive) are
// reused, and shares DNS and TLS sessions between handles. Connections themselves are not put
// in the share: libcurl documents that as unsafe across concurrent threads.
#pragma once

#include "curl_handles.hpp"

#include <array>
#include <mutex>
#include <vector>

namespace hubfs::api {

class ConnectionPool {
public:
    ConnectionPool();
    ConnectionPool(const ConnectionPool&) = delete;
    ConnectionPool& operator=(const ConnectionPool&) = delete;
    ~ConnectionPool();

    // A handle for one transfer; hand it back with release() (it is reset then).
    CurlEasy acquire();
    void release(CurlEasy handle);

    // Closes the idle connections now, and every connection handed back from now on: at
    // shutdown, idle keep-alive connections must not hold the server's threads.
    void close();

    // Puts `handle` on the shared DNS and TLS session caches.
    void attach(CURL* handle) const;

private:
    static void lock(CURL*, curl_lock_data data, curl_lock_access, void* self);
    static void unlock(CURL*, curl_lock_data data, void* self);

    std::array<std::mutex, CURL_LOCK_DATA_LAST> share_locks_;
    CurlShare share_;
    std::mutex idle_mutex_;
    std::vector<CurlEasy> idle_;
    bool closed_ = false;
};

// Lends a pooled handle for one scope.
class PooledHandle {
public:
    explicit PooledHandle(ConnectionPool& pool) : pool_(pool), handle_(pool.acquire()) {}
    PooledHandle(const PooledHandle&) = delete;
    PooledHandle& operator=(const PooledHandle&) = delete;
    ~PooledHandle() { pool_.release(std::move(handle_)); }
    CURL* get() const noexcept { return handle_.get(); }

private:
    ConnectionPool& pool_;
    CurlEasy handle_;
};

}  // namespace hubfs::api
