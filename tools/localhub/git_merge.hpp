// Pull request mechanics on a GitRepo: the diff a PR proposes and merging it into its base.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "git_repo.hpp"

namespace localhub {

// Unified diff from the merge base of base and head to head (what `git diff base...head` shows).
std::string pr_diff(const GitRepo& git, const git_oid& base, const git_oid& head);

struct MergeOutcome {
    enum class Kind { fast_forward, merge_commit, up_to_date, conflict } kind = Kind::up_to_date;
    git_oid commit{};                    // the new head of the base branch (unless conflict)
    std::vector<std::string> conflicts;  // paths, for Kind::conflict
};

// Merges head into base: a fast-forward when base is an ancestor of head, otherwise a
// two-parent merge commit by `author`. Writes objects only; the caller moves the branch.
MergeOutcome merge_commits(GitRepo& git, const git_oid& base, const git_oid& head, const std::string& author,
                           const std::string& email, const std::string& message);

// The paths a merge of head into base would conflict on (empty when it merges cleanly).
std::vector<std::string> merge_conflicts(GitRepo& git, const git_oid& base, const git_oid& head);

}  // namespace localhub
