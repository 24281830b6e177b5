// An LFS object stored for a repository (list_lfs_files), the handle for deleting it for good.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace hubfs::api {

struct LfsFileInfo {
    std::string file_oid;  // what permanently_delete_lfs_files takes
    std::string filename;  // one path it was pushed under
    std::string oid;       // sha256 of the content
    std::string pushed_at;
    std::optional<std::string> ref;
    uint64_t size = 0;
};

}  // namespace hubfs::api
