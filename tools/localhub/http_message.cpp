#include "http_message.hpp"

#include <algorithm>
#include <cctype>

namespace localhub {
namespace {

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

const std::string* find(const HeaderList& list, std::string_view name) {
    for (const auto& [k, v] : list)
        if (iequals(k, name)) return &v;
    return nullptr;
}

}  // namespace

std::string HttpRequest::header(std::string_view name) const {
    const auto* v = find(headers, name);
    return v ? *v : std::string();
}

bool HttpRequest::has_header(std::string_view name) const { return find(headers, name) != nullptr; }

std::string HttpRequest::param(std::string_view name) const {
    for (const auto& [k, v] : params)
        if (k == name) return v;
    return {};
}

std::vector<std::string> HttpRequest::params_named(std::string_view name) const {
    std::vector<std::string> out;
    for (const auto& [k, v] : params)
        if (k == name) out.push_back(v);
    return out;
}

bool HttpRequest::has_param(std::string_view name) const {
    return std::any_of(params.begin(), params.end(), [&](const auto& p) { return p.first == name; });
}

void HttpResponse::set_header(std::string name, std::string value) {
    for (auto& [k, v] : headers)
        if (iequals(k, name)) {
            v = std::move(value);
            return;
        }
    headers.emplace_back(std::move(name), std::move(value));
}

std::string HttpResponse::header(std::string_view name) const {
    const auto* v = find(headers, name);
    return v ? *v : std::string();
}

std::string_view reason_phrase(int status) {
    switch (status) {
        case 100: return "Continue";
        case 200: return "OK";
        case 201: return "Created";
        case 204: return "No Content";
        case 206: return "Partial Content";
        case 302: return "Found";
        case 304: return "Not Modified";
        case 307: return "Temporary Redirect";
        case 400: return "Bad Request";
        case 401: return "Unauthorized";
        case 403: return "Forbidden";
        case 404: return "Not Found";
        case 405: return "Method Not Allowed";
        case 408: return "Request Timeout";
        case 409: return "Conflict";
        case 411: return "Length Required";
        case 412: return "Precondition Failed";
        case 413: return "Payload Too Large";
        case 416: return "Range Not Satisfiable";
        case 422: return "Unprocessable Entity";
        case 429: return "Too Many Requests";
        case 431: return "Request Header Fields Too Large";
        case 500: return "Internal Server Error";
        case 501: return "Not Implemented";
        case 503: return "Service Unavailable";
        default: return "Status";
    }
}

}  // namespace localhub
