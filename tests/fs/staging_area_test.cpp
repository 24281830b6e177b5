// The staging area survives its process: what one StagingArea journaled, the next one loads.
#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <optional>
#include <fstream>

#include "fs/write/staging_area.hpp"

using namespace hubfs::fs;
namespace stdfs = std::filesystem;

namespace {

struct TempDir {
    stdfs::path path;
    TempDir() {
        char tmpl[] = "/tmp/hubfs-staging-XXXXXX";
        path = ::mkdtemp(tmpl);
    }
    ~TempDir() { stdfs::remove_all(path); }
};

const BranchId kMain{RepoRef{RepoType::dataset, "ns/data"}, "main"};
const Revision kBase{std::string(40, 'b'), 1700000000};

void write_blob(StagingArea& s, const std::string& blob, const std::string& text) {
    std::ofstream(s.blob_path(blob)) << text;
}

}  // namespace

TEST_CASE("changes come back after a restart, with their bytes") {
    TempDir dir;
    std::string blob;
    {
        StagingArea s(dir.path);
        auto b = s.get(kMain, kBase);
        std::lock_guard lock(b->mutex);
        blob = s.new_blob();
        write_blob(s, blob, "hello");
        s.put_file(*b, "a/new.txt", StagedFile{blob, {}, {}, true, {}});
        RemoteEntry lfs;
        lfs.size = 42;
        lfs.lfs_sha256 = std::string(64, 'c');
        s.put_file(*b, "moved.bin", StagedFile{"", "old.bin", lfs, true, {}});
        s.put_deleted(*b, "old.bin", false);
        s.put_deleted(*b, "gone", true);
        s.put_dir(*b, "empty");
        b->changes.message = "title";
        s.save_header(*b);
    }
    StagingArea s(dir.path);
    auto b = s.find(kMain);
    REQUIRE(b);
    std::lock_guard lock(b->mutex);
    const StagedBranch& c = b->changes;
    CHECK(b->recovered);
    CHECK(c.id == kMain);
    CHECK(c.base.commit == kBase.commit);
    CHECK(c.message == "title");
    REQUIRE(c.file("a/new.txt"));
    CHECK(c.file("a/new.txt")->blob == blob);
    CHECK(stdfs::file_size(s.blob_path(blob)) == 5);
    REQUIRE(c.file("moved.bin"));
    CHECK(c.file("moved.bin")->copy_from == "old.bin");
    CHECK(c.file("moved.bin")->source.lfs_sha256 == std::string(64, 'c'));
    CHECK(c.deleted.at("old.bin") == false);
    CHECK(c.deleted.at("gone") == true);
    CHECK(c.dirs.count("empty"));
    CHECK(s.staged_bytes(*b) == 5 + 42);
}

TEST_CASE("a commit removes what it sent, and keeps files still open as clean entries") {
    TempDir dir;
    StagingArea s(dir.path);
    auto b = s.get(kMain, kBase);
    std::lock_guard lock(b->mutex);
    std::string open_blob = s.new_blob(), closed_blob = s.new_blob();
    s.put_file(*b, "open.txt", StagedFile{open_blob, {}, {}, true, {}});
    s.put_file(*b, "closed.txt", StagedFile{closed_blob, {}, {}, true, {}});
    s.put_deleted(*b, "old", false);
    std::string written_blob = s.new_blob();
    s.put_file(*b, "written.txt", StagedFile{written_blob, {}, {}, true, {}});
    b->writers[open_blob] = b->writers[written_blob] = 1;
    s.seal(*b, open_blob, s.measure(open_blob));  // fsync'd while open: a commit may take it
    s.seal(*b, written_blob, s.measure(written_blob));
    StagedBranch sent = b->changes;
    write_blob(s, written_blob, "written after the commit took it");
    s.put_file(*b, "late.txt", StagedFile{s.new_blob(), {}, {}, true, {}});  // staged after the commit began
    Revision next{std::string(40, 'd'), 1700000100};
    s.committed(*b, sent, next);
    const StagedBranch& c = b->changes;
    CHECK(c.base.commit == next.commit);
    CHECK(c.deleted.empty());
    CHECK(c.file("closed.txt") == nullptr);
    s.settle_removals();  // removed in the background
    CHECK_FALSE(stdfs::exists(s.blob_path(closed_blob)));
    REQUIRE(c.file("open.txt"));
    CHECK_FALSE(c.file("open.txt")->dirty);
    CHECK(stdfs::exists(s.blob_path(open_blob)));
    REQUIRE(c.file("written.txt"));
    CHECK(c.file("written.txt")->dirty);  // changed since it was sent: goes in the next commit
    REQUIRE(c.file("late.txt"));
    CHECK(c.file("late.txt")->dirty);
    CHECK(b->generation == 1);
}

