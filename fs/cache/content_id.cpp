#include "content_id.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace hubfs::cache {

bool is_valid_content_id(std::string_view id) {
    if (id.size() < 2 || id.size() > 128) return false;
    return std::all_of(id.begin(), id.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

void require_valid_content_id(std::string_view id) {
    if (is_valid_content_id(id)) return;
    std::string shown;
    for (char c : id.substr(0, 80)) shown += (c >= 0x20 && c < 0x7f) ? c : '?';
    throw std::invalid_argument("hubfs cache: invalid content id \"" + shown +
                                "\" (expected 2-128 lowercase hex digits)");
}

std::filesystem::path blob_path(const std::filesystem::path& blobs_dir, std::string_view id) {
    return blobs_dir / std::string(id.substr(0, 2)) / std::string(id);
}

}  // namespace hubfs::cache
