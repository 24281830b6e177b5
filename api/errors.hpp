// Typed errors of the Hub client. Every error carries the HTTP status (0 for transport
// failures), the server's message and the request id, so a log line can be traced server-side.
// The mapping from a response to a type lives in one place: classify_response().
#pragma once

#include "http_types.hpp"

#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace hubfs::api {

enum class ErrorKind {
    repo_not_found,
    gated_repo,         // also a repo_not_found, as in the Python client
    revision_not_found,
    entry_not_found,
    discussion_not_found,  // 404 on a discussion or comment of a readable repository
    unauthorized,       // 401: bad token, or anonymous access to a private repo
    forbidden,          // 403: token lacks the right
    conflict,           // 409 exists / 412 stale parent commit
    rate_limited,       // 429 after the retry budget
    bad_request,        // 400, 422
    network,            // connection, timeout, TLS: no HTTP answer
    offline,            // HF_HUB_OFFLINE forbids the request
    invalid_response,   // the server broke the protocol (missing header, bad JSON)
    http,               // any other HTTP error
};

std::string_view to_string(ErrorKind kind);

struct ErrorDetails {
    long status = 0;
    std::string server_message;  // from {"error": ...}, X-Error-Message or the text body
    std::string request_id;
    std::string url;             // without query string
};

class HubError : public std::runtime_error {
public:
    HubError(ErrorKind kind, ErrorDetails details);
    ErrorKind kind() const noexcept { return kind_; }
    long status() const noexcept { return details_.status; }
    const std::string& server_message() const noexcept { return details_.server_message; }
    const std::string& request_id() const noexcept { return details_.request_id; }
    const std::string& url() const noexcept { return details_.url; }

protected:
    // For subclasses, which may refine the kind (GatedRepo is a RepoNotFound).
    HubError(ErrorDetails details, ErrorKind kind) : HubError(kind, std::move(details)) {}

private:
    ErrorKind kind_;
    ErrorDetails details_;
};

// One exception type per kind, so callers can catch what they handle.
#define HUBFS_API_ERROR_TYPE(Name, Base, Kind)                                         \
    class Name : public Base {                                                          \
    public:                                                                             \
        explicit Name(ErrorDetails d, ErrorKind k = Kind) : Base(std::move(d), k) {}    \
    }

HUBFS_API_ERROR_TYPE(RepoNotFoundError, HubError, ErrorKind::repo_not_found);
HUBFS_API_ERROR_TYPE(GatedRepoError, RepoNotFoundError, ErrorKind::gated_repo);
HUBFS_API_ERROR_TYPE(RevisionNotFoundError, HubError, ErrorKind::revision_not_found);
HUBFS_API_ERROR_TYPE(EntryNotFoundError, HubError, ErrorKind::entry_not_found);
HUBFS_API_ERROR_TYPE(DiscussionNotFoundError, HubError, ErrorKind::discussion_not_found);
HUBFS_API_ERROR_TYPE(UnauthorizedError, HubError, ErrorKind::unauthorized);
HUBFS_API_ERROR_TYPE(ForbiddenError, HubError, ErrorKind::forbidden);
HUBFS_API_ERROR_TYPE(ConflictError, HubError, ErrorKind::conflict);
HUBFS_API_ERROR_TYPE(RateLimitedError, HubError, ErrorKind::rate_limited);
HUBFS_API_ERROR_TYPE(BadRequestError, HubError, ErrorKind::bad_request);
HUBFS_API_ERROR_TYPE(NetworkError, HubError, ErrorKind::network);
HUBFS_API_ERROR_TYPE(OfflineError, HubError, ErrorKind::offline);
HUBFS_API_ERROR_TYPE(InvalidResponseError, HubError, ErrorKind::invalid_response);

#undef HUBFS_API_ERROR_TYPE

// X-Error-Code first, then the status. Only meaningful for status >= 400.
ErrorKind classify_response(long status, std::string_view x_error_code);

// The server's human message: JSON {"error": "..."} (or its variants), X-Error-Message, or text.
std::string server_message(const HttpResponse& response);

// Throws the typed error for an HTTP error response.
[[noreturn]] void throw_http_error(const HttpResponse& response);

// Throws the typed error for `kind` with the given details.
[[noreturn]] void throw_error(ErrorKind kind, ErrorDetails details);

// Returns `response` unchanged when it is 2xx, otherwise throws its typed error.
const HttpResponse& expect_ok(const HttpResponse& response);

}  // namespace hubfs::api
