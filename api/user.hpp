// The identity behind a token (whoami).
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace hubfs::api {

struct User {
    std::string type;  // "user", "org" or "app"
    std::string name;
    std::optional<std::string> fullname;
    std::optional<std::string> email;
    std::vector<std::string> orgs;     // organisation names
    std::optional<std::string> token_name;  // auth.accessToken.displayName
    std::optional<std::string> token_role;  // "read", "write", "fineGrained"
    nlohmann::json raw;
};

}  // namespace hubfs::api
