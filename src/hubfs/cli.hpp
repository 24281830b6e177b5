// hubfs's command line: `hubfs mount`, `hubfs unmount`, `hubfs status`, and the
// `hubfs SOURCE MOUNTPOINT -o opts` form that mount(8) uses for fstab entries.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace hubfs::cli {

struct MountOptions {
    std::string mountpoint;
    std::optional<std::string> endpoint;   // default: HF_ENDPOINT, else huggingface.co
    std::optional<std::string> token_file; // default: the Hugging Face token conventions
    std::string cache_dir;                 // default: $XDG_CACHE_HOME/hubfs or ~/.cache/hubfs
    uint64_t cache_size = 10ull << 30;
    uint64_t memory_limit = 160ull << 20;  // bytes the read path may hold (fs/read/memory_limit.hpp); 0: unbounded defaults
    std::optional<std::string> repo;       // TYPE/NS/NAME[@REV]: one repository at the root
    bool read_only = false;
    std::chrono::seconds commit_interval{0};  // 0: commit on fsync and unmount only
    std::string commit_message = "{summary}";
    bool public_repos = false;             // repositories made by mkdir
    std::vector<std::string> scratch;      // --scratch: more patterns of files never committed
    bool scratch_defaults = true;          // the editors' and tools' patterns (fs/write/scratch_files.hpp)
    std::chrono::seconds revision_ttl{30};
    std::chrono::seconds connect_timeout{10};  // a connection not made by then fails (and is retried)
    std::chrono::seconds stall_timeout{30};    // a request without a byte for this long fails
    uint32_t min_speed = 1024;                 // bytes/s: slower for a whole stall timeout fails too
    bool allow_other = false;
    std::optional<uint32_t> uid, gid;
    bool offline = false;
    std::string log_level = "info";
    std::optional<std::string> log_file;
    bool foreground = false;
    bool nonempty = false;                 // mount over a folder that holds files (hiding them)
    bool xattrs = true;                    // --no-xattrs: no user.hub.* attributes (no xattr request reaches the daemon)
    bool passthrough = true;               // --no-passthrough: every read of a file goes through the daemon
};

enum class Command { mount, unmount, status, help, version, none };  // none: no arguments at all

struct Invocation {
    Command command = Command::help;
    MountOptions mount;
    std::string unmount_point;
    std::chrono::seconds unmount_timeout{600};
    bool status_json = false;  // hubfs status --json
};

// Throws std::invalid_argument with a one-line message for the user (a usage error: exit 2).
Invocation parse(int argc, char** argv);
const char* usage();

// "10G", "512M", "1T", "4096" -> bytes.
uint64_t parse_size(const std::string& s);

}  // namespace hubfs::cli
