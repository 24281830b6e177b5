#include "http_parser.hpp"

#include <algorithm>

namespace localhub {
namespace {

bool is_tchar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != '\0' && std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos);
}

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

std::string trim(std::string_view s) {
    size_t a = s.find_first_not_of(" \t"), b = s.find_last_not_of(" \t");
    if (a == std::string_view::npos) return {};
    return std::string(s.substr(a, b - a + 1));
}

}  // namespace

std::optional<RequestHead> parse_request_head(std::string_view head) {
    // One space between the three parts, a token method, a target in origin form (or "*"),
    // HTTP/1.0 or 1.1, token field names with no space before the colon, no folded lines, no
    // bare CR, LF or NUL anywhere.
    if (head.find('\0') != std::string_view::npos) return std::nullopt;
    size_t line_end = head.find("\r\n");
    std::string_view line = head.substr(0, line_end);
    size_t s1 = line.find(' ');
    if (s1 == std::string_view::npos) return std::nullopt;
    size_t s2 = line.find(' ', s1 + 1);
    if (s2 == std::string_view::npos || line.find(' ', s2 + 1) != std::string_view::npos) return std::nullopt;
    RequestHead out;
    std::string_view method = line.substr(0, s1), target = line.substr(s1 + 1, s2 - s1 - 1);
    out.version = std::string(line.substr(s2 + 1));
    if (method.empty() || !std::all_of(method.begin(), method.end(), is_tchar)) return std::nullopt;
    if (out.version != "HTTP/1.1" && out.version != "HTTP/1.0") return std::nullopt;
    if (target.empty() || (target[0] != '/' && target != "*")) return std::nullopt;
    for (char c : target)
        if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return std::nullopt;
    out.method = std::string(method);
    out.target = std::string(target);
    size_t at = line_end == std::string_view::npos ? head.size() : line_end + 2;
    while (at < head.size()) {
        size_t e = head.find("\r\n", at);
        if (e == std::string_view::npos) e = head.size();
        std::string_view h = head.substr(at, e - at);
        if (h.find_first_of("\r\n") != std::string_view::npos) return std::nullopt;
        size_t colon = h.find(':');
        if (colon == std::string_view::npos || colon == 0) return std::nullopt;
        std::string_view name = h.substr(0, colon);
        if (!std::all_of(name.begin(), name.end(), is_tchar)) return std::nullopt;  // also refuses obs-fold
        out.headers.emplace_back(lower(name), trim(h.substr(colon + 1)));
        at = e + 2;
    }
    return out;
}

std::optional<BodyFraming> body_framing(const RequestHead& head) {
    // A request that could be framed two ways is refused: a proxy in front of localhub might
    // frame it the other way (request smuggling).
    size_t te = 0, cl = 0;
    std::string coding;
    std::optional<uint64_t> length;
    for (const auto& [k, v] : head.headers) {
        if (k == "transfer-encoding") {
            ++te;
            coding = lower(v);
        } else if (k == "content-length") {
            ++cl;
            auto n = parse_decimal(v);
            if (!n || (length && *length != *n)) return std::nullopt;  // several must agree
            length = n;
        }
    }
    if (te && cl) return std::nullopt;
    if (te) {
        if (te != 1 || coding != "chunked" || head.version != "HTTP/1.1") return std::nullopt;
        return BodyFraming{Framing::chunked, 0};
    }
    if (length && *length > 0) return BodyFraming{Framing::length, *length};
    return BodyFraming{};
}

std::optional<uint64_t> parse_decimal(std::string_view s) {
    if (s.empty() || s.size() > 18) return std::nullopt;
    uint64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        v = v * 10 + static_cast<uint64_t>(c - '0');
    }
    return v;
}

std::optional<uint64_t> parse_chunk_size(std::string_view line) {
    size_t n = 0;
    uint64_t v = 0;
    for (; n < line.size() && n <= 15; ++n) {
        char c = line[n];
        int d = (c >= '0' && c <= '9') ? c - '0'
                : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                         : -1;
        if (d < 0) break;
        v = v * 16 + static_cast<uint64_t>(d);
    }
    if (n == 0 || n > 15) return std::nullopt;
    std::string_view rest = line.substr(n);
    while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
    if (!rest.empty() && rest.front() != ';') return std::nullopt;
    return v;
}

}  // namespace localhub
