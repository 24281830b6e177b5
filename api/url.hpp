// URL helpers: percent-encoding for path segments and queries, origin comparison and
// resolution of a redirect's Location against the URL that produced it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hubfs::api {

// Encodes everything except RFC 3986 unreserved characters (as Python's quote(s, safe="")).
std::string percent_encode(std::string_view text);

// Encodes each '/'-separated segment, keeping the slashes (as Python's quote(path)).
std::string percent_encode_path(std::string_view path);

// Builds "k=v&k2=v2" with both sides encoded; repeated keys are kept in order.
std::string build_query(const std::vector<std::pair<std::string, std::string>>& params);

struct ParsedUrl {
    std::string scheme;     // lower case, "http" or "https"
    std::string host;       // lower case, without brackets for IPv6
    int port = 0;           // explicit or the scheme's default
    std::string path_and_query;  // starts with '/'

    // Scheme, host and port: the unit the token is allowed to travel to.
    std::string origin() const;
};

std::optional<ParsedUrl> parse_url(std::string_view url);

// The absolute URL a Location header points to, relative to the request URL `base`.
std::string resolve_location(std::string_view base, std::string_view location);

bool same_origin(std::string_view a, std::string_view b);

}  // namespace hubfs::api
