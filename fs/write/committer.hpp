// Turns a branch's staged changes into one create_commit: on fsync, from the control file, at
// unmount, every --commit-interval seconds, and in the background for changes recovered from
// the journal or left by a failed attempt (the Hub unreachable: retried with backoff).
//
// The commit's parent is the staged changes' base. If the branch moved since and no path
// changed upstream is touched by the changes, they are rebased onto the new head; otherwise the
// commit fails with a conflict (ESTALE) and everything stays staged.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "fs/read/catalog.hpp"
#include "fs/write/scratch_files.hpp"
#include "fs/write/staging_area.hpp"
#include "fs/writer.hpp"

namespace hubfs::fs {

struct CommitterOptions {
    std::chrono::seconds interval{0};            // 0: no periodic commits
    std::string message_template = "{summary}";  // {summary}, {count}, {branch}
    std::filesystem::path status_file;           // rewritten with status_json() while mounted
    ScratchFiles scratch;                        // staged but never committed
    std::string identity;                        // the token's user: changes staged by another stay staged
};

// Where a commit goes: the branch itself, a new pull request, or a new branch made from the base.
struct CommitTarget {
    enum class Kind { branch, pull_request, new_branch } kind = Kind::branch;
    std::string new_branch;
};

class Committer {
public:
    Committer(StagingArea& staging, Writer& writer, Catalog& catalog, CommitterOptions opts);
    ~Committer();
    Committer(const Committer&) = delete;
    Committer& operator=(const Committer&) = delete;

    void start();  // the background thread
    // Commits every staged change of the branch now. Throws RemoteError (conflict,
    // access_denied, unavailable, ...); the changes then stay staged.
    void commit(StagingArea::Branch& branch, const CommitTarget& target = {});
    // Commits the branch from the background thread, soon (an atomic save's rename of a
    // scratch file that was fsync'd: the fsync's commit, deferred to carry the final name).
    void commit_soon(const BranchId& branch);
    const ScratchFiles& scratch() const { return opts_.scratch; }
    const std::string& identity() const { return opts_.identity; }
    // Changes another user staged (an earlier mount with another token): never committed here.
    bool held(const StagedBranch& changes) const { return !changes.owner.empty() && changes.owner != opts_.identity; }
    // At unmount: commits every branch, retrying an unreachable Hub until the deadline, or
    // until `stop` is set (a signal). Returns a description of what remains staged ("" when
    // nothing does).
    std::string flush_all(std::chrono::seconds timeout, const std::atomic<bool>& stop);
    // One JSON object per branch with staged changes or a commit running, for `hubfs status`:
    // branch, changes, bytes, local (scratch files), state, uploaded, total, last.
    std::string status_json();

private:
    void run();
    void write_status_file();
    std::string commit_message(const StagedBranch& changes);
    bool all_new(const StagedBranch& changes);  // no file of the changes exists at their base
    // The steps of commit(): what the commit takes (under the branch's gate), its sending (with
    // rebases onto a moved branch), and the outcome recorded in the branch's status.
    bool take(StagingArea::Branch& b, StagedBranch& sent);
    CommitResult send(StagingArea::Branch& b, const StagedBranch& sent, CommitRequest& request);
    void landed(StagingArea::Branch& b, StagedBranch& sent, const CommitTarget& target, const CommitResult& result);
    void failed(StagingArea::Branch& b, const std::string& where, const std::exception& e);

    StagingArea& staging_;
    Writer& writer_;
    Catalog& catalog_;
    CommitterOptions opts_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::set<std::string> requested_;  // BranchId keys for commit_soon
    std::thread thread_;
};

}  // namespace hubfs::fs
