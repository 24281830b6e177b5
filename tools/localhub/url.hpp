// Percent-encoding and query strings.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http_message.hpp"

namespace localhub {

// Decodes %XX escapes (and '+' as space when form is true); nullopt on a malformed escape.
std::optional<std::string> percent_decode(std::string_view s, bool form = false);
// Encodes everything but unreserved characters; keeps '/' when keep_slash is true.
std::string percent_encode(std::string_view s, bool keep_slash = false);
// Parses "a=1&b=2" (query or x-www-form-urlencoded body).
HeaderList parse_query(std::string_view query);
// Splits a still-encoded path into decoded segments; nullopt on a bad escape.
std::optional<std::vector<std::string>> split_path(std::string_view raw_path);

}  // namespace localhub
