// Streaming message digests (OpenSSL EVP): the LFS oid (sha256) and the git blob id (sha1 of
// "blob <size>\0" + content) are computed as a file's bytes go by.
#pragma once

#include <openssl/evp.h>

#include <memory>
#include <string>
#include <string_view>

namespace hubfs::api {

class Digest {
public:
    explicit Digest(const EVP_MD* algorithm);
    void update(std::string_view bytes);
    std::string hex_digest();  // finishes the digest; call once

private:
    struct ContextDeleter {
        void operator()(EVP_MD_CTX* ctx) const noexcept { EVP_MD_CTX_free(ctx); }
    };
    std::unique_ptr<EVP_MD_CTX, ContextDeleter> context_;
};

class Sha256 : public Digest {
public:
    Sha256() : Digest(EVP_sha256()) {}
};

// Git's object id of a blob of `size` bytes; feed it the content with update().
class GitBlobSha1 : public Digest {
public:
    explicit GitBlobSha1(uint64_t size);
};

std::string sha256_hex(std::string_view bytes);

}  // namespace hubfs::api
