// The committer against a fake Writer (fake_writer.hpp), no FUSE: what a commit carries, what
// stays staged, and what happens when the branch moved under the staged changes (a rebase when
// nothing overlaps, a conflict with everything kept when something does).
#include <doctest/doctest.h>

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <functional>
#include <shared_mutex>
#include <sstream>

#include "api/digest.hpp"
#include "fake_remote.hpp"
#include "fake_writer.hpp"
#include "fs/common/unique_fd.hpp"
#include "fs/errno_map.hpp"
#include "fs/read/catalog.hpp"
#include "fs/write/committer.hpp"

using namespace hubfs::fs;
using hubfs::fs::testing::FakeRemote;
using hubfs::fs::testing::FakeWriter;
namespace stdfs = std::filesystem;

namespace {

const RepoRef kRepo{RepoType::model, "ns/repo"};
const BranchId kMain{kRepo, "main"};

stdfs::path temp_dir() {
    char tmpl[] = "/tmp/hubfs-committer-XXXXXX";
    return ::mkdtemp(tmpl);
}

stdfs::path made(const stdfs::path& dir) {
    stdfs::create_directories(dir);
    return dir;
}

std::string read_file(const stdfs::path& path) {
    std::ostringstream bytes;
    bytes << std::ifstream(path).rdbuf();
    return bytes.str();
}

// A temporary folder, removed last (after the staging's background thread stopped).
struct TempTree {
    stdfs::path path = temp_dir();
    ~TempTree() { stdfs::remove_all(path); }
};

// A branch with one commit upstream ("a.txt", "b.txt", "dir/x"), its staging, and a committer.
struct Fixture {
    TempTree tree;
    stdfs::path dir = tree.path;
    FakeRemote remote;
    hubfs::cache::Cache cache{hubfs::cache::CacheOptions{.dir = made(dir / "cache")}};
    Catalog catalog{remote, cache, CatalogOptions{}};
    FakeWriter writer;
    StagingArea staging{made(dir / "staging")};
    Committer committer{staging, writer, catalog, CommitterOptions{}};
    std::string base = writer.push(kRepo, "main", {{"a.txt", "a0"}, {"b.txt", "b0"}, {"dir/x", "x0"}});
    std::shared_ptr<StagingArea::Branch> b = staging.get(kMain, Revision{base, 0});

    ~Fixture() { b.reset(); }
    // A file written and closed (sealed), as the FUSE adapter stages it; returns its blob.
    std::string stage(const std::string& path, const std::string& bytes) {
        std::shared_lock gate(b->gate);
        std::lock_guard lock(b->mutex);
        std::string blob = staging.new_blob();
        std::ofstream(staging.blob_path(blob)) << bytes;
        staging.put_file(*b, path, StagedFile{blob, {}, {}, true, staging.measure(blob)});
        return blob;
    }
    // A file written in order through the staging area (its sha256 computed as it was written),
    // then `after` (a later change through the staging area), then sealed; returns its blob.
    std::string stage_written(const std::string& path, const std::string& bytes,
                              const std::function<void(const std::string& blob, int fd)>& after = {}) {
        std::shared_lock gate(b->gate);
        std::string blob = staging.new_blob();
        hubfs::UniqueFd fd(::open(staging.blob_path(blob).c_str(), O_RDWR | O_CLOEXEC));
        for (size_t at = 0; at < bytes.size(); at += 4096) staging.write(blob, fd.get(), bytes.substr(at, 4096), at);
        if (after) after(blob, fd.get());
        std::lock_guard lock(b->mutex);
        staging.put_file(*b, path, StagedFile{blob, {}, {}, true, staging.seal_of(blob)});
        return blob;
    }
    // The add of `path` in the last commit asked for.
    const CommitAdd* last_add(const std::string& path) {
        if (writer.requests.empty()) return nullptr;
        for (const auto& change : writer.requests.back().changes)
            if (const auto* a = std::get_if<CommitAdd>(&change); a && a->path == path) return a;
        return nullptr;
    }
    void stage_deleted(const std::string& path, bool folder) {
        std::shared_lock gate(b->gate);
        std::lock_guard lock(b->mutex);
        staging.put_deleted(*b, path, folder);
    }
    const StagedFile* staged(const std::string& path) {
        std::lock_guard lock(b->mutex);
        return b->changes.file(path);
    }
    std::string staged_bytes(const std::string& path) {
        const StagedFile* f = staged(path);
        return f ? read_file(staging.blob_path(f->blob)) : "";
    }
    // The errno the FUSE adapter answers for what commit() throws (0: it succeeded).
    int commit_errno() {
        try {
            committer.commit(*b);
            return 0;
        } catch (...) {
            return errno_from_current_exception("commit");
        }
    }
};

}  // namespace

