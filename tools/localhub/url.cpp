#include "url.hpp"

namespace localhub {
namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

std::optional<std::string> percent_decode(std::string_view s, bool form) {
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        if (c == '%') {
            if (i + 2 >= s.size()) return std::nullopt;
            int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
            if (hi < 0 || lo < 0) return std::nullopt;
            out.push_back(static_cast<char>(hi * 16 + lo));
            i += 2;
        } else if (c == '+' && form) {
            out.push_back(' ');
        } else {
            out.push_back(c);
        }
    }
    return out;
}

std::string percent_encode(std::string_view s, bool keep_slash) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                     c == '_' || c == '.' || c == '~' || (keep_slash && c == '/');
        if (plain) {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back('%');
            out.push_back(hex[c >> 4]);
            out.push_back(hex[c & 15]);
        }
    }
    return out;
}

HeaderList parse_query(std::string_view query) {
    HeaderList out;
    size_t start = 0;
    while (start <= query.size()) {
        size_t amp = query.find('&', start);
        if (amp == std::string_view::npos) amp = query.size();
        std::string_view item = query.substr(start, amp - start);
        if (!item.empty()) {
            size_t eq = item.find('=');
            auto key = percent_decode(item.substr(0, eq), true);
            auto value = eq == std::string_view::npos ? std::optional<std::string>("")
                                                      : percent_decode(item.substr(eq + 1), true);
            if (key && value) out.emplace_back(std::move(*key), std::move(*value));
        }
        start = amp + 1;
    }
    return out;
}

std::optional<std::vector<std::string>> split_path(std::string_view raw_path) {
    std::vector<std::string> out;
    size_t start = 0;
    while (start < raw_path.size()) {
        size_t slash = raw_path.find('/', start);
        if (slash == std::string_view::npos) slash = raw_path.size();
        if (slash > start) {
            auto seg = percent_decode(raw_path.substr(start, slash - start));
            if (!seg) return std::nullopt;
            out.push_back(std::move(*seg));
        }
        start = slash + 1;
    }
    return out;
}

}  // namespace localhub
