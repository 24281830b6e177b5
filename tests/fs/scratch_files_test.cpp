// Which files stay local: editor and tool scratch files, and folders the Hub refuses.
#include <doctest/doctest.h>

#include "fs/write/scratch_files.hpp"

using namespace hubfs::fs;

TEST_CASE("editor scratch files stay local, the files they edit do not") {
    ScratchFiles s;
    for (const char* p : {".v.txt.swp", "dir/.config.json.swo", "4913", "dir/4913", "notes.txt~", "#notes.txt#",
                          ".#notes.txt", ".DS_Store", "a/b/._model.bin", "tmpk3j_9x0a", "dir/.cfg.mc89ypxg.tmp",
                          "src/__pycache__/m.cpython-311.pyc", ".~lock.sheet.ods#"})
        CHECK_MESSAGE(s.matches(p), p);
    for (const char* p : {"v.txt", "config.json", "49130", "tmp", "tmpfile.txt", "tmp12345678x", "model.safetensors",
                          "swp.txt", "a/b/c.bin", "README.md", ".gitattributes", ".gitignore", "temp/a.txt"})
        CHECK_MESSAGE(!s.matches(p), p);
}

TEST_CASE("a .git or .cache segment is always local, whatever the patterns") {
    ScratchFiles none(std::vector<std::string>{});
    CHECK(none.matches(".git"));
    CHECK(none.matches("cloned/.git/HEAD"));
    CHECK(none.matches("cloned/.git/objects/pack/x.pack"));
    CHECK(none.matches(".cache/huggingface/download/a.lock"));
    CHECK_FALSE(none.matches("cloned/.gitignore"));
    CHECK_FALSE(none.matches("cloned/git/HEAD"));
    CHECK_FALSE(none.matches(".swp"));
    CHECK(none.reason("x/.git/config").find(".git") != std::string::npos);
}

TEST_CASE("patterns given by the user: a name anywhere, or a path with its folders") {
    ScratchFiles s(std::vector<std::string>{"*.log", "build/out"});
    CHECK(s.matches("train.log"));
    CHECK(s.matches("runs/1/train.log"));
    CHECK(s.matches("build/out"));
    CHECK(s.matches("build/out/x.bin"));
    CHECK_FALSE(s.matches("a/build/out/x.bin"));
    CHECK_FALSE(s.matches("build/other"));
    CHECK_FALSE(s.matches(".v.txt.swp"));  // the defaults are replaced
    CHECK(s.reason("train.log") == "scratch file (*.log)");
}

TEST_CASE("a commit carries everything but the local files and folders") {
    StagedBranch b;
    b.id = BranchId{RepoRef{RepoType::model, "ns/name"}, "main"};
    b.files["v.txt"] = StagedFile{"blob1", {}, {}, true};
    b.files[".v.txt.swp"] = StagedFile{"blob2", {}, {}, true};
    b.files["cloned/.git/HEAD"] = StagedFile{"blob3", {}, {}, true};
    b.files["cloned/README.md"] = StagedFile{"blob4", {}, {}, true};
    b.dirs.insert("cloned/.git/refs/tags");
    b.dirs.insert("empty");
    b.deleted[".DS_Store"] = false;  // removing a committed one is a change
    ScratchFiles s;
    auto c = s.committable(b);
    CHECK(c.files.size() == 2);
    CHECK(c.files.count("v.txt"));
    CHECK(c.files.count("cloned/README.md"));
    CHECK(c.dirs == std::set<std::string>{"empty"});
    CHECK(c.deleted.size() == 1);
    CHECK(s.committable_count(b) == 3);
    CHECK(s.has_committable(b));

    StagedBranch only_scratch;
    only_scratch.files[".v.txt.swp"] = StagedFile{"blob2", {}, {}, true};
    CHECK_FALSE(s.has_committable(only_scratch));
    CHECK_FALSE(s.committable(only_scratch).has_changes());
}
