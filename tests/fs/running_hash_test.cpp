// Running digests of staged files (fs/write/running_hash.hpp): writes in order from 0 give the
// digests of reading the file; anything else (a rewrite at an earlier offset, a sparse write, a
// truncate, a rewrite from 0 of a longer file) drops them, so the file is measured by reading it.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "api/digest.hpp"
#include "fs/common/unique_fd.hpp"
#include "fs/write/staging_area.hpp"

using namespace hubfs::fs;
namespace stdfs = std::filesystem;

namespace {

struct Staging {
    stdfs::path dir;
    std::unique_ptr<StagingArea> area;
    std::string blob;
    hubfs::UniqueFd fd;
    Staging() {
        char tmpl[] = "/tmp/hubfs-running-hash-XXXXXX";
        dir = ::mkdtemp(tmpl);
        area = std::make_unique<StagingArea>(dir);
        blob = area->new_blob();
        fd.reset(::open(area->blob_path(blob).c_str(), O_RDWR | O_CLOEXEC));
    }
    ~Staging() {
        area.reset();
        stdfs::remove_all(dir);
    }
    void write(const std::string& bytes, uint64_t offset) { area->write(blob, fd.get(), bytes, offset); }
    std::string bytes() const {
        std::ostringstream out;
        out << std::ifstream(area->blob_path(blob), std::ios::binary).rdbuf();
        return out.str();
    }
};

// 300 KiB in 64 KiB writes (the last one short), as `cp` writes a file.
std::string pattern() {
    std::string s(300 * 1024, '\0');
    for (size_t i = 0; i < s.size(); ++i) s[i] = static_cast<char>((i * 7919) >> 5);
    return s;
}

void write_in_order(Staging& s, const std::string& bytes) {
    for (size_t at = 0; at < bytes.size(); at += 65536) s.write(bytes.substr(at, 65536), at);
}

}  // namespace

TEST_CASE("RunningHash: the digests of bytes fed in pieces are those of the whole") {
    std::string bytes = pattern();
    RunningHash h;
    h.update(std::string_view(bytes).substr(0, 1000));
    Seal early = h.seal();  // sealing does not end the stream
    h.update(std::string_view(bytes).substr(1000));
    Seal s = h.seal();
    CHECK(early.size == 1000);
    CHECK(early.sha256 == hubfs::api::sha256_hex(bytes.substr(0, 1000)));
    CHECK(s.size == bytes.size());
    CHECK(s.sha256 == hubfs::api::sha256_hex(bytes));
}

TEST_CASE("a staged file written in order from 0 is sealed with its sha256, as reading it would") {
    Staging s;
    write_in_order(s, pattern());
    Seal sealed = s.area->seal_of(s.blob);
    CHECK(sealed == s.area->measure(s.blob));
    CHECK(sealed.size == pattern().size());
    CHECK(sealed.sha256 == hubfs::api::sha256_hex(pattern()));
    SUBCASE("and writes that go on in order keep it") {
        s.write("tail", pattern().size());
        CHECK(s.area->seal_of(s.blob).sha256 == hubfs::api::sha256_hex(pattern() + "tail"));
    }
    SUBCASE("a rewrite of the file from 0, whole, starts it again") {
        s.area->truncate(s.blob, s.fd.get(), 0);
        s.write("new bytes", 0);
        CHECK(s.area->seal_of(s.blob).sha256 == hubfs::api::sha256_hex("new bytes"));
    }
}

TEST_CASE("any other change of a staged file drops its running sha256") {
    Staging s;
    write_in_order(s, pattern());
    REQUIRE(!s.area->seal_of(s.blob).sha256.empty());
    SUBCASE("a rewrite at an earlier offset") { s.write("XY", 100); }
    SUBCASE("a sparse write past the end") { s.write("XY", pattern().size() + 4096); }
    SUBCASE("a truncate, even followed by a write where the file ended") {
        s.area->truncate(s.blob, s.fd.get(), 1000);
        s.write("XY", pattern().size());
    }
    SUBCASE("a truncate by path, without a handle") { s.area->truncate(s.blob, -1, 1000); }
    SUBCASE("a write at 0 that leaves later bytes in place") { s.write("XY", 0); }
    Seal sealed = s.area->seal_of(s.blob);
    CHECK(sealed.sha256.empty());
    CHECK(sealed == s.area->measure(s.blob));  // measured from the bytes
    CHECK(sealed.size == s.bytes().size());
}

TEST_CASE("a file changed behind the staging area's back is measured, not trusted") {
    Staging s;
    write_in_order(s, pattern());
    REQUIRE(::ftruncate(s.fd.get(), 10) == 0);  // not through the staging area
    Seal sealed = s.area->seal_of(s.blob);
    CHECK(sealed.sha256.empty());
    CHECK(sealed.size == 10);
}

TEST_CASE("the sha256 of a seal is journaled with it and comes back after a restart") {
    Staging s;
    write_in_order(s, pattern());
    const BranchId id{RepoRef{RepoType::model, "ns/m"}, "main"};
    {
        auto b = s.area->get(id, Revision{std::string(40, 'b'), 1});
        std::lock_guard lock(b->mutex);
        s.area->put_file(*b, "w.bin", StagedFile{s.blob, {}, {}, true, s.area->seal_of(s.blob)});
    }
    s.area = std::make_unique<StagingArea>(s.dir);
    auto b = s.area->find(id);
    REQUIRE(b);
    const StagedFile* f = b->changes.file("w.bin");
    REQUIRE(f);
    REQUIRE(f->seal);
    CHECK(f->seal->sha256 == hubfs::api::sha256_hex(pattern()));
}
