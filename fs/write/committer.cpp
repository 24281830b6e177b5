#include "fs/write/committer.hpp"

#include <ctime>
#include <fstream>
#include <map>
#include <optional>

#include <nlohmann/json.hpp>

#include "fs/common/log.hpp"

namespace hubfs::fs {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int kMaxRebases = 3;
constexpr auto kMaxRetryDelay = std::chrono::seconds(60);

void replace_all(std::string& s, const std::string& from, const std::string& to) {
    for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) s.replace(at, from.size(), to);
}

// The staged paths a change upstream would collide with.
std::vector<std::string> overlapping(const StagedBranch& sent, const std::set<std::string>& changed) {
    std::vector<std::string> out;
    auto touched = [&](const std::string& path, bool folder) {
        if (changed.count(path)) return true;
        if (!folder) return false;
        auto it = changed.lower_bound(path + "/");
        return it != changed.end() && is_under(*it, path);
    };
    for (const auto& [path, folder] : sent.deleted)
        if (touched(path, folder)) out.push_back(path);
    for (const auto& [path, f] : sent.files)
        if (f.dirty && (touched(path, false) || (f.is_copy() && touched(f.copy_from, false)))) out.push_back(path);
    return out;
}

// The bytes a commit sends, taken at its start: staged files nobody has open are read where they
// are (marked in flight, so a writer that opens one meanwhile gets a copy); files open for
// writing are copied, since their writers go on during the upload. Released at the end.
class Snapshot {
public:
    // The caller holds the branch's mutex.
    Snapshot(StagingArea& staging, StagingArea::Branch& b, const StagedBranch& sent) : staging_(staging), b_(b) {
        try {
            for (const auto& [path, f] : sent.files) {
                if (!f.dirty || f.is_copy()) continue;
                if (!b.writers.count(f.blob)) {
                    b.in_flight.insert(f.blob);
                    continue;
                }
                std::string copy = staging.new_blob();
                copies_.push_back(copy);
                std::filesystem::copy_file(staging.blob_path(f.blob), staging.blob_path(copy),
                                           std::filesystem::copy_options::overwrite_existing);
                files_[path] = copy;
            }
        } catch (...) {
            release();
            throw;
        }
    }
    ~Snapshot() {
        std::lock_guard lock(b_.mutex);
        release();
    }
    Snapshot(const Snapshot&) = delete;
    Snapshot& operator=(const Snapshot&) = delete;
    std::filesystem::path file(const std::string& path, const StagedFile& f) const {
        auto it = files_.find(path);
        return staging_.blob_path(it == files_.end() ? f.blob : it->second);
    }

private:
    void release() {
        b_.in_flight.clear();
        for (const auto& blob : b_.orphans) staging_.remove_blob(blob);
        b_.orphans.clear();
        for (const auto& blob : copies_) staging_.remove_blob(blob);
    }

    StagingArea& staging_;
    StagingArea::Branch& b_;
    std::map<std::string, std::string> files_;  // path -> a copy of a file open for writing
    std::vector<std::string> copies_;
};

std::vector<CommitChange> changes_of(const StagedBranch& sent, const Snapshot& snapshot) {
    std::vector<CommitChange> out;
    // Deletions first: the Hub applies operations in order, and a file may replace a folder.
    for (const auto& [path, folder] : sent.deleted) {
        const StagedFile* f = sent.file(path);
        if (!folder && f && f->dirty) continue;  // overwritten by the add below
        out.push_back(CommitDelete{path, folder});
    }
    for (const auto& [path, f] : sent.files) {
        if (!f.dirty) continue;
        if (f.is_copy()) out.push_back(CommitCopy{f.copy_from, path, sent.base.commit});
        else if (f.seal) out.push_back(CommitAdd{path, snapshot.file(path, f), f.seal->size, f.seal->sha256});
        else out.push_back(CommitAdd{path, snapshot.file(path, f)});
    }
    return out;
}

}  // namespace

bool Committer::all_new(const StagedBranch& c) {
    try {
        for (const auto& [path, f] : c.files)
            if (f.dirty && catalog_.entry(c.id.repo, c.base, path)) return false;
        return true;
    } catch (const std::exception&) {
        return false;  // the base's listing is out of reach: "Update" is never wrong
    }
}

