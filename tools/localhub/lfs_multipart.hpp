// Multipart LFS uploads. Each part is written where it belongs in one staging file per upload,
// so completing joins nothing: the object's sha256 is computed over the parts in order as they
// land (read back from the page cache, off the completion), writeback of each part starts as it
// lands, and completion hashes what is left, syncs once and hands the file over to be renamed.
// Every batch answer names its own upload (an id in the signed URLs): two uploads of one object
// at once never share a staging file.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace localhub {

// Feeds a request body to sink; false if the body ended early or sink refused.
using ByteSource = std::function<bool(const std::function<bool(const char*, size_t)>&)>;

struct UploadKey {
    std::string sha256;
    uint64_t size = 0;
    uint64_t chunk = 0;  // part size: part n starts at (n - 1) * chunk
    std::string id;      // from the batch answer: one per upload of the object

    uint64_t parts() const { return (size + chunk - 1) / chunk; }
    uint64_t part_size(uint64_t n) const { return n < parts() ? chunk : size - (parts() - 1) * chunk; }
};

class MultipartUploads {
public:
    struct Result {
        int status = 0;  // 0 on success, else an HTTP status
        std::string message;
        std::string etag;  // of a stored part
        explicit operator bool() const { return status == 0; }
    };
    // Takes the verified, synced staging file and makes it the object; an error message or "".
    using Accept = std::function<std::string(const std::filesystem::path& file, const std::string& sha256)>;

    // url_lifetime: how long the signed URLs of an upload stay valid (UrlSigner). An upload's
    // staging untouched for twice that is removed (sweep()): no PUT or completion of it can come.
    MultipartUploads(std::filesystem::path tmp_root, std::chrono::seconds url_lifetime);
    ~MultipartUploads();

    static std::string new_id();
    static bool valid(const UploadKey& key);

    Result put_part(const UploadKey& key, uint64_t part, const ByteSource& read);
    // parts: (part number, etag) as the client lists them, every part exactly once.
    Result complete(const UploadKey& key, const std::vector<std::pair<int, std::string>>& parts, const Accept& accept);

private:
    struct Upload;
    // Removes the staging of uploads whose URLs have all expired; also at start (what a server
    // killed mid-upload left). get() calls it at most once per url_lifetime. Callers hold mutex_.
    void sweep();
    std::shared_ptr<Upload> get(const UploadKey& key);
    void drop(const UploadKey& key, const std::shared_ptr<Upload>& u);
    std::filesystem::path dir_of(const UploadKey& key) const;

    std::filesystem::path tmp_;
    std::chrono::seconds url_lifetime_;
    std::mutex mutex_;
    std::chrono::steady_clock::time_point next_sweep_{};
    std::map<std::string, std::shared_ptr<Upload>> uploads_;  // by staging folder name
};

}  // namespace localhub
