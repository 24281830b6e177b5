// ISO-8601 UTC timestamps as the Hub writes them: 2025-03-07T12:24:18.657Z.
#pragma once

#include <cstdint>
#include <string>

namespace localhub {

std::string iso_from_seconds(int64_t seconds);
std::string iso_now();

}  // namespace localhub
