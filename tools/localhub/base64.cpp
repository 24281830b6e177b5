#include "base64.hpp"

namespace localhub {
namespace {

int value_of(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
}

}  // namespace

std::optional<std::string> base64_decode(std::string_view in) {
    if (in.size() % 4 != 0) return std::nullopt;
    std::string out;
    out.reserve(in.size() / 4 * 3);
    for (size_t i = 0; i < in.size(); i += 4) {
        int v[4];
        int pad = 0;
        for (int k = 0; k < 4; ++k) {
            char c = in[i + k];
            if (c == '=' && i + 4 == in.size() && k >= 2) {
                v[k] = 0;
                ++pad;
            } else {
                if (pad) return std::nullopt;  // data after padding
                v[k] = value_of(c);
                if (v[k] < 0) return std::nullopt;
            }
        }
        unsigned n = (unsigned(v[0]) << 18) | (unsigned(v[1]) << 12) | (unsigned(v[2]) << 6) | unsigned(v[3]);
        out.push_back(static_cast<char>(n >> 16));
        if (pad < 2) out.push_back(static_cast<char>((n >> 8) & 255));
        if (pad < 1) out.push_back(static_cast<char>(n & 255));
    }
    return out;
}

std::string base64_encode(std::string_view in, bool url_safe) {
    const char* a = url_safe ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
                             : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
        unsigned n = (unsigned(uint8_t(in[i])) << 16) | (unsigned(uint8_t(in[i + 1])) << 8) | uint8_t(in[i + 2]);
        out += {a[n >> 18], a[(n >> 12) & 63], a[(n >> 6) & 63], a[n & 63]};
    }
    if (i < in.size()) {
        unsigned n = unsigned(uint8_t(in[i])) << 16;
        if (i + 1 < in.size()) n |= unsigned(uint8_t(in[i + 1])) << 8;
        out += a[n >> 18];
        out += a[(n >> 12) & 63];
        out += i + 1 < in.size() ? a[(n >> 6) & 63] : '=';
        out += '=';
    }
    if (url_safe)
        while (!out.empty() && out.back() == '=') out.pop_back();
    return out;
}

}  // namespace localhub
