// hubfs: mount Hugging Face Hub repositories as directories.
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>

#include "api/config.hpp"
#include "fs/cache/cache.hpp"
#include "cli.hpp"
#include "fs/common/log.hpp"
#include "fs/read/catalog.hpp"
#include "fs/read/chunk_fetcher.hpp"
#include "fs/read/memory_limit.hpp"
#include "fs/write/committer.hpp"
#include "fs/hub/hub_writer.hpp"
#include "fs/write/staging_area.hpp"
#include "fs/write/staging_claim.hpp"
#include "fs/hub/hub_remote.hpp"
#include "fs/fuse/hubfs.hpp"
#include "fuse_session.hpp"
#include "kernel_readahead.hpp"
#include "memory_trimmer.hpp"
#include "stop_signals.hpp"
#include "mount_registry.hpp"
#include "control_areas.hpp"
#include "status_report.hpp"
#include "upload_progress.hpp"
#include "network_report.hpp"

namespace {

using namespace hubfs;

constexpr auto kStartupTimeout = std::chrono::seconds(60);
// After the kernel let go of the mount, staged changes are committed for at most this long.
constexpr auto kFlushTimeout = std::chrono::seconds(600);

// Commits what is staged, for up to kFlushTimeout, or until a signal (stop_signals.hpp).
void flush_at_unmount(fs::Committer& committer, fs::HubWriter& writer) {
    StopSignals signals([&writer] { writer.cancel_commits(); });
    std::string left = committer.flush_all(kFlushTimeout, StopSignals::raised());
    if (StopSignals::raised()) HUBFS_LOG(warn, "a signal ended the commit at unmount");
    if (!left.empty()) HUBFS_LOG(error, "still staged (committed by the next mount with this cache):\n%s", left.c_str());
}

// Tells the waiting parent how start-up went (background mounts); a no-op in the foreground.
class StartupReport {
public:
    explicit StartupReport(int fd) : fd_(fd) {}
    ~StartupReport() { done("hubfs: the mount process ended during start-up"); }
    void done(const std::string& message) {
        if (fd_ < 0) return;
        ssize_t n = ::write(fd_, message.data(), message.size());
        (void)n;
        ::close(fd_);
        fd_ = -1;
    }

private:
    int fd_;
};

void check_mountpoint(const std::string& mp, bool nonempty) {
    struct stat st {};
    if (::stat(mp.c_str(), &st) != 0) {
        if (errno == ENOTCONN) throw std::runtime_error("mountpoint " + mp + " is a dead mount (run: fusermount3 -u " + mp + ")");
        throw std::runtime_error("mountpoint " + mp + " does not exist");
    }
    if (!S_ISDIR(st.st_mode)) throw std::runtime_error("mountpoint " + mp + " is not a directory");
    if (is_mountpoint(mp)) throw std::runtime_error("mountpoint " + mp + " is busy: something is already mounted there");
    std::error_code ec;
    if (!nonempty && !std::filesystem::is_empty(mp, ec) && !ec)
        throw std::runtime_error("mountpoint " + mp + " is not empty: the mount would hide its files (--nonempty mounts anyway)");
}

// The log's level and file, and the cache folder, private to the user.
void start_log_and_cache(const cli::MountOptions& o) {
    log::Level level;
    if (!log::parse_level(o.log_level, level)) throw std::runtime_error("unknown --log-level " + o.log_level);
    log::set_level(level);
    // The cache holds private repositories' bytes and staged writes, the log names them: every
    // file this process makes is its user's alone (0600, folders 0700), old cache folders too.
    ::umask(077);
    std::filesystem::create_directories(o.cache_dir);
    std::filesystem::permissions(o.cache_dir, std::filesystem::perms::owner_all);
    if (o.log_file) log::set_file(*o.log_file);
    else if (!o.foreground) log::set_file(o.cache_dir + "/hubfs.log");
}

// The Hub's address, the token and the mount's (short) retries and timeouts.
api::HubConfig hub_config(const cli::MountOptions& o) {
    api::HubConfig config = api::HubConfig::from_environment();
    if (o.endpoint) config.endpoint = *o.endpoint;
    while (!config.endpoint.empty() && config.endpoint.back() == '/') config.endpoint.pop_back();
    if (o.token_file) {
        config.token = api::read_token_file(*o.token_file);
        if (!config.token) throw std::runtime_error("cannot read a token from " + *o.token_file + " (missing or empty)");
    }
    config.offline = config.offline || o.offline;
    // A reader waits on these: fail within seconds when the Hub is down, not after minutes.
    config.retry.max_retries = 3;
    config.retry.base_delay = std::chrono::milliseconds(250);
    config.retry.max_delay = std::chrono::milliseconds(2000);
    config.timeouts.connect = o.connect_timeout;
    config.timeouts.low_speed_time = o.stall_timeout;
    // Slower than this over a whole stall timeout (a body trickling a byte a second) is stalled too.
    config.timeouts.low_speed_bytes = o.min_speed;
    config.health = std::make_shared<api::HostHealth>();
    return config;
}

// Detaches from the terminal (or the pipes of whoever started us): the log has the rest.
void detach_from_terminal() {
    int null = ::open("/dev/null", O_RDWR);
    if (null >= 0) {
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
        if (null > 2) ::close(null);
    }
}

// Writes need a token that may write and a Hub to send them to; anything else is read-only
// from the start (EROFS at the first write), not a surprise at the first commit.
bool writable_mount(const cli::MountOptions& o, const api::HubConfig& config, const std::optional<api::User>& user) {
    bool writable = !o.read_only && config.token && !config.offline && !(user && user->token_role == "read");
    if (!o.read_only && !config.token) HUBFS_LOG(info, "no token: the mount is read-only");
    else if (!o.read_only && config.offline)
        HUBFS_LOG(info, "offline: the mount is read-only; changes staged in this cache wait for an online mount");
    else if (!o.read_only && !writable)
        HUBFS_LOG(warn, "the token of %s may only read: the mount is read-only", user->name.c_str());
    return writable;
}

// What the file system shows: one repository or the Hub, owners, and the token's own namespaces.
fs::FsOptions fs_options(const cli::MountOptions& o, const std::optional<fs::RepoSpec>& single,
                         const std::optional<api::User>& user) {
    fs::FsOptions fopts;
    fopts.single_repo = single;
    fopts.revision_ttl = o.revision_ttl;
    fopts.uid = o.uid.value_or(getuid());
    fopts.gid = o.gid.value_or(getgid());
    fopts.cache_limit = o.cache_size;
    fopts.xattrs = o.xattrs;
    fopts.passthrough = o.passthrough;
    if (user) {
        fopts.own_namespaces.insert(user->name);
        fopts.own_namespaces.insert(user->orgs.begin(), user->orgs.end());
    }
    return fopts;
}

// Everything after the fork: the child owns threads, LMDB and the FUSE session.
int serve(const cli::MountOptions& o, StartupReport& report) {
    start_log_and_cache(o);
    api::HubConfig config = hub_config(o);
    std::optional<fs::RepoSpec> single;
    if (o.repo) {
        single = fs::parse_repo_spec(*o.repo);
        if (!single) throw std::runtime_error("--repo must look like model/NS/NAME[@REV] (got " + *o.repo + ")");
    }

    fs::HubRemote remote(config);
    std::optional<api::User> user;
    if (!config.offline) user = remote.verify_startup();  // bad token, unreachable endpoint: fail now

    cache::Cache cache(cache::CacheOptions{o.cache_dir + "/data", o.cache_size});
    fs::CatalogOptions copts;
    copts.revision_ttl = o.revision_ttl;
    copts.offline = config.offline;
    fs::Catalog catalog(remote, cache, copts);
    const fs::ReadMemory memory = fs::split_memory_limit(o.memory_limit, cache.chunk_size());
    fs::ChunkFetcher fetcher(remote, cache, memory.fetcher);
    fs::FsOptions fopts = fs_options(o, single, user);
    fopts.read_ahead = memory.read_ahead;
    if (single) catalog.resolve(single->repo, single->rev);  // a missing repo or revision is a start-up error
    // The write path: staging in the cache directory, commits with the default (patient)
    // retries, since nobody reads from them while they run.
    std::optional<fs::StagingClaim> claim;
    std::optional<fs::StagingArea> staging;
    std::optional<fs::HubWriter> writer;
    std::optional<fs::Committer> committer;
    std::optional<fs::WriteSupport> writes;
    if (writable_mount(o, config, user)) {
        api::HubConfig write_config = config;
        write_config.retry = api::RetryPolicy{};
        claim.emplace(o.cache_dir + "/staging");
        staging.emplace(claim->dir());
        writer.emplace(config, write_config, o.public_repos, o.revision_ttl);
        std::vector<std::string> scratch = o.scratch_defaults ? fs::ScratchFiles::default_patterns() : std::vector<std::string>{};
        scratch.insert(scratch.end(), o.scratch.begin(), o.scratch.end());
        committer.emplace(*staging, *writer, catalog,
                          fs::CommitterOptions{o.commit_interval, o.commit_message, claim->dir() / "status",
                                               fs::ScratchFiles(std::move(scratch)), user ? user->name : ""});
        writes.emplace(fs::WriteSupport{*staging, *writer, *committer});
    }
    fs::HubFs filesystem(catalog, fetcher, cache, remote, fopts, writes);
    // Control areas at the root (fs/control/); a single-repository mount has none.
    ControlAreas areas(config, catalog, {fopts.own_namespaces.begin(), fopts.own_namespaces.end()});
    if (!o.repo) areas.add_to(filesystem.control_areas());

    std::vector<std::string> args = {"-o", "max_read=" + std::to_string(fopts.max_read), "-o",
                                     std::string("fsname=hubfs,subtype=hubfs,default_permissions") + (writes ? "" : ",ro")};
    if (o.allow_other) args.insert(args.end(), {"-o", "allow_other"});
    FuseSession session(fs::HubFs::operations(), &filesystem, args);
    std::error_code ec;  // the mount point's real path, while a stat does not yet reach this daemon
    const std::string mount_path = std::filesystem::canonical(o.mountpoint, ec).string();
    session.mount(o.mountpoint);
    if (fopts.passthrough) filesystem.set_fuse_device(session.use_custom_io(fs::HubFs::custom_io()));
    if (!raise_kernel_readahead(mount_path, fopts.kernel_readahead >> 10))
        HUBFS_LOG(info, "kernel read-ahead of the mount left at its default (needs root)");
    register_mount({getpid(), o.mountpoint, config.endpoint, o.cache_dir, o.repo.value_or(""),
                    claim ? claim->dir().string() : ""});
    HUBFS_LOG(info, "mounted %s on %s (cache %s)", config.endpoint.c_str(), o.mountpoint.c_str(), o.cache_dir.c_str());
    report.done("ok");
    if (!o.foreground) detach_from_terminal();
    if (committer) committer->start();
    NetworkReport net_report(config.health, o.cache_dir, [&filesystem] { return filesystem.pending_reads(); });
    filesystem.attach_session(session.get());
    MemoryTrimmer trimmer;
    int rc = session.loop(16);
    filesystem.detach_session();
    // A loop ended by a signal leaves the mount in place with nobody serving it: whatever
    // touched the mount point would hang through the commit below.
    session.unmount();
    remote.cancel_transfers();  // reads still fetching must not hold the exit
    if (writer) writer->cancel_lookups();
    HUBFS_LOG(info, "unmounted %s", o.mountpoint.c_str());
    if (committer) flush_at_unmount(*committer, *writer);
    unregister_mount(getpid());
    return rc == 0 ? 0 : 1;
}

int run_mount(const cli::MountOptions& o) {
    check_mountpoint(o.mountpoint, o.nonempty);
    if (o.foreground) {
        StartupReport none(-1);
        return serve(o, none);
    }
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
    pid_t pid = fork();
    if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    if (pid == 0) {
        ::close(fds[0]);
        setsid();
        StartupReport report(fds[1]);
        try {
            int rc = serve(o, report);
            _exit(rc);
        } catch (const std::exception& e) {
            report.done(std::string("hubfs: ") + e.what());
            _exit(1);
        }
    }
    ::close(fds[1]);
    // The parent waits for one line: "ok" or the error, never longer than the timeout.
    std::string message;
    auto deadline = std::chrono::steady_clock::now() + kStartupTimeout;
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            kill(pid, SIGTERM);
            message = "hubfs: start-up took longer than " + std::to_string(kStartupTimeout.count()) + " s; gave up";
            break;
        }
        pollfd p{fds[0], POLLIN, 0};
        if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
        char buf[1024];
        ssize_t n = ::read(fds[0], buf, sizeof buf);
        if (n <= 0) break;
        message.append(buf, static_cast<size_t>(n));
    }
    ::close(fds[0]);
    if (message == "ok") return 0;
    std::fprintf(stderr, "%s\n", message.empty() ? "hubfs: the mount process ended during start-up" : message.c_str());
    waitpid(pid, nullptr, WNOHANG);
    return 1;
}

