// What every localhub handler shares: errors as the Hub gives them, JSON bodies, booleans,
// pagination and path checks.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "http_message.hpp"

namespace localhub {

// Thrown by handlers; rendered as {"error": message} with X-Error-Code when code is set.
struct HubError : std::runtime_error {
    HubError(int s, std::string message, std::string c = {}, HeaderList h = {})
        : std::runtime_error(std::move(message)), status(s), code(std::move(c)), headers(std::move(h)) {}
    int status;
    std::string code;
    HeaderList headers;
    // More fields of the JSON body, beside "error", that clients read (e.g. "url" on a 409 create).
    nlohmann::json fields = nlohmann::json::object();
};

// A unique id for each answer (X-Request-Id), as clients quote it in error messages.
std::string next_request_id();

void render_error(HttpResponse& res, const HubError& e);
void send_json(HttpResponse& res, const nlohmann::json& body, int status = 200);

// "http://host:port" as the client addressed us, for absolute URLs in answers.
std::string endpoint_of(const HttpRequest& req);

// true|false|1|0, any case; other values are false.
bool truthy(const std::string& v);

// Reads the whole body, at most max bytes (413 beyond).
std::string read_body(HttpRequest& req, uint64_t max);
// A JSON (or form) body is held whole and parsed: at most min(max, kMaxJsonBody) bytes, so that
// no client makes localhub buffer --max-body bytes per connection. 400 on malformed JSON.
constexpr uint64_t kMaxJsonBody = 64ull << 20;
nlohmann::json read_json_body(HttpRequest& req, uint64_t max);

// A path inside a repository: relative, '/'-separated, no '.', '..', '.git' segments,
// no NUL or backslash, at most 1024 bytes. Throws 400. Strips one leading "./" and a trailing '/'.
std::string checked_repo_path(const std::string& path);

// Link-header pagination with an opaque cursor. page() returns [offset, offset+count).
struct Page {
    size_t offset = 0;
    size_t count = 0;
};
Page page_of(const HttpRequest& req, size_t total, size_t default_limit, size_t max_limit);
// Sets Link: <...&cursor=...>; rel="next" when more entries follow the page.
void set_next_link(const HttpRequest& req, HttpResponse& res, const Page& page, size_t total);

}  // namespace localhub
