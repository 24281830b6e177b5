#include "fs/write/staged_branch.hpp"

namespace hubfs::fs {

std::string join_path(const std::string& dir, const std::string& name) { return dir.empty() ? name : dir + "/" + name; }

bool is_under(const std::string& path, const std::string& folder) {
    if (folder.empty()) return !path.empty();
    return path.size() > folder.size() && path.compare(0, folder.size(), folder) == 0 && path[folder.size()] == '/';
}

bool StagedBranch::has_changes() const {
    if (!deleted.empty()) return true;
    for (const auto& [path, f] : files)
        if (f.dirty) return true;
    return false;
}

size_t StagedBranch::change_count() const {
    size_t n = deleted.size();
    for (const auto& [path, f] : files) n += f.dirty ? 1 : 0;
    return n;
}

bool StagedBranch::hides(const std::string& path) const {
    if (deleted.empty()) return false;
    if (deleted.count(path)) return true;
    for (size_t slash = path.find('/'); slash != std::string::npos; slash = path.find('/', slash + 1))
        if (deleted.count(path.substr(0, slash))) return true;
    return false;
}

const StagedFile* StagedBranch::file(const std::string& path) const {
    auto it = files.find(path);
    return it == files.end() ? nullptr : &it->second;
}

bool StagedBranch::is_staged_dir(const std::string& path) const {
    if (dirs.count(path)) return true;
    std::string prefix = path + "/";
    auto it = files.lower_bound(prefix);
    if (it != files.end() && it->first.starts_with(prefix)) return true;
    auto d = dirs.lower_bound(prefix);
    return d != dirs.end() && d->starts_with(prefix);
}

std::map<std::string, bool> StagedBranch::staged_children(const std::string& dir) const {
    std::map<std::string, bool> out;
    std::string prefix = dir.empty() ? "" : dir + "/";
    auto add = [&](const std::string& path, bool is_dir) {
        std::string rest = path.substr(prefix.size());
        auto slash = rest.find('/');
        if (slash == std::string::npos) out[rest] = out[rest] || is_dir;
        else out[rest.substr(0, slash)] = true;
    };
    for (auto it = files.lower_bound(prefix); it != files.end() && it->first.starts_with(prefix); ++it)
        add(it->first, false);
    for (auto it = dirs.lower_bound(prefix); it != dirs.end() && it->starts_with(prefix); ++it)
        if (*it != dir) add(*it, true);
    return out;
}

}  // namespace hubfs::fs