TEST_CASE("a commit carries the staged changes onto the base, and they leave staging") {
    Fixture f;
    f.stage("a.txt", "a1");
    f.stage("new.txt", "n1");
    f.stage_deleted("b.txt", false);
    REQUIRE(f.commit_errno() == 0);
    REQUIRE(f.writer.parents.size() == 1);
    CHECK(f.writer.parents[0] == f.base);
    const std::string head = f.writer.head(kRepo, "main");
    CHECK(f.writer.files(head) == FakeWriter::Files{{"a.txt", "a1"}, {"dir/x", "x0"}, {"new.txt", "n1"}});
    std::lock_guard lock(f.b->mutex);
    CHECK_FALSE(f.b->changes.has_changes());
    CHECK(f.b->changes.base.commit == head);
    CHECK(f.b->status.last == head);
}

TEST_CASE("the branch moved and changed a staged path: a conflict (ESTALE), everything stays staged") {
    Fixture f;
    size_t staged_changes = 0;
    SUBCASE("the same file") {
        f.stage("a.txt", "mine");
        f.writer.push_change(kRepo, "main", {{"a.txt", "theirs"}});
        staged_changes = 1;
    }
    SUBCASE("a file under a deleted folder") {
        f.stage_deleted("dir", true);
        f.stage("a.txt", "mine");
        f.writer.push_change(kRepo, "main", {{"dir/y", "theirs"}});
        staged_changes = 2;
    }
    const std::string theirs = f.writer.head(kRepo, "main");
    CHECK(f.commit_errno() == ESTALE);
    CHECK(f.writer.head(kRepo, "main") == theirs);  // nothing landed over their commit
    CHECK(f.writer.parents.empty());
    CHECK(f.staged_bytes("a.txt") == "mine");
    std::lock_guard lock(f.b->mutex);
    CHECK(f.b->changes.base.commit == f.base);
    CHECK(f.b->changes.change_count() == staged_changes);
    CHECK(f.b->status.state == "conflict");
    CHECK_FALSE(f.b->status.conflicts.empty());
}

TEST_CASE("the branch moved elsewhere: the changes are rebased onto its new head") {
    Fixture f;
    f.stage("a.txt", "mine");
    f.stage_deleted("dir", true);
    const std::string theirs = f.writer.push_change(kRepo, "main", {{"b.txt", "theirs"}, {"c.txt", "new"}});
    REQUIRE(f.commit_errno() == 0);
    REQUIRE(f.writer.requests.size() == 2);
    CHECK(f.writer.requests[0].parent == f.base);
    CHECK(f.writer.requests[1].parent == theirs);
    REQUIRE(f.writer.parents.size() == 1);
    CHECK(f.writer.parents[0] == theirs);
    const std::string head = f.writer.head(kRepo, "main");
    CHECK(f.writer.files(head) == FakeWriter::Files{{"a.txt", "mine"}, {"b.txt", "theirs"}, {"c.txt", "new"}});
    std::lock_guard lock(f.b->mutex);
    CHECK_FALSE(f.b->changes.has_changes());
    CHECK(f.b->changes.base.commit == head);
}

TEST_CASE("a file written during the upload stays staged as a change over the new base") {
    Fixture f;
    std::string blob = f.stage("a.txt", "v1");
    SUBCASE("its writer kept it open and wrote again") {
        {
            std::lock_guard lock(f.b->mutex);
            ++f.b->writers[blob];
        }
        f.writer.during_upload = [&] {
            std::ofstream(f.staging.blob_path(blob), std::ios::app) << "+v2";
        };
    }
    SUBCASE("it was opened and rewritten") {
        f.writer.during_upload = [&] { f.stage("a.txt", "v1+v2"); };
    }
    REQUIRE(f.commit_errno() == 0);
    const std::string head = f.writer.head(kRepo, "main");
    CHECK(f.writer.files(head).at("a.txt") == "v1");  // the bytes as they were sealed
    const StagedFile* now = f.staged("a.txt");
    REQUIRE(now);
    CHECK(now->dirty);
    CHECK(f.staged_bytes("a.txt") == "v1+v2");
    std::lock_guard lock(f.b->mutex);
    CHECK(f.b->changes.base.commit == head);
    CHECK(f.b->changes.has_changes());
}

