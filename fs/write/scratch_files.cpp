#include "fs/write/scratch_files.hpp"

#include <fnmatch.h>
#include <sys/stat.h>

namespace hubfs::fs {
namespace {

// Folders the Hub (and its official client) refuse in a path: always local, whatever the
// patterns say, so that `git clone` into a branch works and commits the working tree.
constexpr const char* kRefusedSegments[] = {".git", ".cache"};

// Python's tempfile names: "tmp" and 8 of [a-z0-9_].
#define PY_TMP_CHAR "[abcdefghijklmnopqrstuvwxyz0123456789_]"

}  // namespace

const std::vector<std::string>& ScratchFiles::default_patterns() {
    static const std::vector<std::string> patterns = {
        ".*.sw?", "4913",                                   // vim: swap files, the write probe
        "*~", "#*#", ".#*",                                 // backups, emacs autosaves and locks
        ".DS_Store", "._*",                                 // macOS
        ".~lock.*#", ".goutputstream-*", ".fuse_hidden*",   // LibreOffice, GNOME, FUSE
        "tmp" PY_TMP_CHAR PY_TMP_CHAR PY_TMP_CHAR PY_TMP_CHAR PY_TMP_CHAR PY_TMP_CHAR PY_TMP_CHAR PY_TMP_CHAR,
        "*.tmp", "__pycache__",
    };
    return patterns;
}

ScratchFiles::ScratchFiles(std::vector<std::string> patterns) : patterns_(std::move(patterns)) {}

std::string ScratchFiles::reason(const std::string& path) const {
    std::vector<std::string> segments;
    for (size_t start = 0; start <= path.size();) {
        size_t slash = path.find('/', start);
        if (slash == std::string::npos) slash = path.size();
        segments.push_back(path.substr(start, slash - start));
        start = slash + 1;
    }
    for (const auto& seg : segments)
        for (const char* refused : kRefusedSegments)
            if (seg == refused) return std::string("the Hub refuses a '") + refused + "' folder";
    for (const auto& pattern : patterns_) {
        if (pattern.find('/') == std::string::npos) {
            for (const auto& seg : segments)
                if (::fnmatch(pattern.c_str(), seg.c_str(), 0) == 0) return "scratch file (" + pattern + ")";
            continue;
        }
        // A path pattern: the path or one of its parent folders.
        for (size_t end = path.find('/');; end = path.find('/', end + 1)) {
            std::string prefix = end == std::string::npos ? path : path.substr(0, end);
            if (::fnmatch(pattern.c_str(), prefix.c_str(), FNM_PATHNAME) == 0) return "scratch file (" + pattern + ")";
            if (end == std::string::npos) break;
        }
    }
    return "";
}

std::string ScratchFiles::reason(const std::string& path, const StagedFile& f) const {
    switch (f.special) {
        case 0: return reason(path);
        case S_IFLNK: return "a symlink: the Hub stores regular files only";
        case S_IFIFO: return "a FIFO: the Hub stores regular files only";
        case S_IFSOCK: return "a socket: the Hub stores regular files only";
        default: return "a device node: the Hub stores regular files only";
    }
}

StagedBranch ScratchFiles::committable(const StagedBranch& changes) const {
    StagedBranch out = changes;
    for (auto it = out.files.begin(); it != out.files.end();)
        it = !reason(it->first, it->second).empty() ? out.files.erase(it) : std::next(it);
    for (auto it = out.dirs.begin(); it != out.dirs.end();)
        it = matches(*it) ? out.dirs.erase(it) : std::next(it);
    return out;
}

size_t ScratchFiles::committable_count(const StagedBranch& changes) const {
    size_t n = changes.deleted.size();
    for (const auto& [path, f] : changes.files) n += f.dirty && reason(path, f).empty() ? 1 : 0;
    return n;
}

}  // namespace hubfs::fs
