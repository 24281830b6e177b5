// HfApi::preupload_lfs_files against localhub: the Hub's verdict per file, LFS bytes sent
// ahead, and a later create_commit that only references them.
#include "errors.hpp"
#include "hub_test_support.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <thread>

using namespace hubfs::api;
using namespace hubfs::api::testing;

namespace {
// LFS uploads (PUT .../upload/...) in the log, waiting (up to 4 s) for at least `expected`:
// localhub logs a request after answering it.
size_t count_uploads(const LocalHubProcess& hub, size_t expected) {
    size_t n = 0;
    for (int attempt = 0; attempt < 200 && n < expected; ++attempt) {
        if (attempt) std::this_thread::sleep_for(std::chrono::milliseconds(20));
        n = 0;
        for (const auto& entry : hub.log_entries())
            if (entry.value("method", "") == "PUT" && entry.value("path", "").find("/upload/") != std::string::npos) ++n;
    }
    return n;
}
}  // namespace

TEST_CASE("preupload_lfs_files sends LFS bytes ahead; the commit then uploads nothing") {
    LocalHubProcess hub;
    HfApi api(config_for(hub));
    Repo repo("alice/preupload");
    api.create_repo(repo);
    const std::string shard = pseudo_random_bytes(300 * 1024, 7);
    std::vector<CommitOperationAdd> adds = {CommitOperationAdd::from_bytes("shard.bin", shard),
                                            CommitOperationAdd::from_bytes("/notes.txt", "plain text\n"),
                                            CommitOperationAdd::from_bytes(".gitattributes", "*.bin filter=lfs diff=lfs merge=lfs -text\n")};
    auto infos = api.preupload_lfs_files(repo, adds);
    REQUIRE(infos.size() == 3);
    CHECK(infos[0].path_in_repo == "shard.bin");
    CHECK(infos[0].upload_mode == "lfs");
    CHECK(infos[0].is_uploaded);
    CHECK(infos[1].path_in_repo == "notes.txt");
    CHECK(infos[1].upload_mode == "regular");
    CHECK_FALSE(infos[1].is_uploaded);
    CHECK(infos[2].remote_oid.has_value());  // the repo's initial .gitattributes is there
    CHECK(count_uploads(hub, 1) == 1);
    CHECK(api.list_repo_files(repo) == std::vector<std::string>{".gitattributes"});  // nothing committed yet

    api.create_commit(repo, {adds[0], adds[1]}, {.commit_message = "shards"});
    CHECK(count_uploads(hub, 2) == 1);  // not sent twice (waits for a second one in vain)
    CHECK(api.download_file(repo, "shard.bin") == shard);
    CHECK(api.download_file(repo, "notes.txt") == "plain text\n");

    // gitignore_content decides shouldIgnore; a read-only token cannot preupload to main.
    auto ignored = api.preupload_lfs_files(repo, {CommitOperationAdd::from_bytes("tmp/x.log", "x")},
                                           {.gitignore_content = "*.log\n"});
    CHECK(ignored[0].should_ignore);
    HfApi bob(config_for(hub, bob_token));
    CHECK_THROWS_AS(bob.preupload_lfs_files(repo, adds), ForbiddenError);
}
