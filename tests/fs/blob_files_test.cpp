// The staged files' folder (fs/write/blob_files.hpp): new files made ahead by the background
// thread, removals done behind it, nothing left once it is gone.
#include <doctest/doctest.h>

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <thread>

#include "fs/write/blob_files.hpp"

using hubfs::fs::BlobFiles;
namespace stdfs = std::filesystem;

namespace {

struct TempTree {
    stdfs::path path;
    TempTree() {
        char tmpl[] = "/tmp/hubfs-blob-files-XXXXXX";
        path = ::mkdtemp(tmpl);
    }
    ~TempTree() { stdfs::remove_all(path); }
};

size_t count_files(const stdfs::path& dir) {
    size_t n = 0;
    for ([[maybe_unused]] const auto& e : stdfs::directory_iterator(dir)) ++n;
    return n;
}

// Polls (bounded) until the folder holds `n` files; returns how many it holds.
size_t wait_for_files(const stdfs::path& dir, size_t n) {
    for (int i = 0; i < 500 && count_files(dir) != n; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return count_files(dir);
}

}  // namespace

TEST_CASE("new staged files are made ahead: make takes a ready one, and another is made") {
    TempTree dir;
    BlobFiles blobs(dir.path, 4);
    CHECK(wait_for_files(dir.path, 4) == 4);  // made before anyone asked
    std::string a = blobs.make(), b = blobs.make();
    CHECK(a != b);
    CHECK(stdfs::is_regular_file(blobs.path(a)));
    CHECK(stdfs::file_size(blobs.path(a)) == 0);
    CHECK(wait_for_files(dir.path, 6) == 6);  // two taken, four ready again
}

TEST_CASE("a removal happens in the background; settle waits for it") {
    TempTree dir;
    std::optional<BlobFiles> blobs(std::in_place, dir.path, 2);
    std::string name = blobs->make();
    std::ofstream(blobs->path(name)) << "staged bytes";
    blobs->remove(name);
    blobs->settle();
    CHECK_FALSE(stdfs::exists(blobs->path(name)));
    std::string kept = blobs->make();
    blobs.reset();  // the ready files nobody took go with it; the taken one stays
    CHECK(count_files(dir.path) == 1);
    CHECK(stdfs::exists(dir.path / kept));
}