TEST_CASE("a restart drops clean entries and staged files nothing refers to") {
    TempDir dir;
    std::string kept, clean, orphan;
    {
        StagingArea s(dir.path);
        auto b = s.get(kMain, kBase);
        std::lock_guard lock(b->mutex);
        kept = s.new_blob();
        clean = s.new_blob();
        orphan = s.new_blob();
        s.put_file(*b, "kept", StagedFile{kept, {}, {}, true, {}});
        s.put_file(*b, "clean", StagedFile{clean, {}, {}, false, {}});
    }
    StagingArea s(dir.path);
    auto b = s.find(kMain);
    REQUIRE(b);
    std::lock_guard lock(b->mutex);
    CHECK(b->changes.file("kept"));
    CHECK_FALSE(b->changes.file("clean"));
    CHECK(stdfs::exists(s.blob_path(kept)));
    CHECK_FALSE(stdfs::exists(s.blob_path(clean)));
    CHECK_FALSE(stdfs::exists(s.blob_path(orphan)));
}

TEST_CASE("very long paths are journaled too") {
    TempDir dir;
    std::string path(200, 'x');
    path += "/" + std::string(200, 'y') + "/" + std::string(200, 'z');
    {
        StagingArea s(dir.path);
        auto b = s.get(kMain, kBase);
        std::lock_guard lock(b->mutex);
        s.put_deleted(*b, path, false);
    }
    StagingArea s(dir.path);
    auto b = s.find(kMain);
    REQUIRE(b);
    CHECK(b->changes.deleted.count(path));
}

TEST_CASE("a batch is one journal transaction: a crash inside it keeps the state before, after it the state after") {
    TempDir dir;
    auto snapshot = [&](const char* name) {
        stdfs::path to = dir.path.parent_path() / (dir.path.filename().string() + name);
        stdfs::copy(dir.path / "staging", to, stdfs::copy_options::recursive);
        return to;
    };
    stdfs::path during, after;
    {
        StagingArea s(dir.path / "staging");
        auto b = s.get(kMain, kBase);
        std::lock_guard lock(b->mutex);
        for (const char* p : {"a/x", "a/y", "a/z"}) {
            std::string blob = s.new_blob();
            write_blob(s, blob, p);
            s.put_file(*b, p, StagedFile{blob, {}, {}, true, {}});
        }
        s.put_file(*b, "b/y", StagedFile{s.new_blob(), {}, {}, true, {}});  // replaced by the move
        {
            StagingArea::Batch batch(s, *b);  // a folder rename a -> b
            for (const char* p : {"x", "y", "z"}) s.move_file(*b, std::string("a/") + p, std::string("b/") + p);
            s.put_dir(*b, "b");
            s.settle_removals();  // no staged file vanishes while it is copied
            during = snapshot("-during");  // what a kill -9 here would leave
        }
        s.settle_removals();
        after = snapshot("-after");
    }
    for (const auto& [where, from, to] : {std::tuple{during, "a/", "b/"}, std::tuple{after, "b/", "a/"}}) {
        std::optional<StagingArea> area(std::in_place, where);
        StagingArea& s = *area;
        auto b = s.find(kMain);
        REQUIRE(b);
        std::lock_guard lock(b->mutex);
        for (const char* p : {"x", "y", "z"}) {
            const StagedFile* f = b->changes.file(std::string(from) + p);
            REQUIRE(f);
            // b/y was staged before the rename replaced it: its bytes stay until the batch is written.
            if (std::string(to) + p == "b/y") CHECK(stdfs::exists(s.blob_path(b->changes.file("b/y")->blob)));
            else CHECK(!b->changes.file(std::string(to) + p));
            std::ifstream in(s.blob_path(f->blob));
            std::string text;
            std::getline(in, text);
            CHECK(text == std::string("a/") + p);  // the bytes are there too
        }
        area.reset();  // its background thread stops before the folder goes
        stdfs::remove_all(where);
    }
}
