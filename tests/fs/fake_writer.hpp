// A Writer in memory for tests of the committer without FUSE or HTTP: each branch is a chain of
// commits, each commit a map path -> bytes. A commit whose parent is not the branch's head is
// refused with BranchMoved, as the Hub's 412 is; `push` commits as somebody else would, and
// `during_upload` runs in the middle of a commit (after the request is made, before the bytes
// are read), where a writer or another client would act while a real upload runs.
#pragma once

#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "fs/writer.hpp"

namespace hubfs::fs::testing {

class FakeWriter final : public Writer {
public:
    using Files = std::map<std::string, std::string>;  // path -> bytes

    // A new commit of `files` at the head of the branch (its first commit when it has none).
    std::string push(const RepoRef& repo, const std::string& branch, Files files) {
        std::string sha = next_sha();
        commits_[sha] = std::move(files);
        heads_[repo.key() + "@" + branch] = sha;
        return sha;
    }
    // The head's files with `changes` applied (an empty value deletes).
    std::string push_change(const RepoRef& repo, const std::string& branch, const Files& changes) {
        Files files = commits_[head(repo, branch)];
        for (const auto& [path, bytes] : changes) {
            if (bytes.empty()) files.erase(path);
            else files[path] = bytes;
        }
        return push(repo, branch, std::move(files));
    }
    const Files& files(const std::string& commit) { return commits_[commit]; }

    std::function<void()> during_upload;
    std::vector<CommitRequest> requests;  // every commit asked for, in order
    std::vector<std::string> parents;     // the parent of each commit that landed

    bool is_branch(const RepoRef&, const std::string&, Lookup) override { return true; }
    std::string head(const RepoRef& repo, const std::string& branch) override { return heads_[repo.key() + "@" + branch]; }
    bool may_write(const RepoRef&) override { return true; }
    bool may_write_pull_request(const RepoRef&, int, const std::string&) override { return true; }
    std::set<std::string> changed_paths(const RepoRef&, const std::string& from, const std::string& to) override {
        const Files &before = commits_[from], &after = commits_[to];
        std::set<std::string> out;
        for (const auto& [path, bytes] : before)
            if (!after.count(path) || after.at(path) != bytes) out.insert(path);
        for (const auto& [path, bytes] : after)
            if (!before.count(path)) out.insert(path);
        return out;
    }
    CommitResult commit(const RepoRef& repo, const CommitRequest& request) override {
        requests.push_back(request);
        if (during_upload) during_upload();
        std::string& head = heads_[repo.key() + "@" + request.branch];
        if (request.parent != head) throw BranchMoved("the branch moved since " + request.parent);
        Files files = commits_[head];
        for (const CommitChange& change : request.changes) {
            if (const auto* d = std::get_if<CommitDelete>(&change)) {
                for (auto it = files.begin(); it != files.end();)
                    it = it->first == d->path || (d->folder && it->first.rfind(d->path + "/", 0) == 0) ? files.erase(it) : std::next(it);
            } else if (const auto* a = std::get_if<CommitAdd>(&change)) {
                std::ostringstream bytes;
                bytes << std::ifstream(a->local).rdbuf();
                files[a->path] = bytes.str();
            } else if (const auto* c = std::get_if<CommitCopy>(&change)) {
                files[c->path] = commits_.at(c->revision).at(c->from);
            }
        }
        parents.push_back(head);
        std::string sha = next_sha();
        commits_[sha] = std::move(files);
        head = sha;
        return CommitResult{sha, std::nullopt, {}};
    }
    void create_repo(const RepoRef&) override {}
    void create_branch(const RepoRef& repo, const std::string& branch, const std::string& from) override {
        heads_[repo.key() + "@" + branch] = from;
    }
    void delete_branch(const RepoRef& repo, const std::string& branch) override { heads_.erase(repo.key() + "@" + branch); }

private:
    std::string next_sha() {
        char sha[41];
        std::snprintf(sha, sizeof sha, "%040x", ++count_);
        return sha;
    }

    unsigned count_ = 0;
    std::map<std::string, Files> commits_;
    std::map<std::string, std::string> heads_;  // repo@branch -> commit
};

}  // namespace hubfs::fs::testing
