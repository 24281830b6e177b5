#include "gitignore.hpp"

#include <fnmatch.h>

#include <sstream>

namespace localhub {

GitIgnore::GitIgnore(std::string_view text) {
    std::istringstream in{std::string(text)};
    std::string line;
    while (std::getline(in, line)) {
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
        if (line.empty() || line[0] == '#') continue;
        Rule r;
        if (line[0] == '!') {
            r.negate = true;
            line.erase(0, 1);
        }
        if (!line.empty() && line.back() == '/') {
            r.folder_only = true;
            line.pop_back();
        }
        if (!line.empty() && line[0] == '/') line.erase(0, 1);
        r.anchored = line.find('/') != std::string::npos;
        r.pattern = line;
        if (!r.pattern.empty()) rules_.push_back(r);
    }
}

bool GitIgnore::ignores(const std::string& path) const {
    bool ignored = false;
    for (const auto& r : rules_) {
        // Every folder along the path, then the file itself (which a folder-only rule skips).
        bool hit = false;
        for (size_t end = path.find('/'); !hit; end = path.find('/', end + 1)) {
            bool is_file = end == std::string::npos;
            if (is_file && r.folder_only) break;
            std::string prefix = is_file ? path : path.substr(0, end);
            std::string name = prefix.substr(prefix.rfind('/') == std::string::npos ? 0 : prefix.rfind('/') + 1);
            hit = r.anchored ? fnmatch(r.pattern.c_str(), prefix.c_str(), FNM_PATHNAME) == 0
                             : fnmatch(r.pattern.c_str(), name.c_str(), 0) == 0;
            if (is_file) break;
        }
        if (hit) ignored = !r.negate;
    }
    return ignored;
}

}  // namespace localhub
