// Git LFS pointer files: what git stores in place of an LFS object.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace localhub {

struct LfsPointer {
    std::string sha256;  // 64 lowercase hex
    uint64_t size = 0;
};

constexpr size_t kMaxLfsPointerSize = 1024;

std::optional<LfsPointer> parse_lfs_pointer(std::string_view text);
std::string make_lfs_pointer(const LfsPointer& p);
bool is_sha256_hex(std::string_view s);

}  // namespace localhub
