#include "mount_registry.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "fs/common/unique_fd.hpp"

namespace fs = std::filesystem;

namespace hubfs {

namespace {

// A folder only this user can write: made 0700 if missing, closed to others if an older version
// left it open, refused if it is a symlink or someone else's (in /tmp another user could have
// made it first).
bool private_dir(const std::string& dir) {
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return false;
    struct stat st {};
    if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid()) return false;
    return (st.st_mode & 077) == 0 || ::chmod(dir.c_str(), 0700) == 0;
}

}  // namespace

std::string registry_dir() {
    if (geteuid() == 0) return "/run/hubfs";
    if (const char* x = std::getenv("XDG_RUNTIME_DIR"); x && *x) return std::string(x) + "/hubfs";
    return "/tmp/hubfs-" + std::to_string(geteuid());
}

void register_mount(const MountRecord& r) {
    if (!private_dir(registry_dir())) return;  // best effort: status and unmount then find less
    std::string file = registry_dir() + "/" + std::to_string(r.pid) + ".json";
    UniqueFd fd(::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd) return;
    std::string text = nlohmann::json{{"pid", r.pid},
                          {"mountpoint", r.mountpoint},
                          {"endpoint", r.endpoint},
                          {"cache_dir", r.cache_dir},
                          {"repo", r.repo},
                          {"staging_dir", r.staging_dir}}
                           .dump();
    (void)!::write(fd.get(), text.data(), text.size());
}

void unregister_mount(pid_t pid) {
    std::error_code ec;
    fs::remove(registry_dir() + "/" + std::to_string(pid) + ".json", ec);
}

std::vector<MountRecord> running_mounts() {
    std::vector<MountRecord> out;
    if (!private_dir(registry_dir())) return out;  // records anyone could have planted
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(registry_dir(), ec)) {
        std::ifstream in(e.path());
        auto j = nlohmann::json::parse(in, nullptr, false);
        if (j.is_discarded() || !j.is_object()) continue;
        MountRecord r{j.value("pid", 0), j.value("mountpoint", ""), j.value("endpoint", ""), j.value("cache_dir", ""),
                      j.value("repo", ""), j.value("staging_dir", "")};
        if (r.pid > 0 && kill(r.pid, 0) == 0) out.push_back(r);
        else fs::remove(e.path(), ec);  // a mount that died
    }
    return out;
}

bool is_mountpoint(const std::string& path) {
    std::error_code ec;
    auto canonical = fs::weakly_canonical(path, ec).string();
    std::ifstream in("/proc/self/mountinfo");
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::string id, parent, dev, root, mp;
        fields >> id >> parent >> dev >> root >> mp;
        if (mp == canonical || mp == path) return true;
    }
    return false;
}

bool same_mountpoint(const std::string& a, const std::string& b) {
    if (a == b) return true;
    std::error_code ea, eb;
    auto ca = fs::weakly_canonical(a, ea), cb = fs::weakly_canonical(b, eb);
    if (ea || eb) return fs::path(a).lexically_normal() == fs::path(b).lexically_normal();
    return ca == cb;
}

}  // namespace hubfs
