// The bytes of a file being committed, from memory or from disk, readable at any offset
// (a retried or multipart upload re-reads a slice). One pass computes size, sha256, the git
// blob id and the 512-byte sample preupload wants; a sha256 the caller knows skips that pass.
#pragma once

#include "commit_operation.hpp"

#include <cstdint>
#include <string>

namespace hubfs::api {

class UploadSource {
public:
    explicit UploadSource(const CommitOperationAdd& operation);
    UploadSource(const UploadSource&) = delete;
    UploadSource& operator=(const UploadSource&) = delete;
    UploadSource(UploadSource&& other) noexcept;
    UploadSource& operator=(UploadSource&&) = delete;
    ~UploadSource();

    uint64_t size() const { return size_; }
    const std::string& sha256() const { return sha256_; }
    // Computed with sha256 in one pass, or on first use when the sha256 was known (one thread).
    const std::string& git_sha1() const;
    const std::string& sample() const { return sample_; }  // first 512 bytes

    size_t read(uint64_t offset, char* buffer, size_t length) const;
    std::string read_all() const;

private:
    const std::string* bytes_ = nullptr;  // in-memory content, owned by the operation
    int fd_ = -1;                         // or an open file
    std::string path_;
    uint64_t size_ = 0;
    std::string sha256_;
    mutable std::string git_sha1_;
    std::string sample_;
};

}  // namespace hubfs::api
