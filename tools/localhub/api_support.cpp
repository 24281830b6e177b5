#include "api_support.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>

#include "base64.hpp"
#include "url.hpp"

namespace localhub {

std::string next_request_id() {
    static std::atomic<uint64_t> counter{0};
    static const uint64_t boot = static_cast<uint64_t>(std::chrono::system_clock::now().time_since_epoch().count());
    char buf[48];
    std::snprintf(buf, sizeof buf, "Root=1-%08llx-%012llx", static_cast<unsigned long long>(boot & 0xffffffff),
                  static_cast<unsigned long long>(++counter));
    return buf;
}

void render_error(HttpResponse& res, const HubError& e) {
    std::string request_id = res.header("X-Request-Id");
    res = HttpResponse{};
    if (!request_id.empty()) res.set_header("X-Request-Id", request_id);
    res.status = e.status;
    for (const auto& [k, v] : e.headers) res.set_header(k, v);
    if (!e.code.empty()) res.set_header("X-Error-Code", e.code);
    // Header values cannot hold line breaks.
    std::string msg = e.what();
    std::replace(msg.begin(), msg.end(), '\n', ' ');
    std::replace(msg.begin(), msg.end(), '\r', ' ');
    res.set_header("X-Error-Message", msg);
    nlohmann::json body = e.fields.is_object() ? e.fields : nlohmann::json::object();
    body["error"] = e.what();
    send_json(res, body, e.status);
}

void send_json(HttpResponse& res, const nlohmann::json& body, int status) {
    res.status = status;
    res.set_header("Content-Type", "application/json; charset=utf-8");
    res.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string endpoint_of(const HttpRequest& req) {
    std::string host = req.header("host");
    return "http://" + (host.empty() ? std::string("127.0.0.1") : host);
}

bool truthy(const std::string& v) {
    std::string l = v;
    std::transform(l.begin(), l.end(), l.begin(), [](unsigned char c) { return std::tolower(c); });
    return l == "true" || l == "1";
}

std::string read_body(HttpRequest& req, uint64_t max) {
    if (!req.body) return {};
    if (auto n = req.body->declared_length(); n && *n > max)
        throw HubError(413, "request body too large (" + std::to_string(*n) + " bytes, at most " +
                                std::to_string(max) + ")");
    std::string body;
    bool too_big = false;
    bool ok = req.body->read([&](const char* p, size_t n) {
        if (body.size() + n > max) {
            too_big = true;
            return false;
        }
        body.append(p, n);
        return true;
    });
    if (too_big) throw HubError(413, "request body too large (at most " + std::to_string(max) + " bytes)");
    if (!ok) throw HubError(400, "incomplete request body");
    return body;
}

nlohmann::json read_json_body(HttpRequest& req, uint64_t max) {
    std::string body = read_body(req, std::min(max, kMaxJsonBody));
    if (body.empty()) return nlohmann::json::object();
    try {
        return nlohmann::json::parse(body);
    } catch (const nlohmann::json::exception& e) {
        throw HubError(400, std::string("malformed JSON body: ") + e.what());
    }
}

std::string checked_repo_path(const std::string& raw) {
    std::string path = raw;
    if (path.rfind("./", 0) == 0) path = path.substr(2);
    if (!path.empty() && path.back() == '/') path.pop_back();
    auto bad = [&](const std::string& why) { return HubError(400, "invalid path '" + raw + "': " + why); };
    if (path.empty()) throw bad("empty");
    if (path.size() > 1024) throw bad("longer than 1024 bytes");
    if (path.front() == '/') throw bad("absolute");
    if (path.find('\0') != std::string::npos) throw bad("contains NUL");
    if (path.find('\\') != std::string::npos) throw bad("contains a backslash");
    size_t start = 0;
    while (start <= path.size()) {
        size_t slash = path.find('/', start);
        if (slash == std::string::npos) slash = path.size();
        std::string seg = path.substr(start, slash - start);
        if (seg.empty()) throw bad("empty segment");
        if (seg == "." || seg == "..") throw bad("relative segment");
        if (seg == ".git") throw bad("'.git' segment");
        if (seg.size() > 255) throw bad("a name longer than 255 bytes");
        start = slash + 1;
    }
    return path;
}

namespace {

std::optional<size_t> decode_cursor(const std::string& cursor) {
    std::string padded = cursor;
    while (padded.size() % 4) padded += '=';
    auto text = base64_decode(padded);
    if (!text || text->rfind("offset:", 0) != 0) return std::nullopt;
    try {
        return static_cast<size_t>(std::stoull(text->substr(7)));
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

}  // namespace

Page page_of(const HttpRequest& req, size_t total, size_t default_limit, size_t max_limit) {
    Page p;
    size_t limit = default_limit;
    if (req.has_param("limit")) {
        try {
            limit = std::clamp<size_t>(std::stoull(req.param("limit")), 1, max_limit);
        } catch (const std::exception&) {
            throw HubError(400, "invalid limit");
        }
    }
    if (req.has_param("cursor")) {
        auto off = decode_cursor(req.param("cursor"));
        if (!off) throw HubError(400, "invalid cursor");
        p.offset = *off;
    }
    p.offset = std::min(p.offset, total);
    p.count = std::min(limit, total - p.offset);
    return p;
}

void set_next_link(const HttpRequest& req, HttpResponse& res, const Page& page, size_t total) {
    if (page.offset + page.count >= total) return;
    std::string query;
    size_t q = req.target.find('?');
    if (q != std::string::npos) {
        std::string_view rest(req.target);
        rest.remove_prefix(q + 1);
        size_t start = 0;
        while (start <= rest.size()) {
            size_t amp = rest.find('&', start);
            if (amp == std::string_view::npos) amp = rest.size();
            auto item = rest.substr(start, amp - start);
            if (!item.empty() && item.rfind("cursor=", 0) != 0) query += std::string(item) + "&";
            start = amp + 1;
        }
    }
    query += "cursor=" + base64_encode("offset:" + std::to_string(page.offset + page.count), true);
    res.set_header("Link", "<" + endpoint_of(req) + req.raw_path + "?" + query + ">; rel=\"next\"");
}

}  // namespace localhub
