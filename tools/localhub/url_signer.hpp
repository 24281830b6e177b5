// Signed, expiring storage URLs, as the Hub's CDN and S3 hand out: the API host signs a URL
// for one method and one path (and its query), the storage host serves only what it signed.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>

namespace localhub {

class UrlSigner {
public:
    // Loads the HMAC key from key_file, or makes a random one there (mode 0600) if missing, so
    // URLs handed out before a restart (a multipart upload in progress) stay valid after it.
    UrlSigner(const std::filesystem::path& key_file, std::chrono::seconds lifetime);

    // "path?query&expires=N&sig=HEX" (query may be empty) for method (GET also allows HEAD).
    std::string sign(const std::string& method, const std::string& path, const std::string& query = {}) const;

    std::chrono::seconds lifetime() const { return lifetime_; }

    enum class Verdict { ok, missing, bad, expired };
    // target: the request target as sent (path and query, still percent-encoded).
    Verdict verify(const std::string& method, const std::string& target) const;

private:
    std::string mac(const std::string& method, const std::string& signed_part) const;
    std::string key_;
    std::chrono::seconds lifetime_;
};

}  // namespace localhub