Committer::Committer(StagingArea& staging, Writer& writer, Catalog& catalog, CommitterOptions opts)
    : staging_(staging), writer_(writer), catalog_(catalog), opts_(std::move(opts)) {}

Committer::~Committer() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void Committer::start() { thread_ = std::thread([this] { run(); }); }

std::string Committer::commit_message(const StagedBranch& c) {
    if (!c.message.empty()) return c.message;
    size_t added = 0, deleted = c.deleted.size();
    for (const auto& [path, f] : c.files) added += f.dirty ? 1 : 0;
    std::string summary;
    if (added == 1 && deleted == 0) {
        for (const auto& [path, f] : c.files)
            if (f.dirty) summary = "Upload " + path;
    } else if (added == 0 && deleted == 1) {
        summary = "Delete " + c.deleted.begin()->first;
    } else if (deleted == 0 && all_new(c)) {
        summary = "Upload " + std::to_string(added) + " files";  // as the official client says for new files
    } else {
        summary = "Update " + std::to_string(added + deleted) + " files";
        if (added && deleted) summary += " (" + std::to_string(added) + " added or changed, " + std::to_string(deleted) + " deleted)";
    }
    std::string message = opts_.message_template;
    replace_all(message, "{summary}", summary + " with hubfs");
    replace_all(message, "{count}", std::to_string(added + deleted));
    replace_all(message, "{branch}", c.id.branch);
    return message;
}

void Committer::commit(StagingArea::Branch& b, const CommitTarget& target) {
    std::lock_guard serial(b.commit_mutex);
    // No change lands while the commit takes its snapshot; writers go on during the upload.
    std::unique_lock gate(b.gate);
    StagedBranch sent;
    std::optional<Snapshot> snapshot;
    {
        std::lock_guard lock(b.mutex);
        if (!take(b, sent)) return;
        snapshot.emplace(staging_, b, sent);
    }
    gate.unlock();
    const std::string where = sent.id.key();
    staging_.sync();
    try {
        CommitRequest request;
        request.message = commit_message(sent);
        request.description = sent.description;
        request.branch = sent.id.branch;
        request.parent = sent.base.commit;
        request.progress = [&b](const CommitUpload& p) {
            std::lock_guard lock(b.mutex);
            b.status.state = "uploading";
            b.status.files_total = p.files_total;
            b.status.bytes_total = p.bytes_total;
            b.status.bytes_uploaded = p.bytes_uploaded;
        };
        if (target.kind == CommitTarget::Kind::pull_request) {
            request.create_pr = true;
        } else if (target.kind == CommitTarget::Kind::new_branch) {
            writer_.create_branch(sent.id.repo, target.new_branch, sent.base.commit);
            request.branch = target.new_branch;
        }
        request.changes = changes_of(sent, *snapshot);
        HUBFS_LOG(info, "commit %s: %zu operations based on %s", where.c_str(), request.changes.size(), sent.base.commit.c_str());
        landed(b, sent, target, send(b, sent, request));
    } catch (const std::exception& e) {
        failed(b, where, e);
        throw;
    }
}

// Picks what the commit takes; the caller holds the branch's gate and mutex. False: nothing to commit.
bool Committer::take(StagingArea::Branch& b, StagedBranch& sent) {
    sent = opts_.scratch.committable(b.changes);  // scratch files stay staged, uncommitted
    // Each file as of its last close or fsync, never mid-write: a file open for writing goes
    // only if its bytes are still those it was sealed with (no write since its last fsync).
    for (auto it = sent.files.begin(); it != sent.files.end();) {
        const StagedFile& f = it->second;
        bool take = f.ready() && (f.is_copy() || !b.writers.count(f.blob) || staging_.measure(f.blob) == *f.seal);
        if (take || !f.dirty) ++it;
        else it = sent.files.erase(it);
    }
    if (!sent.has_changes()) {
        b.recovered = false;
        return false;
    }
    if (held(sent)) {
        std::string why = b.changes.id.key() + ": changes staged by " + sent.owner + " stay staged: this mount's token is " +
                          (opts_.identity.empty() ? "nobody's" : opts_.identity + "'s") + " (mount with " + sent.owner +
                          "'s token to commit them, or write `discard` to .hubfs-commit)";
        b.status.state = "held";
        b.status.last = "error: " + why;
        b.recovered = false;
        HUBFS_LOG(warn, "%s", why.c_str());
        throw RemoteError(RemoteError::Kind::access_denied, why);
    }
    b.status.state = "committing";
    b.status.conflicts.clear();
    b.status.files_total = b.status.bytes_total = b.status.bytes_uploaded = 0;
    b.status.last_attempt = Clock::now();
    return true;
}

