// The view staged changes make of a branch: what exists, what is hidden, what folders list.
#include <doctest/doctest.h>

#include "fs/write/staged_branch.hpp"

using namespace hubfs::fs;

namespace {

StagedBranch branch() {
    StagedBranch b;
    b.id = BranchId{RepoRef{RepoType::model, "ns/name"}, "main"};
    b.base = Revision{std::string(40, 'a'), 0};
    return b;
}

}  // namespace

TEST_CASE("nothing staged: no changes, nothing hidden") {
    auto b = branch();
    CHECK_FALSE(b.has_changes());
    CHECK_FALSE(b.hides("a/b.txt"));
    CHECK(b.staged_children("").empty());
}

TEST_CASE("a deleted folder hides everything below it, not its siblings") {
    auto b = branch();
    b.deleted["data"] = true;
    CHECK(b.hides("data"));
    CHECK(b.hides("data/x/y.bin"));
    CHECK_FALSE(b.hides("data2/y.bin"));
    CHECK_FALSE(b.hides("dat"));
    CHECK(b.has_changes());
    CHECK(b.change_count() == 1);
}

TEST_CASE("staged files imply their folders and list under their parents") {
    auto b = branch();
    b.files["a/b/c.txt"] = StagedFile{"blob1", {}, {}, true, {}};
    b.files["a/d.txt"] = StagedFile{"blob2", {}, {}, true, {}};
    b.dirs.insert("e");
    CHECK(b.is_staged_dir("a"));
    CHECK(b.is_staged_dir("a/b"));
    CHECK(b.is_staged_dir("e"));
    CHECK_FALSE(b.is_staged_dir("a/d.txt"));
    auto root = b.staged_children("");
    CHECK(root.size() == 2);
    CHECK(root["a"] == true);
    CHECK(root["e"] == true);
    auto a = b.staged_children("a");
    CHECK(a.size() == 2);
    CHECK(a["b"] == true);
    CHECK(a["d.txt"] == false);
}

TEST_CASE("a file staged under a deleted folder is visible again") {
    auto b = branch();
    b.deleted["data"] = true;
    b.files["data/new.bin"] = StagedFile{"blob", {}, {}, true, {}};
    CHECK(b.file("data/new.bin") != nullptr);
    CHECK(b.is_staged_dir("data"));
    CHECK(b.hides("data/old.bin"));
}

TEST_CASE("clean entries (committed while open) are not changes") {
    auto b = branch();
    b.files["x"] = StagedFile{"blob", {}, {}, false, {}};
    CHECK_FALSE(b.has_changes());
    CHECK(b.change_count() == 0);
    b.files["x"].dirty = true;
    CHECK(b.has_changes());
}

TEST_CASE("path helpers") {
    CHECK(join_path("", "a") == "a");
    CHECK(join_path("a/b", "c") == "a/b/c");
    CHECK(is_under("a/b", "a"));
    CHECK_FALSE(is_under("ab", "a"));
    CHECK_FALSE(is_under("a", "a"));
    CHECK(is_under("a", ""));
}
