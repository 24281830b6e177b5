// What preupload_lfs_files learnt about each addition (the fields the Python client writes
// into its CommitOperationAdd objects: _upload_mode, _should_ignore, _remote_oid, _is_uploaded).
#pragma once

#include <optional>
#include <string>

namespace hubfs::api {

struct PreuploadedFile {
    std::string path_in_repo;
    std::string upload_mode = "regular";    // "lfs" or "regular", as the Hub decided
    bool should_ignore = false;             // the repository's .gitignore excludes it
    std::optional<std::string> remote_oid;  // what the Hub holds at that path now (sha256 for LFS, git sha1 otherwise)
    bool is_uploaded = false;               // its LFS bytes are on the Hub (sent now or already there)
};

struct PreuploadOptions {
    std::string revision = "main";
    bool create_pr = false;
    int num_threads = 5;  // LFS objects uploaded concurrently
    std::optional<std::string> gitignore_content{};
};

}  // namespace hubfs::api