// Sends the commit; a moved branch is rebased onto its new head if nothing staged collides with
// what changed upstream, else the commit fails with a conflict.
CommitResult Committer::send(StagingArea::Branch& b, const StagedBranch& sent, CommitRequest& request) {
    const RepoRef& repo = sent.id.repo;
    const std::string where = sent.id.key();
    for (int attempt = 0;; ++attempt) {
        try {
            return writer_.commit(repo, request);
        } catch (const BranchMoved&) {
            if (attempt == kMaxRebases) throw;
        }
        std::string head = writer_.head(repo, request.branch);
        auto clash = overlapping(sent, writer_.changed_paths(repo, request.parent, head));
        if (!clash.empty()) {
            std::lock_guard lock(b.mutex);
            b.status.conflicts = clash;
            std::string list;
            for (const auto& p : clash) list += " " + p;
            HUBFS_LOG(error, "commit %s: %s moved to %s and changed staged paths:%s; everything stays staged "
                      "(write `branch NAME` or `pr` to .hubfs-commit to commit elsewhere)",
                      where.c_str(), request.branch.c_str(), head.c_str(), list.c_str());
            throw RemoteError(RemoteError::Kind::conflict, where + " conflicts with upstream changes:" + list);
        }
        HUBFS_LOG(info, "commit %s: the branch moved to %s; rebasing the staged changes onto it", where.c_str(), head.c_str());
        request.parent = head;
    }
}

// The Hub accepted the commit: what it carried leaves staging.
void Committer::landed(StagingArea::Branch& b, StagedBranch& sent, const CommitTarget& target, const CommitResult& result) {
    const RepoRef& repo = sent.id.repo;
    const std::string where = sent.id.key();
    Revision new_base{result.commit, static_cast<int64_t>(std::time(nullptr))};
    std::lock_guard lock(b.mutex);
    // Files the Hub ignored were not committed: they stay staged (never silently dropped).
    b.status.ignored = result.ignored;
    for (const auto& path : result.ignored) {
        sent.files.erase(path);
        HUBFS_LOG(error, "commit %s: the Hub ignored %s (its .gitignore); it stays staged, not committed",
                  where.c_str(), path.c_str());
    }
    if (target.kind == CommitTarget::Kind::branch) {
        staging_.committed(b, sent, new_base);
        catalog_.learn_revision(repo, sent.id.branch, new_base);
        if (sent.id.branch == "main") catalog_.learn_revision(repo, "", new_base);
        b.status.last = result.commit;
    } else {
        // The changes now live elsewhere; this branch goes on from where it was.
        staging_.committed(b, sent, sent.base);
        b.status.last = target.kind == CommitTarget::Kind::pull_request
                            ? "pr " + result.pr_revision.value_or("") + " " + result.commit
                            : "branch " + target.new_branch + " " + result.commit;
    }
    b.status.state = "idle";
    b.status.failures = 0;
    b.recovered = false;
    HUBFS_LOG(info, "commit %s: done, %s", where.c_str(), b.status.last.c_str());
}

