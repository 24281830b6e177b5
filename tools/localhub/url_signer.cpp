#include "url_signer.hpp"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <sys/random.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "fs/common/unique_fd.hpp"

namespace localhub {
namespace {

constexpr size_t kKeyBytes = 32;

std::string hex(const unsigned char* p, size_t n) {
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (size_t i = 0; i < n; ++i) {
        out.push_back(digits[p[i] >> 4]);
        out.push_back(digits[p[i] & 15]);
    }
    return out;
}

std::string read_key(const std::filesystem::path& file) {
    hubfs::UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return {};
    std::string key(kKeyBytes, '\0');
    ssize_t n = ::read(fd.get(), key.data(), key.size());
    if (n != static_cast<ssize_t>(kKeyBytes)) throw std::runtime_error("bad URL signing key in " + file.string());
    return key;
}

int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

UrlSigner::UrlSigner(const std::filesystem::path& key_file, std::chrono::seconds lifetime) : lifetime_(lifetime) {
    key_ = read_key(key_file);
    if (!key_.empty()) return;
    key_.assign(kKeyBytes, '\0');
    if (::getrandom(key_.data(), key_.size(), 0) != static_cast<ssize_t>(kKeyBytes))
        throw std::runtime_error("getrandom failed");
    hubfs::UniqueFd fd(::open(key_file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (!fd) {
        if (errno == EEXIST) {  // another localhub on the same data made it first
            key_ = read_key(key_file);
            return;
        }
        throw std::runtime_error("cannot create " + key_file.string() + ": " + std::strerror(errno));
    }
    if (::write(fd.get(), key_.data(), key_.size()) != static_cast<ssize_t>(kKeyBytes) || ::fsync(fd.get()) != 0)
        throw std::runtime_error("cannot write " + key_file.string());
}

std::string UrlSigner::mac(const std::string& method, const std::string& signed_part) const {
    std::string message = (method == "HEAD" ? std::string("GET") : method) + "\n" + signed_part;
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()), reinterpret_cast<const unsigned char*>(message.data()),
         message.size(), out, &len);
    return hex(out, len);
}

std::string UrlSigner::sign(const std::string& method, const std::string& path, const std::string& query) const {
    std::string signed_part = path + "?" + (query.empty() ? "" : query + "&") +
                              "expires=" + std::to_string(unix_now() + lifetime_.count());
    return signed_part + "&sig=" + mac(method, signed_part);
}

UrlSigner::Verdict UrlSigner::verify(const std::string& method, const std::string& target) const {
    // The signature is the last parameter; everything before it is what was signed.
    size_t at = target.rfind("&sig=");
    if (at == std::string::npos || target.find('?') == std::string::npos || target.find('?') > at) return Verdict::missing;
    std::string signed_part = target.substr(0, at), sig = target.substr(at + 5);
    std::string want = mac(method, signed_part);
    if (sig.size() != want.size() || CRYPTO_memcmp(sig.data(), want.data(), want.size()) != 0) return Verdict::bad;
    size_t e = signed_part.rfind("&expires=");
    if (e == std::string::npos) e = signed_part.rfind("?expires=");
    if (e == std::string::npos) return Verdict::bad;
    std::string digits = signed_part.substr(e + 9);
    if (digits.empty() || digits.size() > 12 || digits.find_first_not_of("0123456789") != std::string::npos)
        return Verdict::bad;
    if (std::stoll(digits) < unix_now()) return Verdict::expired;
    return Verdict::ok;
}

}  // namespace localhub
