#include "sha256.hpp"

#include <stdexcept>

namespace localhub {

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
    if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1) throw std::runtime_error("sha256 init");
}

void Sha256::update(const void* data, size_t len) { EVP_DigestUpdate(ctx_.get(), data, len); }

std::string Sha256::hex() {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx_.get(), md, &len);
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (unsigned i = 0; i < len; ++i) {
        out.push_back(digits[md[i] >> 4]);
        out.push_back(digits[md[i] & 15]);
    }
    return out;
}

std::string Sha256::of(std::string_view data) {
    Sha256 h;
    h.update(data.data(), data.size());
    return h.hex();
}

}  // namespace localhub