// The commit failed: everything stays staged; an unreachable Hub is retried with backoff.
void Committer::failed(StagingArea::Branch& b, const std::string& where, const std::exception& e) {
    std::lock_guard lock(b.mutex);
    auto* remote = dynamic_cast<const RemoteError*>(&e);
    bool transient = !remote || remote->kind == RemoteError::Kind::unavailable || remote->kind == RemoteError::Kind::other;
    b.status.last = std::string("error: ") + e.what();
    if (remote && remote->kind == RemoteError::Kind::conflict) b.status.state = "conflict";
    else b.status.state = transient ? "retrying" : "failed";
    if (transient) {
        ++b.status.failures;
        auto delay = std::min<std::chrono::seconds>(kMaxRetryDelay, std::chrono::seconds(1 << std::min(b.status.failures, 6)));
        b.status.next_retry = Clock::now() + delay;
    }
    b.recovered = false;
    HUBFS_LOG(error, "commit %s failed, changes stay staged: %s", where.c_str(), e.what());
}

void Committer::commit_soon(const BranchId& branch) {
    {
        std::lock_guard lock(mutex_);
        requested_.insert(branch.key());
    }
    wake_.notify_all();
}

void Committer::run() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        std::set<std::string> requested;
        requested.swap(requested_);
        lock.unlock();
        auto now = Clock::now();
        for (const auto& b : staging_.branches()) {
            bool due;
            {
                std::lock_guard branch_lock(b->mutex);
                const CommitStatus& s = b->status;
                due = opts_.scratch.has_committable(b->changes) && !held(b->changes) &&
                      (b->recovered || requested.count(b->changes.id.key()) || (s.state == "retrying" && now >= s.next_retry) ||
                       (opts_.interval.count() > 0 && now - s.last_attempt >= opts_.interval));
            }
            if (!due) continue;
            try {
                commit(*b);
            } catch (const std::exception&) {
                // logged by commit(); the changes stay staged
            }
        }
        write_status_file();
        lock.lock();
        wake_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_ || !requested_.empty(); });
    }
}

std::string Committer::flush_all(std::chrono::seconds timeout, const std::atomic<bool>& stop) {
    auto deadline = Clock::now() + timeout;
    for (;;) {
        bool waiting = false;
        for (const auto& b : staging_.branches()) {
            if (stop) break;
            {
                std::lock_guard lock(b->mutex);
                if (!opts_.scratch.has_committable(b->changes)) continue;
            }
            try {
                commit(*b);
            } catch (const RemoteError& e) {
                // Only an unreachable Hub is worth waiting for; other errors need the user.
                if (e.kind == RemoteError::Kind::unavailable) waiting = true;
            } catch (const std::exception&) {
            }
        }
        if (!waiting || stop || Clock::now() >= deadline) break;
        const auto retry = Clock::now() + std::chrono::seconds(2);  // waited in steps: a signal ends it
        while (!stop && Clock::now() < retry) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    write_status_file();
    std::string left;
    for (const auto& b : staging_.branches()) {
        std::lock_guard lock(b->mutex);
        if (size_t n = opts_.scratch.committable_count(b->changes))
            left += b->changes.id.key() + ": " + std::to_string(n) + " changes (" + b->status.last + ")\n";
    }
    return left;
}

std::string Committer::status_json() {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& b : staging_.branches()) {
        std::lock_guard lock(b->mutex);
        const CommitStatus& s = b->status;
        size_t n = opts_.scratch.committable_count(b->changes);
        if (n == 0 && (s.state == "idle" || s.state == "failed")) continue;  // nothing left to commit
        out.push_back({{"branch", b->changes.id.key()},
                       {"changes", n},
                       {"bytes", staging_.staged_bytes(*b)},
                       {"local", b->changes.files.size() - opts_.scratch.committable(b->changes).files.size()},  // scratch
                       {"state", held(b->changes) ? "held (staged by " + b->changes.owner + ")" : s.state},
                       {"uploaded", s.bytes_uploaded},
                       {"total", s.bytes_total},
                       {"last", s.last}});
    }
    return out.dump();
}

void Committer::write_status_file() {
    if (opts_.status_file.empty()) return;
    std::string text = status_json();
    auto tmp = opts_.status_file;
    tmp += ".tmp";
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << text;
    }
    std::error_code ec;
    std::filesystem::rename(tmp, opts_.status_file, ec);
}

}  // namespace hubfs::fs
