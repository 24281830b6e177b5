// RAII owners for libcurl's C handles, and the one-time global initialisation.
#pragma once

#include <curl/curl.h>

#include <memory>
#include <new>
#include <string>

namespace hubfs::api {

struct CurlEasyDeleter {
    void operator()(CURL* h) const noexcept { curl_easy_cleanup(h); }
};
struct CurlMultiDeleter {
    void operator()(CURLM* h) const noexcept { curl_multi_cleanup(h); }
};
struct CurlShareDeleter {
    void operator()(CURLSH* h) const noexcept { curl_share_cleanup(h); }
};
struct CurlSlistDeleter {
    void operator()(curl_slist* l) const noexcept { curl_slist_free_all(l); }
};

using CurlEasy = std::unique_ptr<CURL, CurlEasyDeleter>;
using CurlMulti = std::unique_ptr<CURLM, CurlMultiDeleter>;
using CurlShare = std::unique_ptr<CURLSH, CurlShareDeleter>;

// A header list that owns its nodes; append() keeps the list valid if curl runs out of memory.
class CurlHeaderList {
public:
    void append(const std::string& line) {
        curl_slist* grown = curl_slist_append(list_.get(), line.c_str());
        if (grown == nullptr) throw std::bad_alloc();
        list_.release();  // grown now owns the old nodes
        list_.reset(grown);
    }
    curl_slist* get() const noexcept { return list_.get(); }

private:
    std::unique_ptr<curl_slist, CurlSlistDeleter> list_;
};

// curl_global_init is not thread-safe on old libcurl; a function-local static runs it once.
void ensure_curl_initialised();

}  // namespace hubfs::api
