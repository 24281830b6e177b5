// InodeTable without a kernel: lookups and forgets as FUSE counts them, detach and rename.
#include <doctest/doctest.h>

#include "fs/fuse/inode_table.hpp"

using namespace hubfs::fs;

namespace {

const RepoRef kRepo{RepoType::model, "ns/repo"};

Node file_node(const std::string& path) {
    Node n;
    n.kind = NodeKind::file;
    n.repo = kRepo;
    n.rev = "main";
    n.path = path;
    return n;
}

}  // namespace

TEST_CASE("an inode lives as long as the kernel's lookups: each forget takes its count back") {
    InodeTable table{Node{}};
    CHECK(table.size() == 1);  // the root
    Node a = file_node("a.txt");
    CHECK(table.peek(a) == 0);
    fuse_ino_t ino = table.ref(a);
    CHECK(ino > FUSE_ROOT_ID);
    CHECK(table.ref(a) == ino);  // same node, same inode: two lookups
    CHECK(table.ref(a) == ino);  // three
    CHECK(table.peek(a) == ino);  // peek adds none
    CHECK(table.size() == 2);

    table.forget(ino, 2);
    REQUIRE(table.get(ino));
    CHECK(table.get(ino)->path == "a.txt");
    table.forget(ino, 1);  // the third lookup: gone
    CHECK_FALSE(table.get(ino));
    CHECK(table.peek(a) == 0);
    CHECK(table.size() == 1);

    // A new lookup after the forget gets a fresh inode number; an unknown forget is harmless.
    fuse_ino_t again = table.ref(a);
    CHECK(again != ino);
    table.forget(ino, 5);
    CHECK(table.get(again));
}

TEST_CASE("the root is never forgotten") {
    Node root;
    InodeTable table{root};
    table.forget(FUSE_ROOT_ID, 100);
    CHECK(table.get(FUSE_ROOT_ID));
    CHECK(table.ref(root) == FUSE_ROOT_ID);
}

TEST_CASE("a detached node keeps its inode for the kernel, but its name gets a new one") {
    InodeTable table{Node{}};
    Node a = file_node("a.txt");
    fuse_ino_t old_ino = table.ref(a);
    table.detach(a);
    CHECK(table.get(old_ino));  // still answers for open handles
    CHECK(table.peek(a) == 0);
    fuse_ino_t new_ino = table.ref(a);
    CHECK(new_ino != old_ino);
    table.forget(old_ino, 1);
    CHECK_FALSE(table.get(old_ino));
    CHECK(table.get(new_ino));
}

TEST_CASE("a rename moves a folder's inodes with it and replaces the destination") {
    InodeTable table{Node{}};
    Node dir = file_node("d");
    dir.kind = NodeKind::folder;
    fuse_ino_t dir_ino = table.ref(dir);
    fuse_ino_t child_ino = table.ref(file_node("d/x.bin"));
    fuse_ino_t sibling_ino = table.ref(file_node("dd/y.bin"));  // shares the prefix, not the folder
    fuse_ino_t target_ino = table.ref(file_node("e/x.bin"));
    table.rename(kRepo, "main", "d", "e");
    CHECK(table.get(dir_ino)->path == "e");
    CHECK(table.get(child_ino)->path == "e/x.bin");
    CHECK(table.peek(file_node("e/x.bin")) == child_ino);
    CHECK(table.get(sibling_ino)->path == "dd/y.bin");
    CHECK(table.get(target_ino));  // the replaced file's inode is detached, not dropped
    CHECK(table.peek(file_node("d/x.bin")) == 0);
}
