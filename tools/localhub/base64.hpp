// Strict base64 (standard alphabet, padded), as the commit API carries file contents.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace localhub {

std::optional<std::string> base64_decode(std::string_view in);  // nullopt on any bad input
std::string base64_encode(std::string_view in, bool url_safe = false);

}  // namespace localhub
