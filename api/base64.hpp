// Base64 (RFC 4648, padded): regular files travel inside the commit's NDJSON this way.
#pragma once

#include <string>
#include <string_view>

namespace hubfs::api {

std::string base64_encode(std::string_view bytes);

}  // namespace hubfs::api
