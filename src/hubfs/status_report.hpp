// `hubfs status`: the running mounts, their cache use and, per branch, what is staged and how
// its commit goes (from the status file each mount's committer rewrites every second), as an
// aligned table or as JSON for scripts. `hubfs unmount` uses the same data to say what stays.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hubfs {

struct BranchStatus {
    std::string branch;  // models/ns/name@branch
    uint64_t changes = 0, bytes = 0, local = 0;
    std::string state;   // idle, committing, uploading, retrying, conflict, failed, held
    uint64_t uploaded = 0, total = 0;
    std::string last;    // the last commit, or the error that stopped it
};

// What a mount with this cache directory last reported; branches with changes or a commit running.
std::vector<BranchStatus> read_branch_status(const std::string& staging_dir);
// One line per branch that still has changes to commit, indented; "" when none.
std::string staged_summary(const std::string& staging_dir);
// 512 B, 1.5 KiB, 12.0 MiB, 1.25 GiB.
std::string human_bytes(uint64_t bytes);
// Rows of cells -> lines whose columns line up whatever the cell widths (two spaces apart).
std::string format_table(const std::vector<std::vector<std::string>>& rows);
// `hubfs status [--json]`; returns the exit code.
int run_status(bool json);

}  // namespace hubfs
