#include "blob_file.hpp"

#include "fs/common/write_all.hpp"

#include <cerrno>
#include <fcntl.h>
#include <string>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>

namespace hubfs::cache {

namespace {

[[noreturn]] void throw_errno(int err, const std::string& what, const std::filesystem::path& path) {
    throw std::system_error(err, std::generic_category(), "hubfs cache: " + what + " " + path.string());
}

// Creates `dir` if missing; true if this call created it.
bool make_dir(const std::filesystem::path& dir) {
    if (::mkdir(dir.c_str(), 0755) == 0) return true;
    if (errno == EEXIST) return false;
    throw_errno(errno, "mkdir", dir);
}

}  // namespace

void sync_directory(const std::filesystem::path& dir) {
    UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) throw_errno(errno, "open directory", dir);
    if (::fsync(fd.get()) != 0) throw_errno(errno, "fsync directory", dir);
}

BlobFile BlobFile::open_for_write(const std::filesystem::path& path, uint64_t total_size) {
    const auto parent = path.parent_path();
    if (make_dir(parent)) sync_directory(parent.parent_path());

    bool created = true;
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (!fd && errno == EEXIST) {
        created = false;
        fd = UniqueFd(::open(path.c_str(), O_RDWR | O_CLOEXEC));
    }
    if (!fd) throw_errno(errno, "open", path);

    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) throw_errno(errno, "fstat", path);
    // Only ever grown: another process may be writing the same content concurrently.
    if (static_cast<uint64_t>(st.st_size) < total_size &&
        ::ftruncate(fd.get(), static_cast<off_t>(total_size)) != 0)
        throw_errno(errno, "ftruncate", path);
    if (created) sync_directory(parent);
    return BlobFile(std::move(fd));
}

std::optional<BlobFile> BlobFile::open_for_read(const std::filesystem::path& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return std::nullopt;
    return BlobFile(std::move(fd));
}

void BlobFile::write_all(std::string_view data, uint64_t offset) {
    hubfs::write_all(fd_.get(), data, offset, "hubfs cache: pwrite");
}

void BlobFile::datasync() const {
    if (::fdatasync(fd_.get()) != 0) throw std::system_error(errno, std::generic_category(), "hubfs cache: fdatasync");
}

std::pair<dev_t, ino_t> BlobFile::identity() const {
    struct stat st {};
    if (::fstat(fd_.get(), &st) != 0) throw std::system_error(errno, std::generic_category(), "hubfs cache: fstat");
    return {st.st_dev, st.st_ino};
}

uint64_t BlobFile::ctime_ns() const {
    struct stat st {};
    if (::fstat(fd_.get(), &st) != 0) return 0;
    return static_cast<uint64_t>(st.st_ctim.tv_sec) * 1000000000ull + static_cast<uint64_t>(st.st_ctim.tv_nsec);
}

bool BlobFile::read_exact(char* buf, size_t n, uint64_t offset) const {
    size_t done = 0;
    while (done < n) {
        ssize_t r = ::pread(fd_.get(), buf + done, n - done, static_cast<off_t>(offset + done));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return false;
        done += static_cast<size_t>(r);
    }
    return true;
}

bool BlobFile::is_linked_at(const std::filesystem::path& path) const {
    struct stat mine {}, named {};
    if (::fstat(fd_.get(), &mine) != 0 || ::stat(path.c_str(), &named) != 0) return false;
    return mine.st_dev == named.st_dev && mine.st_ino == named.st_ino;
}

}  // namespace hubfs::cache
