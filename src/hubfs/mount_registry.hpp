// Running mounts leave a small JSON file in a runtime folder, so `hubfs status` can list
// them and `hubfs unmount` can find the process to wait for.
#pragma once

#include <string>
#include <sys/types.h>
#include <vector>

namespace hubfs {

struct MountRecord {
    pid_t pid = 0;
    std::string mountpoint;
    std::string endpoint;
    std::string cache_dir;
    std::string repo;  // single-repo mode, else empty
    std::string staging_dir;  // this mount's staging slot (its commit status file), "" if read-only
};

std::string registry_dir();
void register_mount(const MountRecord& r);  // best effort
void unregister_mount(pid_t pid);
// Records whose process is alive.
std::vector<MountRecord> running_mounts();
bool is_mountpoint(const std::string& path);
// Whether two spellings name the same mount point. Never throws: another mount may be
// half torn down (stat answers ENOTCONN), which must not break looking at this one.
bool same_mountpoint(const std::string& a, const std::string& b);

}  // namespace hubfs
