#include "connection_pool.hpp"

#include <new>

namespace hubfs::api {

void ensure_curl_initialised() {
    static const bool initialised = [] { return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK; }();
    if (!initialised) throw std::runtime_error("curl_global_init failed");
}

ConnectionPool::ConnectionPool() {
    ensure_curl_initialised();
    share_.reset(curl_share_init());
    if (!share_) throw std::bad_alloc();
    curl_share_setopt(share_.get(), CURLSHOPT_LOCKFUNC, &ConnectionPool::lock);
    curl_share_setopt(share_.get(), CURLSHOPT_UNLOCKFUNC, &ConnectionPool::unlock);
    curl_share_setopt(share_.get(), CURLSHOPT_USERDATA, this);
    curl_share_setopt(share_.get(), CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(share_.get(), CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
}

ConnectionPool::~ConnectionPool() {
    // Handles must leave the share before it is cleaned up.
    idle_.clear();
}

CurlEasy ConnectionPool::acquire() {
    {
        std::lock_guard guard(idle_mutex_);
        if (!idle_.empty()) {
            CurlEasy handle = std::move(idle_.back());
            idle_.pop_back();
            return handle;
        }
    }
    CurlEasy handle(curl_easy_init());
    if (!handle) throw std::bad_alloc();
    return handle;
}

void ConnectionPool::release(CurlEasy handle) {
    if (!handle) return;
    curl_easy_reset(handle.get());  // keeps live connections and caches
    std::lock_guard guard(idle_mutex_);
    if (!closed_) idle_.push_back(std::move(handle));
}

void ConnectionPool::close() {
    std::vector<CurlEasy> closing;
    {
        std::lock_guard guard(idle_mutex_);
        closed_ = true;
        closing.swap(idle_);
    }
}

void ConnectionPool::attach(CURL* handle) const { curl_easy_setopt(handle, CURLOPT_SHARE, share_.get()); }

void ConnectionPool::lock(CURL*, curl_lock_data data, curl_lock_access, void* self) {
    static_cast<ConnectionPool*>(self)->share_locks_.at(static_cast<size_t>(data)).lock();
}

void ConnectionPool::unlock(CURL*, curl_lock_data data, void* self) {
    static_cast<ConnectionPool*>(self)->share_locks_.at(static_cast<size_t>(data)).unlock();
}

}  // namespace hubfs::api
