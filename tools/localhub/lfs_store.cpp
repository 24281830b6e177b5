#include "lfs_store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
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

}  // namespace

LfsStore::LfsStore(fs::path root) : root_(root / "objects"), tmp_(root / "tmp") {
    fs::create_directories(root_);
    fs::create_directories(tmp_);
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
    auto dest = object_path(sha);
    fs::create_directories(dest.parent_path(), ec);
    fs::rename(tmp, dest, ec);  // atomic: a reader sees the whole object or none
    if (ec) {
        fs::remove(tmp, ec);
        return "cannot store object: " + ec.message();
    }
    return {};
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

std::string LfsStore::put_part(const std::string& sha, int part, const Source& read, std::string& error) {
    if (!is_sha256_hex(sha) || part < 1) {
        error = "invalid oid or part number";
        return {};
    }
    auto dir = tmp_ / ("multipart-" + sha);
    std::error_code ec;
    fs::create_directories(dir, ec);
    auto tmp = tmp_file();
    std::string part_sha;
    uint64_t part_size = 0;
    if (!spool(tmp, read, part_sha, part_size)) {
        fs::remove(tmp, ec);
        error = "upload interrupted";
        return {};
    }
    fs::rename(tmp, dir / std::to_string(part), ec);
    if (ec) {
        error = "cannot store part: " + ec.message();
        return {};
    }
    return "\"" + part_sha + "\"";
}

std::string LfsStore::complete(const std::string& sha, uint64_t size,
                               const std::vector<std::pair<int, std::string>>& parts) {
    if (!is_sha256_hex(sha)) return "invalid oid";
    auto dir = tmp_ / ("multipart-" + sha);
    auto tmp = tmp_file();
    std::string got_sha;
    uint64_t got_size = 0;
    std::string error;
    bool ok = spool(
        tmp,
        [&](const std::function<bool(const char*, size_t)>& sink) {
            std::vector<char> buf(1 << 20);
            for (const auto& [number, etag] : parts) {
                auto part_path = dir / std::to_string(number);
                std::ifstream in(part_path, std::ios::binary);
                if (!in) {
                    error = "part " + std::to_string(number) + " was not uploaded";
                    return false;
                }
                Sha256 h;
                while (in) {
                    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
                    auto n = static_cast<size_t>(in.gcount());
                    if (n == 0) break;
                    h.update(buf.data(), n);
                    if (!sink(buf.data(), n)) return false;
                }
                std::string want = etag;
                if (want.size() >= 2 && want.front() == '"') want = want.substr(1, want.size() - 2);
                if (h.hex() != want) {
                    error = "etag of part " + std::to_string(number) + " does not match";
                    return false;
                }
            }
            return true;
        },
        got_sha, got_size);
    std::error_code ec;
    if (!ok) {
        fs::remove(tmp, ec);
        return error.empty() ? "cannot join parts" : error;
    }
    auto result = finish(tmp, sha, size, got_sha, got_size);
    if (result.empty()) fs::remove_all(dir, ec);
    return result;
}

}  // namespace localhub
