// A Remote in memory for tests of the fs/ core without FUSE or HTTP: revisions, folders and file
// bytes set by the test, a count of every call, and a gate that holds reads until opened.
#pragma once

#include <atomic>
#include <condition_variable>
#include <future>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "fs/remote.hpp"

namespace hubfs::fs::testing {

class FakeRemote final : public Remote {
public:
    struct Read {
        std::string path;
        uint64_t offset = 0, length = 0;
    };

    // What the Hub knows; tests change these between calls.
    void set_revision(const RepoRef& repo, const std::string& rev, Revision at) {
        std::lock_guard lock(mutex_);
        revisions_[repo.key() + "@" + rev] = at;
    }
    void set_files(const std::string& commit, std::vector<RemoteEntry> files) {
        std::lock_guard lock(mutex_);
        files_[commit] = std::move(files);
    }
    void set_repos(const std::string& author, std::vector<std::string> names) {
        std::lock_guard lock(mutex_);
        repos_[author] = std::move(names);
    }
    void set_content(const std::string& path, std::string bytes) {
        std::lock_guard lock(mutex_);
        contents_[path] = std::move(bytes);
    }

    // Reads wait while the gate is closed.
    void close_gate() {
        std::lock_guard lock(mutex_);
        gate_open_ = false;
    }
    void open_gate() {
        {
            std::lock_guard lock(mutex_);
            gate_open_ = true;
        }
        changed_.notify_all();
    }
    // Waits until `n` reads have started (true), or gives up after a bound for hangs.
    bool wait_for_reads(size_t n) {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, std::chrono::seconds(20), [&] { return reads_.size() >= n; });
    }

    size_t resolve_calls() const { return count(resolves_); }
    size_t listing_calls() const { return count(listings_); }
    // Requests to the Hub: a name resolved with its files is one (it counts as a resolve and,
    // when it carried files, as a listing too).
    size_t requests() const { return count(requests_); }
    size_t repo_list_calls() const { return count(repo_lists_); }
    std::vector<Read> reads() const {
        std::lock_guard lock(mutex_);
        return reads_;
    }

    Revision resolve(const RepoRef& repo, const std::string& rev) override {
        std::lock_guard lock(mutex_);
        ++resolves_;
        ++requests_;
        auto it = revisions_.find(repo.key() + "@" + rev);
        if (it == revisions_.end()) throw RemoteError(RemoteError::Kind::not_found, repo.key() + "@" + rev);
        return it->second;
    }
    std::vector<RemoteEntry> list_folder(const RepoRef&, const std::string&, const std::string&) override {
        throw RemoteError(RemoteError::Kind::other, "the fake lists whole commits only");
    }
    std::optional<std::vector<RemoteEntry>> list_all_files(const RepoRef&, const std::string& commit) override {
        std::lock_guard lock(mutex_);
        ++listings_;
        ++requests_;
        auto it = files_.find(commit);
        if (it == files_.end()) throw RemoteError(RemoteError::Kind::not_found, commit);
        return it->second;
    }
    ResolvedFiles resolve_with_files(const RepoRef& repo, const std::string& rev) override {
        std::lock_guard lock(mutex_);
        ++resolves_;
        ++requests_;
        auto it = revisions_.find(repo.key() + "@" + rev);
        if (it == revisions_.end()) throw RemoteError(RemoteError::Kind::not_found, repo.key() + "@" + rev);
        ResolvedFiles out{it->second, std::nullopt};
        if (auto f = files_.find(it->second.commit); f != files_.end()) {
            ++listings_;
            out.files = f->second;
        }
        return out;
    }
    std::vector<std::string> list_repos(RepoType, const std::string& author) override {
        std::lock_guard lock(mutex_);
        ++repo_lists_;
        ++requests_;
        auto it = repos_.find(author);
        return it == repos_.end() ? std::vector<std::string>{} : it->second;
    }
    void read_range(const RepoRef&, const std::string&, const std::string& path, const RemoteEntry&,
                    uint64_t offset, uint64_t length, const std::function<void(const char*, size_t)>& sink) override {
        std::string bytes;
        {
            std::unique_lock lock(mutex_);
            reads_.push_back({path, offset, length});
            changed_.notify_all();
            changed_.wait(lock, [&] { return gate_open_; });
            bytes = contents_.at(path).substr(offset, length);
        }
        sink(bytes.data(), bytes.size());
    }
    // All at once, as the Hub's adapter runs them on one curl multi handle (a gated read does
    // not hold the others back); sinks are called from the calling thread only, as there.
    void read_ranges(std::vector<RangeRead>& reads) override {
        ++batches_;
        std::vector<std::future<std::string>> bodies;
        for (auto& r : reads) {
            bodies.push_back(std::async(std::launch::async, [this, &r] {
                std::string bytes;
                read_range(r.repo, r.commit, r.path, r.entry, r.offset, r.length,
                           [&](const char* p, size_t n) { bytes.append(p, n); });
                return bytes;
            }));
        }
        for (size_t i = 0; i < reads.size(); ++i) {
            try {
                std::string bytes = bodies[i].get();
                reads[i].sink(bytes.data(), bytes.size());
            } catch (...) {
                reads[i].error = std::current_exception();
            }
        }
    }
    size_t batches() const { return batches_; }
    std::string file_url(const RepoRef& repo, const std::string& commit, const std::string& path) override {
        return "fake://" + repo.key() + "/" + commit + "/" + path;
    }

private:
    size_t count(const size_t& counter) const {
        std::lock_guard lock(mutex_);
        return counter;
    }

    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::map<std::string, Revision> revisions_;
    std::map<std::string, std::vector<RemoteEntry>> files_;
    std::map<std::string, std::string> contents_;
    std::vector<Read> reads_;
    std::map<std::string, std::vector<std::string>> repos_;
    size_t resolves_ = 0, listings_ = 0, requests_ = 0, repo_lists_ = 0;
    std::atomic<size_t> batches_{0};
    bool gate_open_ = true;
};

}  // namespace hubfs::fs::testing
