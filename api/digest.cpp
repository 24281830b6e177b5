#include "digest.hpp"

#include <new>
#include <stdexcept>

namespace hubfs::api {

Digest::Digest(const EVP_MD* algorithm) : context_(EVP_MD_CTX_new()) {
    if (!context_) throw std::bad_alloc();
    if (EVP_DigestInit_ex(context_.get(), algorithm, nullptr) != 1) throw std::runtime_error("digest init failed");
}

void Digest::update(std::string_view bytes) {
    if (EVP_DigestUpdate(context_.get(), bytes.data(), bytes.size()) != 1)
        throw std::runtime_error("digest update failed");
}

std::string Digest::hex_digest() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_DigestFinal_ex(context_.get(), digest, &length) != 1) throw std::runtime_error("digest final failed");
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(length * 2);
    for (unsigned int i = 0; i < length; ++i) {
        out += hex[digest[i] >> 4];
        out += hex[digest[i] & 0xF];
    }
    return out;
}

GitBlobSha1::GitBlobSha1(uint64_t size) : Digest(EVP_sha1()) {
    std::string header = "blob " + std::to_string(size);
    update(std::string_view(header.c_str(), header.size() + 1));  // with its NUL
}

std::string sha256_hex(std::string_view bytes) {
    Sha256 hasher;
    hasher.update(bytes);
    return hasher.hex_digest();
}

}  // namespace hubfs::api
