#include "localhub_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace hubfs::api::testing {

namespace {

std::string localhub_binary() {
    if (const char* bin = std::getenv("LOCALHUB_BIN"); bin != nullptr && *bin != '\0') return bin;
    return "build/tools/localhub/localhub";
}

// Closes a pipe end on scope exit.
struct Fd {
    int fd = -1;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

}  // namespace

TempDir::TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "hubapi-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
}

TempDir::~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
}

LocalHubProcess::LocalHubProcess(std::vector<std::string> extra_args) {
    std::vector<std::string> args = {localhub_binary(),
                                     "--data", (dir_.path() / "data").string(),
                                     "--port", "0",
                                     "--user", "alice:hf_alice_token:write",
                                     "--user", "bob:hf_bob_token:read",
                                     "--org", "acme:alice",
                                     "--samples",
                                     "--log", (dir_.path() / "requests.log").string()};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);

    int pipe_fds[2];
    if (::pipe(pipe_fds) != 0) throw std::runtime_error("pipe failed");
    Fd read_end{pipe_fds[0]};
    Fd write_end{pipe_fds[1]};
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, write_end.fd, STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, read_end.fd);
    std::string stderr_path = (dir_.path() / "stderr.log").string();
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int rc = ::posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) throw std::runtime_error("cannot start localhub at " + args[0]);
    ::close(write_end.fd);
    write_end.fd = -1;

    // Read the announcement line; EOF first means localhub died.
    std::string line;
    char c;
    while (::read(read_end.fd, &c, 1) == 1 && c != '\n') line += c;
    const std::string prefix = "localhub listening on ";
    if (!line.starts_with(prefix)) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
        pid_ = -1;
        throw std::runtime_error("localhub did not start: '" + line + "'");
    }
    endpoint_ = line.substr(prefix.size());
}

LocalHubProcess::~LocalHubProcess() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 100; ++i) {
        if (::waitpid(pid_, nullptr, WNOHANG) == pid_) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
}

std::vector<nlohmann::json> LocalHubProcess::log_entries(size_t at_least) const {
    std::vector<nlohmann::json> entries;
    for (int attempt = 0; attempt < 200; ++attempt) {
        entries.clear();
        std::ifstream in(dir_.path() / "requests.log");
        std::string line;
        while (std::getline(in, line)) {
            auto entry = nlohmann::json::parse(line, nullptr, false);
            if (!entry.is_discarded()) entries.push_back(std::move(entry));
        }
        if (entries.size() >= at_least) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return entries;
}

}  // namespace hubfs::api::testing
