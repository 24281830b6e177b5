// LFS objects stored once by sha256, and the uploads that fill the store.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "lfs_multipart.hpp"

namespace localhub {

class LfsStore {
public:
    // url_lifetime: of the signed upload URLs (UrlSigner); uploads left for longer are swept.
    LfsStore(std::filesystem::path root, std::chrono::seconds url_lifetime);

    std::filesystem::path object_path(const std::string& sha256) const;
    std::optional<uint64_t> size(const std::string& sha256) const;  // nullopt if absent

    // Streams a body into the store. read(sink) feeds the bytes. The object is kept only if
    // its sha256 and size match; returns an error message otherwise (empty on success).
    using Source = ByteSource;
    std::string ingest(const std::string& sha256, uint64_t size, const Source& read);

    // Multipart (lfs_multipart.hpp): parts land in place; completion verifies the sha256 and
    // keeps the object (synced, renamed, its folder synced) only if it matches.
    MultipartUploads::Result put_part(const UploadKey& key, uint64_t part, const Source& read);
    MultipartUploads::Result complete(const UploadKey& key, const std::vector<std::pair<int, std::string>>& parts);

private:
    std::filesystem::path tmp_file() const;
    std::string finish(const std::filesystem::path& tmp, const std::string& sha256, uint64_t size,
                       const std::string& got_sha, uint64_t got_size);
    // Renames a synced file to the object's path and syncs the folders the rename changed.
    std::string place(const std::filesystem::path& file, const std::string& sha256);
    std::filesystem::path root_, tmp_;
    MultipartUploads multipart_;
};

}  // namespace localhub
