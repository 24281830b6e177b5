#include "lfs_pointer.hpp"

#include <algorithm>

namespace localhub {

bool is_sha256_hex(std::string_view s) {
    return s.size() == 64 &&
           std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

std::optional<LfsPointer> parse_lfs_pointer(std::string_view text) {
    static constexpr std::string_view kVersion = "version https://git-lfs.github.com/spec/v1\n";
    if (text.size() > kMaxLfsPointerSize || text.substr(0, kVersion.size()) != kVersion) return std::nullopt;
    LfsPointer p;
    bool have_oid = false, have_size = false;
    size_t at = kVersion.size();
    while (at < text.size()) {
        size_t e = text.find('\n', at);
        if (e == std::string_view::npos) e = text.size();
        std::string_view line = text.substr(at, e - at);
        if (line.substr(0, 11) == "oid sha256:" && is_sha256_hex(line.substr(11))) {
            p.sha256 = std::string(line.substr(11));
            have_oid = true;
        } else if (line.substr(0, 5) == "size ") {
            try {
                p.size = std::stoull(std::string(line.substr(5)));
                have_size = true;
            } catch (const std::exception&) {
                return std::nullopt;
            }
        }
        at = e + 1;
    }
    if (!have_oid || !have_size) return std::nullopt;
    return p;
}

std::string make_lfs_pointer(const LfsPointer& p) {
    return "version https://git-lfs.github.com/spec/v1\noid sha256:" + p.sha256 + "\nsize " + std::to_string(p.size) +
           "\n";
}

}  // namespace localhub