int run_unmount(const std::string& mountpoint, std::chrono::seconds timeout) {
    if (!is_mountpoint(mountpoint)) {
        std::fprintf(stderr, "hubfs: %s is not mounted\n", mountpoint.c_str());
        return 1;
    }
    pid_t owner = 0;
    std::string staging_dir;
    for (const auto& r : running_mounts()) {
        if (!same_mountpoint(r.mountpoint, mountpoint)) continue;
        owner = r.pid;
        staging_dir = r.staging_dir;
    }
    pid_t child = fork();
    if (child == 0) {
        execlp("fusermount3", "fusermount3", "-u", mountpoint.c_str(), static_cast<char*>(nullptr));
        execlp("umount", "umount", mountpoint.c_str(), static_cast<char*>(nullptr));
        _exit(127);
    }
    int status = 0;
    waitpid(child, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        std::fprintf(stderr, "hubfs: cannot unmount %s (busy? close the files open there)\n", mountpoint.c_str());
        return 1;
    }
    // Wait for the mount's process to commit what is staged and exit.
    auto deadline = std::chrono::steady_clock::now() + timeout;
    bool told = false;
    UploadProgress progress(staging_dir);
    while (owner > 0 && kill(owner, 0) == 0) {
        if (std::chrono::steady_clock::now() >= deadline) {
            std::fprintf(stderr, "hubfs: gave up waiting after %lld s; process %d is still committing (kill %d ends it; "
                                 "what is not committed stays staged for the next mount):\n%s",
                         static_cast<long long>(timeout.count()), owner, owner, staged_summary(staging_dir).c_str());
            return 1;
        }
        if (!told && std::chrono::steady_clock::now() + std::chrono::seconds(2) < deadline &&
            !staged_summary(staging_dir).empty()) {
            std::fprintf(stderr, "hubfs: committing staged changes before exiting...\n");
            told = true;
        }
        if (told) std::fputs(progress.poll().c_str(), stderr);
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (!staging_dir.empty()) {
        std::string left = staged_summary(staging_dir);
        if (!left.empty()) {
            // Not an error of the unmount itself, but the user's work is not on the Hub: say so in the exit code.
            std::fprintf(stderr, "hubfs: unmounted, but changes are still staged in %s (an online mount with this cache "
                                 "and the same token commits them):\n%s", staging_dir.c_str(), left.c_str());
            return 1;
        }
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    // Chunks are 1 MiB buffers made and freed all the time: from mmap'd memory (glibc's default
    // above 128 KiB) every one would page-fault afresh. Keep them in the heap instead.
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
    // Fetch, cache and FUSE threads each got an arena of their own, each keeping the chunks freed
    // in it: a 3 GiB stream peaked at 188 MB, 116 MB with two arenas shared (chunks are few and
    // large, so the threads hardly contend for them).
    mallopt(M_ARENA_MAX, 2);
    // A commit keeps every staged file it sends open; 1,024 descriptors would cap a commit
    // at about a thousand files.
    rlimit files {};
    if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
        files.rlim_cur = files.rlim_max;
        setrlimit(RLIMIT_NOFILE, &files);
    }
    try {
        auto inv = cli::parse(argc, argv);
        switch (inv.command) {
            case cli::Command::help: std::fputs(cli::usage(), stdout); return 0;
            case cli::Command::none: std::fputs(cli::usage(), stderr); return 2;
            case cli::Command::version: std::printf("hubfs %s\n", HUBFS_VERSION); return 0;
            case cli::Command::status: return run_status(inv.status_json);
            case cli::Command::unmount: return run_unmount(inv.unmount_point, inv.unmount_timeout);
            case cli::Command::mount: return run_mount(inv.mount);
        }
    } catch (const std::invalid_argument& e) {  // the command line itself is wrong
        std::fprintf(stderr, "hubfs: %s\n", e.what());
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "hubfs: %s\n", e.what());
        return 1;
    }
    return 0;
}
