#include "http_types.hpp"

#include <strings.h>

namespace hubfs::api {

std::optional<std::string> HeaderMap::get(std::string_view name) const {
    for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
        if (it->first.size() == name.size() && strncasecmp(it->first.data(), name.data(), name.size()) == 0)
            return it->second;
    }
    return std::nullopt;
}

}  // namespace hubfs::api
