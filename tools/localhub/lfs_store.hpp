// LFS objects stored once by sha256, and the uploads that fill the store.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace localhub {

class LfsStore {
public:
    explicit LfsStore(std::filesystem::path root);

    std::filesystem::path object_path(const std::string& sha256) const;
    std::optional<uint64_t> size(const std::string& sha256) const;  // nullopt if absent

    // Streams a body into the store. read(sink) feeds the bytes. The object is kept only if
    // its sha256 and size match; returns an error message otherwise (empty on success).
    using Source = std::function<bool(const std::function<bool(const char*, size_t)>&)>;
    std::string ingest(const std::string& sha256, uint64_t size, const Source& read);

    // Multipart: each part is stored on its own; completion joins them in order.
    // Returns the part's etag, or an error message through `error`.
    std::string put_part(const std::string& sha256, int part, const Source& read, std::string& error);
    std::string complete(const std::string& sha256, uint64_t size, const std::vector<std::pair<int, std::string>>& parts);

private:
    std::filesystem::path tmp_file() const;
    std::string finish(const std::filesystem::path& tmp, const std::string& sha256, uint64_t size,
                       const std::string& got_sha, uint64_t got_size);
    std::filesystem::path root_, tmp_;
};

}  // namespace localhub
