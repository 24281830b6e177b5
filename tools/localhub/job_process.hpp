// A job's command as a real local process: its own process group (so cancel and timeout kill
// everything it started), stdout and stderr on one pipe, and no network where the kernel lets
// us make an empty network namespace (unshare(CLONE_NEWNET), as root or via a user namespace).
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

#include "fs/common/unique_fd.hpp"

namespace localhub {

struct JobProcess {
    pid_t pid = -1;           // also the process group id
    hubfs::UniqueFd output;  // read end: stdout + stderr
};

// Starts argv[0] (looked up in PATH) with exactly `env`. Throws std::runtime_error with the
// reason when the command cannot be executed (not found, not executable): the error is
// known before this returns, so the caller can mark the job ERROR with that message.
JobProcess start_job_process(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                             const std::string& workdir);

// Whether jobs run without network on this machine (probed once).
bool jobs_isolated_from_network();

}  // namespace localhub
