#include "upload_source.hpp"

#include "digest.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace hubfs::api {

namespace {
constexpr size_t sample_size = 512;
constexpr size_t hash_chunk = 1 << 20;

[[noreturn]] void io_error(const std::string& what, const std::string& path) {
    throw std::runtime_error(what + " " + path + ": " + std::strerror(errno));
}
}  // namespace

UploadSource::UploadSource(const CommitOperationAdd& operation) {
    if (const auto* bytes = std::get_if<std::string>(&operation.content)) {
        bytes_ = bytes;
        size_ = bytes->size();
        sha256_ = sha256_hex(*bytes);
        GitBlobSha1 git(size_);
        git.update(*bytes);
        git_sha1_ = git.hex_digest();
        sample_ = bytes->substr(0, sample_size);
        return;
    }
    path_ = std::get<std::filesystem::path>(operation.content).string();
    fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) io_error("cannot open", path_);
    struct stat info {};
    if (::fstat(fd_, &info) != 0) {
        ::close(fd_);
        io_error("cannot stat", path_);
    }
    size_ = static_cast<uint64_t>(info.st_size);
    if (operation.known && operation.known->size == size_ && !operation.known->sha256.empty()) {
        // Hashed as it was written: read only the sample; the git blob id when asked.
        sha256_ = operation.known->sha256;
        sample_.resize(static_cast<size_t>(std::min<uint64_t>(size_, sample_size)));
        sample_.resize(read(0, sample_.data(), sample_.size()));
        return;
    }
    Sha256 hasher;
    GitBlobSha1 git(size_);
    std::vector<char> buffer(hash_chunk);
    for (uint64_t offset = 0; offset < size_;) {
        size_t got = read(offset, buffer.data(), buffer.size());
        if (got == 0) break;
        std::string_view chunk(buffer.data(), got);
        if (offset < sample_size) sample_ += chunk.substr(0, sample_size - offset);
        hasher.update(chunk);
        git.update(chunk);
        offset += got;
    }
    sha256_ = hasher.hex_digest();
    git_sha1_ = git.hex_digest();
}

UploadSource::UploadSource(UploadSource&& other) noexcept
    : bytes_(other.bytes_), fd_(other.fd_), path_(std::move(other.path_)), size_(other.size_),
      sha256_(std::move(other.sha256_)), git_sha1_(std::move(other.git_sha1_)), sample_(std::move(other.sample_)) {
    other.fd_ = -1;
}

UploadSource::~UploadSource() {
    if (fd_ >= 0) ::close(fd_);
}

const std::string& UploadSource::git_sha1() const {
    if (!git_sha1_.empty()) return git_sha1_;
    GitBlobSha1 git(size_);
    std::vector<char> buffer(static_cast<size_t>(std::min<uint64_t>(size_, hash_chunk)));
    for (uint64_t offset = 0; offset < size_;) {
        size_t got = read(offset, buffer.data(), buffer.size());
        if (got == 0) throw std::runtime_error("file shrank while committing: " + path_);
        git.update(std::string_view(buffer.data(), got));
        offset += got;
    }
    git_sha1_ = git.hex_digest();
    return git_sha1_;
}

size_t UploadSource::read(uint64_t offset, char* buffer, size_t length) const {
    if (offset >= size_) return 0;
    length = static_cast<size_t>(std::min<uint64_t>(length, size_ - offset));
    if (bytes_ != nullptr) {
        std::memcpy(buffer, bytes_->data() + offset, length);
        return length;
    }
    while (true) {
        ssize_t got = ::pread(fd_, buffer, length, static_cast<off_t>(offset));
        if (got >= 0) return static_cast<size_t>(got);
        if (errno != EINTR) io_error("cannot read", path_);
    }
}

std::string UploadSource::read_all() const {
    std::string out(static_cast<size_t>(size_), '\0');
    uint64_t done = 0;
    while (done < size_) {
        size_t got = read(done, out.data() + done, static_cast<size_t>(size_ - done));
        if (got == 0) throw std::runtime_error("file shrank while committing: " + path_);
        done += got;
    }
    return out;
}

}  // namespace hubfs::api
