// Content ids name blob files, so they are checked before they touch a path.
#pragma once

#include <filesystem>
#include <string_view>

namespace hubfs::cache {

// A git blob sha1 (40) or LFS sha256 (64), or any lowercase hex string of 2 to 128 digits.
bool is_valid_content_id(std::string_view id);
// Throws std::invalid_argument naming the bad id (truncated) unless is_valid_content_id(id).
void require_valid_content_id(std::string_view id);
// blobs/<first two digits>/<id>: 256 fan-out directories keep directories small.
std::filesystem::path blob_path(const std::filesystem::path& blobs_dir, std::string_view id);

}  // namespace hubfs::cache
