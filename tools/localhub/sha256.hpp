// Streaming SHA-256 (OpenSSL EVP).
#pragma once

#include <openssl/evp.h>

#include <memory>
#include <string>
#include <string_view>

namespace localhub {

class Sha256 {
public:
    Sha256();
    void update(const void* data, size_t len);
    std::string hex();  // finishes the digest

    static std::string of(std::string_view data);

private:
    struct Free {
        void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
    };
    std::unique_ptr<EVP_MD_CTX, Free> ctx_;
};

}  // namespace localhub
