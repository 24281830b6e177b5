#include "kernel_readahead.hpp"

#include <fstream>
#include <sstream>

namespace hubfs {

namespace {

// mountinfo escapes spaces, tabs, newlines and backslashes in paths as \ooo.
std::string unescape(const std::string& s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 3 < s.size()) {
            out += static_cast<char>(std::stoi(s.substr(i + 1, 3), nullptr, 8));
            i += 3;
        } else {
            out += s[i];
        }
    }
    return out;
}

}  // namespace

std::optional<std::string> mount_device(const std::string& mountpoint) {
    std::ifstream in("/proc/self/mountinfo");
    std::string line;
    std::optional<std::string> found;
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::string id, parent, device, root, point;
        if (!(fields >> id >> parent >> device >> root >> point)) continue;
        if (unescape(point) == mountpoint) found = device;  // the last one is on top
    }
    return found;
}

bool raise_kernel_readahead(const std::string& mountpoint, unsigned kib) {
    auto device = mount_device(mountpoint);
    if (!device) return false;
    const std::string path = "/sys/class/bdi/" + *device + "/read_ahead_kb";
    unsigned current = 0;
    {
        std::ifstream in(path);
        if (!(in >> current)) return false;
    }
    if (current >= kib) return true;
    std::ofstream out(path);
    out << kib << '\n';
    out.flush();
    return static_cast<bool>(out);
}

}  // namespace hubfs
