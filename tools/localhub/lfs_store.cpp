#include "lfs_store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <random>

#include "lfs_pointer.hpp"
#include "sha256.hpp"
#include "fs/common/unique_fd.hpp"

namespace fs = std::filesystem;

namespace localhub {

using hubfs::UniqueFd;

namespace {

bool write_all(int fd, const char* p, size_t n) {
    while (n > 0) {
        ssize_t w = ::write(fd, p, n);
        if (w < 0) return false;
        p += w;
        n -= static_cast<size_t>(w);
    }
    return true;
}

// Writes the source to a file while hashing it.
bool spool(const fs::path& path, const LfsStore::Source& read, std::string& sha, uint64_t& size) {
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd) return false;
    Sha256 h;
    size = 0;
    bool ok = true;
    bool complete = read([&](const char* p, size_t n) {
        h.update(p, n);
        size += n;
        ok = write_all(fd.get(), p, n);
        return ok;
    });
    sha = h.hex();
    return complete && ok && ::fsync(fd.get()) == 0;
}

bool sync_dir(const fs::path& dir) {
    UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    return fd && ::fsync(fd.get()) == 0;
}

// Creates both folders (before the multipart staging under tmp is swept) and returns tmp.
fs::path make_dirs(const fs::path& objects, const fs::path& tmp) {
    fs::create_directories(objects);
    fs::create_directories(tmp);
    return tmp;
}

}  // namespace

LfsStore::LfsStore(fs::path root, std::chrono::seconds url_lifetime)
    : root_(root / "objects"), tmp_(make_dirs(root_, root / "tmp")), multipart_(tmp_, url_lifetime) {
    // Basic uploads a killed server left half-written: none is in progress before we serve.
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(tmp_, ec))
        if (e.path().filename().string().starts_with("upload-")) fs::remove(e.path(), ec);
}

fs::path LfsStore::object_path(const std::string& sha) const {
    // The name comes from URLs: only 64 hex digits may become a path.
    if (!is_sha256_hex(sha)) throw std::invalid_argument("not a sha256");
    return root_ / sha.substr(0, 2) / sha.substr(2, 2) / sha;
}

std::optional<uint64_t> LfsStore::size(const std::string& sha) const {
    if (!is_sha256_hex(sha)) return std::nullopt;
    std::error_code ec;
    auto n = fs::file_size(object_path(sha), ec);
    if (ec) return std::nullopt;
    return n;
}

fs::path LfsStore::tmp_file() const {
    static std::atomic<uint64_t> counter{0};
    thread_local std::mt19937_64 rng{std::random_device{}()};
    return tmp_ / ("upload-" + std::to_string(rng()) + "-" + std::to_string(counter++));
}

std::string LfsStore::finish(const fs::path& tmp, const std::string& sha, uint64_t size, const std::string& got_sha,
                             uint64_t got_size) {
    std::error_code ec;
    if (got_size != size || got_sha != sha) {
        fs::remove(tmp, ec);
        return "uploaded content does not match: expected sha256 " + sha + " and " + std::to_string(size) +
               " bytes, got " + got_sha + " and " + std::to_string(got_size) + " bytes";
    }
    auto error = place(tmp, sha);
    if (!error.empty()) fs::remove(tmp, ec);
    return error;
}

std::string LfsStore::place(const fs::path& file, const std::string& sha) {
    auto dest = object_path(sha);
    std::error_code ec;
    bool made = fs::create_directories(dest.parent_path(), ec);
    if (!ec) fs::rename(file, dest, ec);  // atomic: a reader sees the whole object or none
    if (ec) return "cannot store object: " + ec.message();
    // The rename is durable once the folders holding it are: objects/ab/cd, and the folders
    // above it when they were just made.
    bool synced = sync_dir(dest.parent_path());
    if (made) synced = sync_dir(dest.parent_path().parent_path()) && sync_dir(root_) && synced;
    return synced ? "" : "cannot sync the object's folder";
}

std::string LfsStore::ingest(const std::string& sha, uint64_t size, const Source& read) {
    if (!is_sha256_hex(sha)) return "invalid oid";
    auto tmp = tmp_file();
    std::string got_sha;
    uint64_t got_size = 0;
    if (!spool(tmp, read, got_sha, got_size)) {
        std::error_code ec;
        fs::remove(tmp, ec);
        return "upload interrupted";
    }
    return finish(tmp, sha, size, got_sha, got_size);
}

MultipartUploads::Result LfsStore::put_part(const UploadKey& key, uint64_t part, const Source& read) {
    return multipart_.put_part(key, part, read);
}

MultipartUploads::Result LfsStore::complete(const UploadKey& key, const std::vector<std::pair<int, std::string>>& parts) {
    return multipart_.complete(key, parts, [this](const fs::path& file, const std::string& sha) { return place(file, sha); });
}

}  // namespace localhub
