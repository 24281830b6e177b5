#include "fs/control/control_tree.hpp"

namespace hubfs::fs {

std::vector<std::string> split_control_path(const std::string& path) {
    std::vector<std::string> out;
    for (size_t start = 0; start < path.size();) {
        size_t slash = path.find('/', start);
        if (slash == std::string::npos) slash = path.size();
        if (slash > start) out.push_back(path.substr(start, slash - start));
        start = slash + 1;
    }
    return out;
}

void ControlTree::add_area(const std::string& name, std::function<ControlFolder()> root) {
    areas_[name] = std::move(root);
}

std::vector<std::string> ControlTree::area_names() const {
    std::vector<std::string> out;
    for (const auto& [name, root] : areas_) out.push_back(name);
    return out;
}

std::optional<ControlEntry> ControlTree::find(const std::string& path) const {
    auto names = split_control_path(path);
    if (names.empty()) return std::nullopt;
    auto area = areas_.find(names.front());
    if (area == areas_.end()) return std::nullopt;
    ControlEntry at = area->second();
    for (size_t i = 1; i < names.size(); ++i) {
        auto* folder = std::get_if<ControlFolder>(&at);
        if (!folder || !folder->child) return std::nullopt;
        auto next = folder->child(names[i]);
        if (!next) return std::nullopt;
        at = std::move(*next);
    }
    if (auto* folder = std::get_if<ControlFolder>(&at); folder && folder->exists && !folder->exists()) return std::nullopt;
    return at;
}

}  // namespace hubfs::fs
