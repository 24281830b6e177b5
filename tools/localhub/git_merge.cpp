#include "git_merge.hpp"

namespace localhub {
namespace {

using DiffPtr = GitPtr<git_diff, git_diff_free>;
using IndexPtr = GitPtr<git_index, git_index_free>;
using ConflictIterPtr = GitPtr<git_index_conflict_iterator, git_index_conflict_iterator_free>;

void check(int rc, const char* what) {
    if (rc < 0) {
        const git_error* e = git_error_last();
        throw GitError(std::string(what) + ": " + (e && e->message ? e->message : "libgit2 error"));
    }
}

TreePtr tree_of(const GitRepo& git, const git_oid& commit) {
    git_oid tree_id = git.commit_tree(commit);
    git_tree* tree = nullptr;
    check(git_tree_lookup(&tree, git.raw(), &tree_id), "tree lookup");
    return TreePtr(tree);
}

std::optional<git_oid> merge_base(const GitRepo& git, const git_oid& a, const git_oid& b) {
    git_oid out;
    int rc = git_merge_base(&out, git.raw(), &a, &b);
    if (rc == GIT_ENOTFOUND) return std::nullopt;  // unrelated histories
    check(rc, "merge base");
    return out;
}

// The index of merging head into base (conflicts recorded in it).
IndexPtr merged_index(GitRepo& git, const git_oid& base, const git_oid& head) {
    git_commit* ours = nullptr;
    git_commit* theirs = nullptr;
    check(git_commit_lookup(&ours, git.raw(), &base), "commit lookup");
    CommitPtr ours_ptr(ours);
    check(git_commit_lookup(&theirs, git.raw(), &head), "commit lookup");
    CommitPtr theirs_ptr(theirs);
    git_merge_options opts = GIT_MERGE_OPTIONS_INIT;
    git_index* index = nullptr;
    check(git_merge_commits(&index, git.raw(), ours, theirs, &opts), "merge");
    return IndexPtr(index);
}

std::vector<std::string> conflicts_of(git_index* index) {
    std::vector<std::string> out;
    if (!git_index_has_conflicts(index)) return out;
    git_index_conflict_iterator* it = nullptr;
    check(git_index_conflict_iterator_new(&it, index), "conflict iterator");
    ConflictIterPtr it_ptr(it);
    const git_index_entry *ancestor, *ours, *theirs;
    while (git_index_conflict_next(&ancestor, &ours, &theirs, it) == 0) {
        const git_index_entry* e = ours ? ours : theirs ? theirs : ancestor;
        if (e) out.emplace_back(e->path);
    }
    return out;
}

}  // namespace

std::string pr_diff(const GitRepo& git, const git_oid& base, const git_oid& head) {
    auto from = merge_base(git, base, head);
    TreePtr old_tree = tree_of(git, from.value_or(base));
    TreePtr new_tree = tree_of(git, head);
    git_diff* diff = nullptr;
    check(git_diff_tree_to_tree(&diff, git.raw(), old_tree.get(), new_tree.get(), nullptr), "diff");
    DiffPtr diff_ptr(diff);
    git_buf buf = GIT_BUF_INIT;
    check(git_diff_to_buf(&buf, diff, GIT_DIFF_FORMAT_PATCH), "diff text");
    std::string out(buf.ptr ? buf.ptr : "", buf.size);
    git_buf_dispose(&buf);
    return out;
}

std::vector<std::string> merge_conflicts(GitRepo& git, const git_oid& base, const git_oid& head) {
    if (git_oid_cmp(&base, &head) == 0 || git_graph_descendant_of(git.raw(), &head, &base) == 1) return {};
    auto index = merged_index(git, base, head);
    return conflicts_of(index.get());
}

MergeOutcome merge_commits(GitRepo& git, const git_oid& base, const git_oid& head, const std::string& author,
                           const std::string& email, const std::string& message) {
    MergeOutcome out;
    if (git_oid_cmp(&base, &head) == 0 || git_graph_descendant_of(git.raw(), &base, &head) == 1) {
        out.kind = MergeOutcome::Kind::up_to_date;  // everything the PR has is in base already
        out.commit = base;
        return out;
    }
    if (git_graph_descendant_of(git.raw(), &head, &base) == 1) {
        out.kind = MergeOutcome::Kind::fast_forward;
        out.commit = head;
        return out;
    }
    auto index = merged_index(git, base, head);
    out.conflicts = conflicts_of(index.get());
    if (!out.conflicts.empty()) {
        out.kind = MergeOutcome::Kind::conflict;
        return out;
    }
    git_oid tree;
    check(git_index_write_tree_to(&tree, index.get(), git.raw()), "write merged tree");
    out.kind = MergeOutcome::Kind::merge_commit;
    out.commit = git.write_commit({base, head}, tree, author, email, message);
    return out;
}

}  // namespace localhub
