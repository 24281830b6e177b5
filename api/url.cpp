#include "url.hpp"

#include <algorithm>
#include <cctype>

namespace hubfs::api {

namespace {

bool is_unreserved(unsigned char c) {
    return std::isalnum(c) != 0 || c == '-' || c == '.' || c == '_' || c == '~';
}

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

int default_port(std::string_view scheme) { return scheme == "https" ? 443 : 80; }

}  // namespace

std::string percent_encode(std::string_view text) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(text.size());
    for (unsigned char c : text) {
        if (is_unreserved(c)) {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 0xF];
        }
    }
    return out;
}

std::string percent_encode_path(std::string_view path) {
    std::string out;
    size_t start = 0;
    while (true) {
        size_t slash = path.find('/', start);
        out += percent_encode(path.substr(start, slash == std::string_view::npos ? slash : slash - start));
        if (slash == std::string_view::npos) break;
        out += '/';
        start = slash + 1;
    }
    return out;
}

std::string build_query(const std::vector<std::pair<std::string, std::string>>& params) {
    std::string out;
    for (const auto& [key, value] : params) {
        if (!out.empty()) out += '&';
        out += percent_encode(key);
        out += '=';
        out += percent_encode(value);
    }
    return out;
}

std::string ParsedUrl::origin() const { return scheme + "://" + host + ":" + std::to_string(port); }

std::optional<ParsedUrl> parse_url(std::string_view url) {
    size_t scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos) return std::nullopt;
    ParsedUrl parsed;
    parsed.scheme = lower(url.substr(0, scheme_end));
    if (parsed.scheme != "http" && parsed.scheme != "https") return std::nullopt;
    std::string_view rest = url.substr(scheme_end + 3);
    size_t path_start = rest.find_first_of("/?#");
    std::string_view authority = rest.substr(0, path_start);
    if (size_t at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);
    std::string_view host = authority;
    std::string_view port;
    if (!authority.empty() && authority.front() == '[') {
        size_t close = authority.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        host = authority.substr(1, close - 1);
        if (close + 1 < authority.size() && authority[close + 1] == ':') port = authority.substr(close + 2);
    } else if (size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
        host = authority.substr(0, colon);
        port = authority.substr(colon + 1);
    }
    if (host.empty()) return std::nullopt;
    parsed.host = lower(host);
    parsed.port = default_port(parsed.scheme);
    if (!port.empty()) {
        int value = 0;
        for (char c : port) {
            if (c < '0' || c > '9') return std::nullopt;
            value = value * 10 + (c - '0');
            if (value > 65535) return std::nullopt;
        }
        parsed.port = value;
    }
    std::string_view path = path_start == std::string_view::npos ? std::string_view{} : rest.substr(path_start);
    if (size_t hash = path.find('#'); hash != std::string_view::npos) path = path.substr(0, hash);
    parsed.path_and_query = path.empty() || path.front() != '/' ? "/" + std::string(path) : std::string(path);
    return parsed;
}

std::string resolve_location(std::string_view base, std::string_view location) {
    if (location.find("://") != std::string_view::npos) return std::string(location);
    auto parsed = parse_url(base);
    if (!parsed) return std::string(location);
    std::string_view base_sv = base;
    size_t authority_end = base_sv.find_first_of("/?#", base_sv.find("://") + 3);
    std::string prefix(base_sv.substr(0, authority_end));
    if (location.starts_with("//")) return parsed->scheme + ":" + std::string(location);
    if (location.starts_with("/")) return prefix + std::string(location);
    // Relative to the base path's directory.
    std::string path = parsed->path_and_query.substr(0, parsed->path_and_query.find('?'));
    path = path.substr(0, path.rfind('/') + 1);
    return prefix + path + std::string(location);
}

bool same_origin(std::string_view a, std::string_view b) {
    auto pa = parse_url(a);
    auto pb = parse_url(b);
    return pa && pb && pa->origin() == pb->origin();
}

}  // namespace hubfs::api
