// Where writes wait for their commit: staged bytes as files under <slot>/files/, and the
// journal (LMDB, <slot>/journal/) of every branch's pending changes, in the staging slot this
// process holds (staging_claim.hpp). Every change
// is journaled before it is answered, so a crash or kill -9 loses nothing: the next mount loads
// the journal and shows and commits the changes. Staged data is removed only once the Hub has
// accepted the commit that carries it.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "fs/write/blob_files.hpp"
#include "fs/write/running_hash.hpp"
#include "fs/write/staged_branch.hpp"
#include "fs/write/staging_journal.hpp"

namespace hubfs::fs {

// What a branch's commits are doing, for the control file and `hubfs status`.
struct CommitStatus {
    std::string state = "idle";  // idle, committing, uploading, retrying, conflict, failed
    uint64_t files_total = 0, bytes_total = 0, bytes_uploaded = 0;
    std::string last;            // "<sha>", "pr refs/pr/N", or "error: ..."
    std::vector<std::string> conflicts;
    std::vector<std::string> ignored;  // files the Hub refused to commit (its .gitignore): kept staged
    // Scheduling of the background commits.
    std::chrono::steady_clock::time_point last_attempt{}, next_retry{};
    int failures = 0;             // consecutive attempts that found the Hub unreachable
};

class StagingArea {
public:
    struct Batch;
    struct Branch {
        std::mutex commit_mutex;  // one commit (or discard) of the branch at a time
        std::mutex mutex;         // guards everything below
        // Changes hold it shared; a commit holds it exclusively only while it takes its snapshot.
        std::shared_mutex gate;
        StagedBranch changes;
        CommitStatus status;
        std::map<std::string, int> writers;  // blob -> handles open for writing
        std::map<std::string, std::string> blob_paths;  // blob -> the path whose bytes it holds
        bool recovered = false;   // loaded from the journal at start-up: commit it soon
        uint64_t generation = 0;  // counts commits, so writers know to mark their file dirty again
        Batch* batch = nullptr;  // set while a Batch gathers the branch's journal edits
        // Staged files a running commit reads: never written in place (a writer gets a copy) and
        // removed only when the commit ends (orphans).
        std::set<std::string> in_flight;
        std::vector<std::string> orphans;
    };

    // Makes every change made through it, while the caller holds the branch's mutex
    // throughout, one journal transaction (a rename of a file or a folder is journaled whole or
    // not at all). Staged files it replaces are removed only once the transaction is written.
    struct Batch {
        Batch(StagingArea& area, Branch& b);
        ~Batch();  // writes the transaction
        Batch(const Batch&) = delete;
        Batch& operator=(const Batch&) = delete;
        StagingArea& area;
        Branch& branch;
        std::vector<StagingJournal::Edit> edits;
        std::vector<std::string> removed_blobs;
    };

    explicit StagingArea(const std::filesystem::path& dir);  // loads the journal

    std::shared_ptr<Branch> find(const BranchId& id);
    // The branch's staging, made with `base` as its base commit if it has none yet.
    std::shared_ptr<Branch> get(const BranchId& id, const Revision& base);
    std::vector<std::shared_ptr<Branch>> branches();

    std::filesystem::path blob_path(const std::string& blob) const { return files_dir_ / blob; }
    // A new empty staged file; returns its name.
    std::string new_blob();
    void remove_blob(const std::string& blob);  // done in the background (blob_files.hpp)
    void settle_removals() { blobs_->settle(); }
    // Removes a staged file nothing refers to any more (later, if a commit still reads it).
    void drop_blob(Branch& b, const std::string& blob);

    // Changes: the caller holds the branch's mutex (and its gate, shared). Each is journaled.
    void put_file(Branch& b, const std::string& path, StagedFile f);
    void erase_file(Branch& b, const std::string& path);  // drops the staged bytes, unless open
    void mark_dirty(Branch& b, const std::string& path);  // a committed file changes again
    // The path whose bytes the staged file holds ("" if none).
    std::string path_of(const Branch& b, const std::string& blob) const;
    // Size and XXH3 of a staged file's bytes, read from disk (no lock needed).
    Seal measure(const std::string& blob) const;
    // Every change of a staged file's bytes goes through these (no lock needed), so the file's
    // running digests (running_hash.hpp) hold only while they match its bytes. `fd` is the
    // staged file open for writing; truncate takes -1 to truncate it by its path.
    void write(const std::string& blob, int fd, std::string_view bytes, uint64_t offset);
    void truncate(const std::string& blob, int fd, uint64_t size);
    // The seal of a staged file now: from its running digests (with its sha256) when they cover
    // it, else measured.
    Seal seal_of(const std::string& blob);
    // Records the seal of the file that holds `blob`, if it still does.
    void seal(Branch& b, const std::string& blob, const Seal& s);
    void move_file(Branch& b, const std::string& from, const std::string& to);  // keeps the bytes
    void put_deleted(Branch& b, const std::string& path, bool folder);
    void erase_deleted(Branch& b, const std::string& path);
    void put_dir(Branch& b, const std::string& path);
    void erase_dir(Branch& b, const std::string& path);
    void save_header(Branch& b);
    // After the Hub accepted a commit of `sent` (the changes as the commit took them): what was
    // sent and not changed since is gone from staging (files still open for writing stay as
    // clean entries); what was removed or renamed meanwhile is deleted again over new_base.
    void committed(Branch& b, const StagedBranch& sent, const Revision& new_base);
    void discard(Branch& b);  // drops every change of the branch
    void sync() { journal_.sync(); }
    uint64_t staged_bytes(const Branch& b) const;  // of the changes still to commit

private:
    std::string entry_key(const Branch& b, char kind, const std::string& path) const;
    // Journals edits of the branch now, or in its open batch.
    void record(Branch& b, std::vector<StagingJournal::Edit> edits);

    void load();

    std::filesystem::path files_dir_;
    StagingJournal journal_;
    RunningHashes hashes_;
    std::unique_ptr<BlobFiles> blobs_;  // made after load() swept the files nothing refers to
    std::mutex mutex_;
    std::map<std::string, std::shared_ptr<Branch>> branches_;  // by BranchId::key()
};

}  // namespace hubfs::fs
