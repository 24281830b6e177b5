#include "cli.hpp"

#include <cstdlib>
#include <stdexcept>

namespace hubfs::cli {
namespace {

const char* kUsage = R"(usage:
  hubfs mount MOUNTPOINT [options]    mount the Hub (runs in the background; see --foreground)
  hubfs unmount MOUNTPOINT [--timeout SECONDS]
                                      unmount; waits (default 600 s) for staged changes to be committed
  hubfs status [--json]               running mounts, their cache use, and the branches with staged
                                      changes: how many, how big, how their commit goes
  hubfs SOURCE MOUNTPOINT -o OPTS     the form mount(8) uses for fstab entries of type fuse.hubfs
                                      (OPTS: the long options below without "--", e.g. repo=...,cache_size=20G)

Paths in the mount: /models/<ns>/<name>[@<rev>]/<path>, /datasets/..., /spaces/...
<rev> is a branch, a tag, a commit sha (full or short), or refs%2Fpr%2FN for pull requests;
without @<rev> the default branch is used.

Branches are writable: files written there are staged on disk and committed as one commit on
fsync (e.g. `sync FILE`), at unmount, or every --commit-interval seconds. <branch>/.hubfs-commit
shows what is staged and takes commands (message TEXT, description TEXT, commit, pr,
branch NAME, discard). mkdir <ns>/<name> creates a repository, mkdir <ns>/<name>@<b> a branch.

options:
  --endpoint URL          the Hub (default: $HF_ENDPOINT, else https://huggingface.co)
  --token-file PATH       file holding the token (default: $HF_TOKEN, then $HF_TOKEN_PATH,
                          then $HF_HOME/token, as the Hugging Face clients do)
  --cache-dir DIR         the local cache (default: ~/.cache/hubfs)
  --cache-size SIZE       data cache budget, e.g. 20G (default 10G); least recently used goes first
  --memory-limit SIZE     bound the memory reads use (read-ahead, recent chunks, chunks on their
                          way to the cache), e.g. 64M (default 160M; 0: up to 640M)
  --repo TYPE/NS/NAME[@REV]  mount one repository at the mount point, e.g. model/gpt2 or dataset/ns/name@v1
  --read-only             never write: every path answers EROFS to changes
  --commit-interval SECONDS  also commit staged changes this often (default: only fsync and unmount)
  --commit-message TEMPLATE  commit title; {summary}, {count} and {branch} are filled in
                          (default "{summary}", e.g. "Upload a.txt with hubfs")
  --public-repos          repositories made by mkdir are public (default: private)
  --scratch PATTERN       files matching PATTERN (a glob on any path segment, or on the path if it
                          holds a /) stay local: shown in the mount, never committed; repeatable.
                          Added to the defaults: .*.sw? 4913 *~ #*# .#* .DS_Store ._* .~lock.*#
                          .goutputstream-* .fuse_hidden* tmpXXXXXXXX (Python's tempfile) *.tmp
                          __pycache__; a .git or .cache folder is always local
  --no-scratch-defaults   only the --scratch patterns (and .git, .cache) stay local
  --revision-ttl SECONDS  how long a branch name stays resolved to a commit (default 30)
  --connect-timeout SECONDS  give up a connection to the Hub after this long (default 10)
  --stall-timeout SECONDS    give up a request that received no byte for this long (default 30);
                          after two such failures the Hub counts as down until it answers a probe
  --min-speed BYTES       a transfer slower than this many bytes a second for a whole stall
                          timeout fails too, and is resumed or retried (default 1024)
  --allow-other           let other users see the mount (needs user_allow_other in /etc/fuse.conf)
  --uid UID, --gid GID    owner of every file (default: the mounting user)
  --offline               never contact the Hub: serve what the cache holds
  --log-level LEVEL       debug, info, warn or error (default info)
  --log-file PATH         log there instead of stderr (background mounts log to the cache dir)
  --foreground            stay attached to the terminal
  --nonempty              mount even if MOUNTPOINT holds files (they are hidden while mounted)
  --no-xattrs             no user.hub.* attributes: the kernel stops asking for any, so tools that
                          list every file's attributes (`ls -l` of coreutils 9.6 and later) make no
                          request per file for them
  --no-passthrough        serve every read through hubfs; by default a file whose bytes are all in
                          the disk cache is read by the kernel straight from the cache (FUSE
                          passthrough: Linux 6.9 or later, as root)
  --help, --version
)";

std::string default_cache_dir() {
    if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return std::string(x) + "/hubfs";
    if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.cache/hubfs";
    return "/var/cache/hubfs";
}

uint32_t parse_id(const std::string& flag, const std::string& v) {
    try {
        size_t used = 0;
        unsigned long n = std::stoul(v, &used);
        if (used == v.size()) return static_cast<uint32_t>(n);
    } catch (const std::exception&) {
    }
    throw std::invalid_argument(flag + " needs a number, got '" + v + "'");
}

// Applies one option; value is empty for flags. Returns false if the name is unknown.
bool apply(MountOptions& o, std::string name, const std::string& value, bool has_value) {
    for (auto& c : name)
        if (c == '_') c = '-';
    auto need = [&] {
        if (!has_value) throw std::invalid_argument("--" + name + " needs a value (see --help)");
        return value;
    };
    if (name == "endpoint") o.endpoint = need();
    else if (name == "token-file") o.token_file = need();
    else if (name == "cache-dir") o.cache_dir = need();
    else if (name == "cache-size") o.cache_size = parse_size(need());
    else if (name == "memory-limit") o.memory_limit = parse_size(need());
    else if (name == "repo") o.repo = need();
    else if (name == "read-only" || name == "ro") o.read_only = true;
    else if (name == "commit-interval") {
        try {
            o.commit_interval = std::chrono::seconds(std::stol(need()));
        } catch (const std::invalid_argument&) {
            throw std::invalid_argument("--commit-interval needs a number of seconds");
        }
    } else if (name == "commit-message") o.commit_message = need();
    else if (name == "public-repos") o.public_repos = true;
    else if (name == "scratch") o.scratch.push_back(need());
    else if (name == "no-scratch-defaults") o.scratch_defaults = false;
    else if (name == "revision-ttl") {
        try {
            o.revision_ttl = std::chrono::seconds(std::stol(need()));
        } catch (const std::invalid_argument&) {
            throw std::invalid_argument("--revision-ttl needs a number of seconds");
        }
    } else if (name == "connect-timeout" || name == "stall-timeout") {
        uint32_t seconds = parse_id("--" + name, need());
        if (seconds == 0) throw std::invalid_argument("--" + name + " must be at least 1 second");
        (name == "connect-timeout" ? o.connect_timeout : o.stall_timeout) = std::chrono::seconds(seconds);
    } else if (name == "min-speed") {
        o.min_speed = parse_id("--min-speed", need());
        if (o.min_speed == 0) throw std::invalid_argument("--min-speed must be at least 1 byte a second");
    } else if (name == "allow-other") o.allow_other = true;
    else if (name == "uid") o.uid = parse_id("--uid", need());
    else if (name == "gid") o.gid = parse_id("--gid", need());
    else if (name == "offline") o.offline = true;
    else if (name == "log-level") o.log_level = need();
    else if (name == "log-file") o.log_file = need();
    else if (name == "foreground" || name == "f") o.foreground = true;
    else if (name == "nonempty") o.nonempty = true;
    else if (name == "no-xattrs") o.xattrs = false;
    else if (name == "no-passthrough") o.passthrough = false;
    else return false;
    return true;
}

bool is_flag(const std::string& name) {
    return name == "read-only" || name == "allow-other" || name == "offline" || name == "foreground" ||
           name == "public-repos" || name == "no-scratch-defaults" || name == "nonempty" ||
           name == "no-xattrs" || name == "no-passthrough";
}

// Generic mount(8) options that mean nothing to hubfs.
bool ignorable_mount_option(const std::string& name) {
    static const char* kIgnored[] = {"rw", "dev", "nodev", "suid", "nosuid", "exec", "noexec", "auto", "noauto",
                                     "user", "nouser", "users", "nofail", "_netdev", "defaults", "atime", "noatime",
                                     "relatime", "async", "sync"};
    for (const char* k : kIgnored)
        if (name == k) return true;
    return false;
}

void parse_o_list(MountOptions& o, const std::string& list) {
    size_t start = 0;
    while (start <= list.size()) {
        size_t comma = list.find(',', start);
        if (comma == std::string::npos) comma = list.size();
        std::string item = list.substr(start, comma - start);
        start = comma + 1;
        if (item.empty() || ignorable_mount_option(item)) continue;
        auto eq = item.find('=');
        std::string name = item.substr(0, eq);
        bool has_value = eq != std::string::npos;
        if (!apply(o, name, has_value ? item.substr(eq + 1) : "", has_value))
            throw std::invalid_argument("unknown mount option '" + name + "' (see hubfs --help)");
    }
}

}  // namespace

const char* usage() { return kUsage; }

uint64_t parse_size(const std::string& s) {
    if (s.empty()) throw std::invalid_argument("empty size");
    size_t used = 0;
    double n;
    try {
        n = std::stod(s, &used);
    } catch (const std::exception&) {
        throw std::invalid_argument("bad size '" + s + "' (use e.g. 512M or 20G)");
    }
    std::string unit = s.substr(used);
    if (!unit.empty() && (unit.back() == 'B' || unit.back() == 'b')) unit.pop_back();
    if (!unit.empty() && unit.back() == 'i') unit.pop_back();
    double mult = 1;
    if (unit == "K" || unit == "k") mult = 1024.0;
    else if (unit == "M" || unit == "m") mult = 1024.0 * 1024;
    else if (unit == "G" || unit == "g") mult = 1024.0 * 1024 * 1024;
    else if (unit == "T" || unit == "t") mult = 1024.0 * 1024 * 1024 * 1024;
    else if (!unit.empty()) throw std::invalid_argument("bad size unit in '" + s + "' (use K, M, G or T)");
    if (n < 0) throw std::invalid_argument("negative size '" + s + "'");
    return static_cast<uint64_t>(n * mult);
}

Invocation parse(int argc, char** argv) {
    Invocation inv;
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty()) {
        inv.command = Command::none;
        return inv;
    }
    const std::string& first = args[0];
    if (first == "--help" || first == "-h" || first == "help") return inv;
    if (first == "--version") {
        inv.command = Command::version;
        return inv;
    }
    if (first == "status") {
        inv.command = Command::status;
        for (size_t i = 1; i < args.size(); ++i) {
            if (args[i] == "--json") inv.status_json = true;
            else throw std::invalid_argument("usage: hubfs status [--json]");
        }
        return inv;
    }
    if (first == "unmount" || first == "umount") {
        inv.command = Command::unmount;
        for (size_t i = 1; i < args.size(); ++i) {
            if (args[i] == "--timeout" && i + 1 < args.size()) inv.unmount_timeout = std::chrono::seconds(parse_id("--timeout", args[++i]));
            else if (inv.unmount_point.empty() && !args[i].starts_with("-")) inv.unmount_point = args[i];
            else throw std::invalid_argument("usage: hubfs unmount MOUNTPOINT [--timeout SECONDS]");
        }
        if (inv.unmount_point.empty()) throw std::invalid_argument("usage: hubfs unmount MOUNTPOINT [--timeout SECONDS]");
        return inv;
    }
    inv.command = Command::mount;
    MountOptions& o = inv.mount;
    o.cache_dir = default_cache_dir();
    std::vector<std::string> positional;
    for (size_t i = (first == "mount" ? 1 : 0); i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "--help" || a == "-h") {
            inv.command = Command::help;
            return inv;
        }
        if (a == "-o") {
            if (i + 1 >= args.size()) throw std::invalid_argument("-o needs a list of options");
            parse_o_list(o, args[++i]);
        } else if (a.rfind("--", 0) == 0) {
            std::string name = a.substr(2);
            auto eq = name.find('=');
            if (eq != std::string::npos) {
                if (!apply(o, name.substr(0, eq), name.substr(eq + 1), true))
                    throw std::invalid_argument("unknown option " + a + " (see --help)");
            } else if (is_flag(name)) {
                apply(o, name, "", false);
            } else {
                if (i + 1 >= args.size()) throw std::invalid_argument(a + " needs a value (see --help)");
                if (!apply(o, name, args[i + 1], true)) throw std::invalid_argument("unknown option " + a + " (see --help)");
                ++i;
            }
        } else if (a == "-f") {
            o.foreground = true;
        } else {
            positional.push_back(a);
        }
    }
    // mount(8) form: hubfs SOURCE MOUNTPOINT -o ...; SOURCE "hub" mounts everything, else a repo.
    if (first != "mount" && positional.size() == 2) {
        if (positional[0] != "hub" && positional[0] != "hubfs" && !o.repo) o.repo = positional[0];
        positional.erase(positional.begin());
    }
    // One word that is no command (the mount(8) form has two: SOURCE MOUNTPOINT).
    if (first != "mount" && positional.size() == 1 && positional[0] == first)
        throw std::invalid_argument("unknown command '" + first + "' (commands: mount, unmount, status; see --help)");
    if (positional.size() != 1) throw std::invalid_argument("usage: hubfs mount MOUNTPOINT [options] (see --help)");
    o.mountpoint = positional[0];
    return inv;
}

}  // namespace hubfs::cli
