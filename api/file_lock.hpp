// An exclusive advisory lock on a lock file (flock), held for the object's lifetime. The cache
// uses the same lock files as the Python client ({cache}/.locks/{repo}/{etag}.lock, which
// `filelock` also takes with flock), so hubfs and Python never write one blob at once.
#pragma once

#include <filesystem>

namespace hubfs::api {

class FileLock {
public:
    explicit FileLock(const std::filesystem::path& path);  // blocks until acquired
    FileLock(const FileLock&) = delete;
    FileLock& operator=(const FileLock&) = delete;
    ~FileLock();

private:
    int fd_ = -1;
};

}  // namespace hubfs::api
