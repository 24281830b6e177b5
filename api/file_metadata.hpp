// What a resolve HEAD tells about a file (get_hf_file_metadata).
#pragma once

#include <cstdint>
#include <string>

namespace hubfs::api {

struct HfFileMetadata {
    std::string commit_hash;  // X-Repo-Commit
    std::string etag;         // X-Linked-Etag or ETag, without quotes and W/
    std::string location;     // where the bytes are: a blob-host URL for LFS files
    uint64_t size = 0;        // X-Linked-Size or Content-Length
    bool is_lfs_redirect = false;  // location is another origin (no token goes there)
};

}  // namespace hubfs::api
