#include "job_process.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace localhub {
namespace {

// In the child, before exec: a new network namespace holds only a down loopback device.
// As root CLONE_NEWNET alone works; otherwise a user namespace may grant it.
bool isolate_network() {
    if (::unshare(CLONE_NEWNET) == 0) return true;
    return ::unshare(CLONE_NEWUSER | CLONE_NEWNET) == 0;
}

}  // namespace

bool jobs_isolated_from_network() {
    static const bool isolated = [] {
        pid_t pid = ::fork();
        if (pid < 0) return false;
        if (pid == 0) ::_exit(isolate_network() ? 0 : 1);
        int status = 0;
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        return WIFEXITED(status) && WEXITSTATUS(status) == 0;
    }();
    return isolated;
}

JobProcess start_job_process(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                             const std::string& workdir) {
    if (argv.empty() || argv[0].empty()) throw std::runtime_error("the job has no command");
    int out[2], report[2];
    if (::pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    if (::pipe2(report, O_CLOEXEC) != 0) {
        ::close(out[0]);
        ::close(out[1]);
        throw std::runtime_error("pipe failed");
    }
    // Everything the child needs is prepared before fork: after it, only async-signal-safe calls.
    std::vector<char*> args, envp;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    std::vector<std::string> env_strings;
    for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
    for (auto& e : env_strings) envp.push_back(e.data());
    envp.push_back(nullptr);
    bool isolate = jobs_isolated_from_network();

    pid_t pid = ::fork();
    if (pid < 0) {
        for (int fd : {out[0], out[1], report[0], report[1]}) ::close(fd);
        throw std::runtime_error("fork failed");
    }
    if (pid == 0) {
        ::setpgid(0, 0);
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);  // localhub blocks SIGTERM etc.; the job must not
        ::signal(SIGPIPE, SIG_DFL);
        int devnull = ::open("/dev/null", O_RDONLY);
        if (devnull >= 0) ::dup2(devnull, 0);
        ::dup2(out[1], 1);
        ::dup2(out[1], 2);
        if (isolate) isolate_network();
        if (::chdir(workdir.c_str()) != 0) {
        }
        ::execvpe(args[0], args.data(), envp.data());
        int err = errno;
        ssize_t w = ::write(report[1], &err, sizeof err);
        (void)w;
        ::_exit(127);
    }
    ::setpgid(pid, pid);  // also from the parent, so a kill right after this never misses
    ::close(out[1]);
    ::close(report[1]);
    int err = 0;
    ssize_t n;
    while ((n = ::read(report[0], &err, sizeof err)) < 0 && errno == EINTR) {
    }
    ::close(report[0]);
    if (n == sizeof err) {
        ::close(out[0]);
        int status;
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        throw std::runtime_error("cannot execute '" + argv[0] + "': " + std::strerror(err));
    }
    JobProcess p;
    p.pid = pid;
    p.output.reset(out[0]);
    return p;
}

}  // namespace localhub
