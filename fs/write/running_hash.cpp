#include "fs/write/running_hash.hpp"

#include <openssl/evp.h>
#include <sys/stat.h>
#include <xxhash.h>

#include <unistd.h>

#include <cerrno>
#include <new>
#include <system_error>

#include "fs/common/write_all.hpp"

namespace hubfs::fs {

struct RunningHash::State {
    struct Xxh3Free {
        void operator()(XXH3_state_t* s) const { XXH3_freeState(s); }
    };
    struct EvpFree {
        void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
    };
    std::unique_ptr<XXH3_state_t, Xxh3Free> xxh3{XXH3_createState()};
    std::unique_ptr<EVP_MD_CTX, EvpFree> sha256{EVP_MD_CTX_new()};
};

RunningHash::RunningHash() : state_(std::make_unique<State>()) {
    if (!state_->xxh3 || XXH3_64bits_reset(state_->xxh3.get()) != XXH_OK || !state_->sha256 ||
        EVP_DigestInit_ex(state_->sha256.get(), EVP_sha256(), nullptr) != 1)
        throw std::bad_alloc();
}

RunningHash::~RunningHash() = default;

void RunningHash::update(std::string_view bytes) {
    XXH3_64bits_update(state_->xxh3.get(), bytes.data(), bytes.size());
    EVP_DigestUpdate(state_->sha256.get(), bytes.data(), bytes.size());
    size_ += bytes.size();
}

Seal RunningHash::seal() const {
    Seal s;
    s.size = size_;
    s.xxh3 = XXH3_64bits_digest(state_->xxh3.get());  // does not end the stream
    // A sha256 ends its context: finish a copy.
    State::EvpFree free_ctx;
    std::unique_ptr<EVP_MD_CTX, State::EvpFree> copy(EVP_MD_CTX_new(), free_ctx);
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (!copy || EVP_MD_CTX_copy_ex(copy.get(), state_->sha256.get()) != 1 ||
        EVP_DigestFinal_ex(copy.get(), digest, &length) != 1)
        throw std::bad_alloc();
    static constexpr char hex[] = "0123456789abcdef";
    for (unsigned int i = 0; i < length; ++i) {
        s.sha256 += hex[digest[i] >> 4];
        s.sha256 += hex[digest[i] & 15];
    }
    return s;
}

std::shared_ptr<RunningHashes::Entry> RunningHashes::entry(const std::string& blob, bool make) {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(blob);
    if (it != entries_.end()) return it->second;
    if (!make) return nullptr;
    return entries_[blob] = std::make_shared<Entry>();
}

void RunningHashes::write(const std::string& blob, int fd, std::string_view bytes, uint64_t offset) {
    auto e = entry(blob, true);
    std::lock_guard lock(e->mutex);
    try {
        write_all(fd, bytes, offset, "write staged file");
    } catch (...) {
        e->hash.reset();  // what landed is unknown
        throw;
    }
    struct stat st {};
    const bool known = ::fstat(fd, &st) == 0;
    const uint64_t end = offset + bytes.size();
    if (known && offset == 0 && static_cast<uint64_t>(st.st_size) == end) {
        e->hash.reset();  // these bytes are the whole file: its digests start here
        e->hash.emplace();
    } else if (!e->hash || e->hash->size() != offset || !known || static_cast<uint64_t>(st.st_size) != end) {
        e->hash.reset();  // not the next bytes of the file, or the file holds others too
        return;
    }
    e->hash->update(bytes);
}

void RunningHashes::truncate(const std::string& blob, int fd, const std::filesystem::path& file, uint64_t size) {
    auto e = entry(blob, true);
    std::lock_guard lock(e->mutex);
    e->hash.reset();
    const int rc = fd >= 0 ? ::ftruncate(fd, static_cast<off_t>(size)) : ::truncate(file.c_str(), static_cast<off_t>(size));
    if (rc != 0) throw std::system_error(errno, std::generic_category(), "truncate staged file");
}

void RunningHashes::forget(const std::string& blob) {
    std::lock_guard lock(mutex_);
    entries_.erase(blob);
}

std::optional<Seal> RunningHashes::seal(const std::string& blob, const std::filesystem::path& file) {
    auto e = entry(blob, false);
    if (!e) return std::nullopt;
    std::lock_guard lock(e->mutex);
    struct stat st {};
    if (!e->hash || ::stat(file.c_str(), &st) != 0 || static_cast<uint64_t>(st.st_size) != e->hash->size())
        return std::nullopt;
    return e->hash->seal();
}

}  // namespace hubfs::fs
