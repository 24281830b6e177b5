#include "errors.hpp"

#include <nlohmann/json.hpp>

namespace hubfs::api {

namespace {

std::string describe(ErrorKind kind, const ErrorDetails& d) {
    std::string text(to_string(kind));
    if (d.status != 0) text += " (HTTP " + std::to_string(d.status) + ")";
    if (!d.server_message.empty()) text += ": " + d.server_message;
    if (!d.url.empty()) text += " [" + d.url + "]";
    if (!d.request_id.empty()) text += " (request id " + d.request_id + ")";
    return text;
}

std::string without_query(const std::string& url) { return url.substr(0, url.find('?')); }

std::string message_from_json(const nlohmann::json& body) {
    if (body.is_string()) return body.get<std::string>();
    if (!body.is_object()) return {};
    std::string message;
    if (auto it = body.find("error"); it != body.end()) {
        if (it->is_string()) {
            message = it->get<std::string>();
        } else if (it->is_array()) {
            for (const auto& item : *it) {
                if (!item.is_string()) continue;
                if (!message.empty()) message += "; ";
                message += item.get<std::string>();
            }
        }
    }
    if (auto it = body.find("error_description"); it != body.end() && it->is_string()) {
        message += message.empty() ? "" : ": ";
        message += it->get<std::string>();
    }
    if (message.empty()) {
        if (auto it = body.find("errors"); it != body.end() && it->is_array()) {
            for (const auto& item : *it) {
                if (!item.is_object() || !item.contains("message") || !item["message"].is_string()) continue;
                if (!message.empty()) message += "; ";
                message += item["message"].get<std::string>();
            }
        }
    }
    if (message.empty()) {
        if (auto it = body.find("message"); it != body.end() && it->is_string()) message = it->get<std::string>();
    }
    return message;
}

}  // namespace

std::string_view to_string(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::repo_not_found: return "RepoNotFound";
        case ErrorKind::gated_repo: return "GatedRepo";
        case ErrorKind::revision_not_found: return "RevisionNotFound";
        case ErrorKind::entry_not_found: return "EntryNotFound";
        case ErrorKind::discussion_not_found: return "DiscussionNotFound";
        case ErrorKind::unauthorized: return "Unauthorized";
        case ErrorKind::forbidden: return "Forbidden";
        case ErrorKind::conflict: return "Conflict";
        case ErrorKind::rate_limited: return "RateLimited";
        case ErrorKind::bad_request: return "BadRequest";
        case ErrorKind::network: return "Network";
        case ErrorKind::offline: return "Offline";
        case ErrorKind::invalid_response: return "InvalidResponse";
        case ErrorKind::http: return "HttpError";
    }
    return "HubError";
}

HubError::HubError(ErrorKind kind, ErrorDetails details)
    : std::runtime_error(describe(kind, details)), kind_(kind), details_(std::move(details)) {}

ErrorKind classify_response(long status, std::string_view x_error_code) {
    if (x_error_code == "RevisionNotFound") return ErrorKind::revision_not_found;
    if (x_error_code == "EntryNotFound") return ErrorKind::entry_not_found;
    if (x_error_code == "GatedRepo") return ErrorKind::gated_repo;
    if (x_error_code == "RepoNotFound") return ErrorKind::repo_not_found;
    switch (status) {
        case 400:
        case 422: return ErrorKind::bad_request;
        case 401: return ErrorKind::unauthorized;
        case 403: return ErrorKind::forbidden;
        case 409:
        case 412: return ErrorKind::conflict;
        case 429: return ErrorKind::rate_limited;
        default: return ErrorKind::http;
    }
}

std::string server_message(const HttpResponse& response) {
    std::string message;
    if (!response.body.empty()) {
        auto body = nlohmann::json::parse(response.body, nullptr, false);
        if (!body.is_discarded()) {
            message = message_from_json(body);
        } else if (response.body.find("<html") == std::string::npos &&
                   response.body.find("<!DOCTYPE") == std::string::npos) {
            message = response.body.substr(0, 500);
        }
    }
    if (message.empty()) message = response.headers.get_or("X-Error-Message");
    return message;
}

void throw_error(ErrorKind kind, ErrorDetails details) {
    switch (kind) {
        case ErrorKind::repo_not_found: throw RepoNotFoundError(std::move(details));
        case ErrorKind::gated_repo: throw GatedRepoError(std::move(details));
        case ErrorKind::revision_not_found: throw RevisionNotFoundError(std::move(details));
        case ErrorKind::entry_not_found: throw EntryNotFoundError(std::move(details));
        case ErrorKind::discussion_not_found: throw DiscussionNotFoundError(std::move(details));
        case ErrorKind::unauthorized: throw UnauthorizedError(std::move(details));
        case ErrorKind::forbidden: throw ForbiddenError(std::move(details));
        case ErrorKind::conflict: throw ConflictError(std::move(details));
        case ErrorKind::rate_limited: throw RateLimitedError(std::move(details));
        case ErrorKind::bad_request: throw BadRequestError(std::move(details));
        case ErrorKind::network: throw NetworkError(std::move(details));
        case ErrorKind::offline: throw OfflineError(std::move(details));
        case ErrorKind::invalid_response: throw InvalidResponseError(std::move(details));
        case ErrorKind::http: break;
    }
    throw HubError(ErrorKind::http, std::move(details));
}

void throw_http_error(const HttpResponse& response) {
    ErrorKind kind = classify_response(response.status, response.headers.get_or("X-Error-Code"));
    std::string request_id = response.request_id.empty() ? response.headers.get_or("X-Request-Id") : response.request_id;
    throw_error(kind, ErrorDetails{response.status, server_message(response), request_id, without_query(response.url)});
}

const HttpResponse& expect_ok(const HttpResponse& response) {
    if (!response.ok()) throw_http_error(response);
    return response;
}

}  // namespace hubfs::api