TEST_CASE("scratch files stay staged and out of the commit") {
    Fixture f;
    f.stage("a.txt", "a1");
    f.stage(".a.txt.swp", "vim");
    f.stage("__pycache__/m.pyc", "bytecode");
    REQUIRE(f.commit_errno() == 0);
    const std::string head = f.writer.head(kRepo, "main");
    CHECK(f.writer.files(head) == FakeWriter::Files{{"a.txt", "a1"}, {"b.txt", "b0"}, {"dir/x", "x0"}});
    CHECK(f.staged_bytes(".a.txt.swp") == "vim");
    CHECK(f.staged_bytes("__pycache__/m.pyc") == "bytecode");
    CHECK_FALSE(f.staged("a.txt"));
}

TEST_CASE("a sha256 computed while the file was written goes with the commit; a dropped one does not") {
    Fixture f;
    std::string bytes(20000, 'w');
    for (size_t i = 0; i < bytes.size(); i += 7) bytes[i] = static_cast<char>('a' + i % 26);
    f.stage_written("hashed.bin", bytes);
    std::string rewritten = bytes;
    rewritten.replace(5000, 3, "XYZ");
    f.stage_written("rewritten.bin", bytes, [&](const std::string& blob, int fd) { f.staging.write(blob, fd, "XYZ", 5000); });
    f.stage_written("truncated.bin", bytes, [&](const std::string& blob, int fd) { f.staging.truncate(blob, fd, 100); });
    f.stage("measured.txt", "closed after a write the staging area did not see");
    REQUIRE(f.commit_errno() == 0);
    const auto& landed = f.writer.files(f.writer.head(kRepo, "main"));
    REQUIRE(landed.at("rewritten.bin") == rewritten);
    REQUIRE(landed.at("truncated.bin") == bytes.substr(0, 100));
    const CommitAdd* hashed = f.last_add("hashed.bin");
    REQUIRE(hashed);
    CHECK(hashed->sha256 == hubfs::api::sha256_hex(bytes));
    CHECK(hashed->sha256 == hubfs::api::sha256_hex(landed.at("hashed.bin")));
    CHECK(hashed->size == bytes.size());
    for (const char* path : {"rewritten.bin", "truncated.bin", "measured.txt"}) {
        const CommitAdd* a = f.last_add(path);
        REQUIRE(a);
        CHECK_MESSAGE(a->sha256.empty(), path);  // the commit hashes these bytes itself
    }
}

TEST_CASE("a file rewritten after its sealed sha256 is committed without it") {
    Fixture f;
    std::string blob = f.stage_written("a.bin", "first version");
    {
        // Reopened and rewritten in the middle (same size), then closed: sealed again, measured.
        std::shared_lock gate(f.b->gate);
        hubfs::UniqueFd fd(::open(f.staging.blob_path(blob).c_str(), O_RDWR | O_CLOEXEC));
        f.staging.write(blob, fd.get(), "FIRST", 0);
        std::lock_guard lock(f.b->mutex);
        f.staging.seal(*f.b, blob, f.staging.seal_of(blob));
    }
    REQUIRE(f.commit_errno() == 0);
    CHECK(f.writer.files(f.writer.head(kRepo, "main")).at("a.bin") == "FIRST version");
    const CommitAdd* a = f.last_add("a.bin");
    REQUIRE(a);
    CHECK(a->sha256.empty());
}

TEST_CASE("the flush at unmount retries an unreachable Hub until a signal stops it; the changes stay staged") {
    Fixture f;
    f.stage("new.txt", "n1");
    std::atomic<bool> stop{false};
    int attempts = 0;
    f.writer.during_upload = [&] {
        if (++attempts == 2) stop = true;  // a SIGTERM during the second attempt (StopSignals sets the flag)
        throw RemoteError(RemoteError::Kind::unavailable, "the Hub does not answer");
    };
    // Without the stop this retries every 2 s for the whole 600 s.
    std::string left = f.committer.flush_all(std::chrono::seconds(600), stop);
    CHECK(attempts == 2);
    CHECK(left.find("ns/repo") != std::string::npos);
    CHECK(f.staged_bytes("new.txt") == "n1");
}
