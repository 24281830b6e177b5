// Plain request and response values exchanged with HttpClient.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hubfs::api {

// Response headers in arrival order; lookups ignore case, as HTTP requires.
class HeaderMap {
public:
    void add(std::string name, std::string value) { entries_.emplace_back(std::move(name), std::move(value)); }
    void clear() { entries_.clear(); }
    // The last value of `name`, or nullopt.
    std::optional<std::string> get(std::string_view name) const;
    std::string get_or(std::string_view name, std::string fallback = {}) const {
        return get(name).value_or(std::move(fallback));
    }
    const std::vector<std::pair<std::string, std::string>>& entries() const { return entries_; }

private:
    std::vector<std::pair<std::string, std::string>> entries_;
};

// Receives a response body piece by piece (2xx responses only), so a blob is never held whole.
using BodySink = std::function<void(std::string_view chunk)>;

// Fills `buffer` with up to `length` bytes of an upload body starting at `offset`; returns the
// count. Called again from offset 0 when a request is retried, so sources must be re-readable.
using BodyReader = std::function<size_t(uint64_t offset, char* buffer, size_t length)>;

enum class RedirectPolicy {
    follow,            // every hop; the token goes only to the Hub's own origin
    same_origin_only,  // stop at a redirect to another origin and return it (metadata HEAD)
    none,
};

struct HttpRequest {
    std::string method = "GET";
    std::string url;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;                 // used when reader is empty
    BodyReader reader;                // streamed upload body of reader_size bytes
    uint64_t reader_size = 0;
    bool idempotent = true;           // false: retried only when the server cannot have seen it
    RedirectPolicy redirects = RedirectPolicy::follow;
};

struct HttpResponse {
    long status = 0;
    HeaderMap headers;
    std::string body;       // non-2xx bodies, and 2xx bodies when no sink was given
    std::string url;        // the URL that produced this response (after redirects)
    std::string request_id; // the server's X-Request-Id, else the id this client sent

    bool ok() const { return status >= 200 && status < 300; }
    bool is_redirect() const { return status >= 300 && status < 400; }
};

}  // namespace hubfs::api
