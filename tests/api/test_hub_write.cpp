// Write side of HfApi: repositories, commits (regular, LFS basic and multipart, deletes,
// copies, parent commits, pull requests), branches and tags.
#include "errors.hpp"
#include "hub_test_support.hpp"
#include "digest.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <set>

using namespace hubfs::api;
using namespace hubfs::api::testing;

namespace {
std::set<std::string> files_of(HfApi& api, const Repo& repo, const std::optional<std::string>& revision = {}) {
    auto files = api.list_repo_files(repo, revision);
    return {files.begin(), files.end()};
}

// Counts logged requests; `at_least` entries are waited for (localhub logs after answering).
size_t count_requests(const LocalHubProcess& hub, const std::string& method, const std::string& path_part,
                      size_t at_least = 0) {
    size_t n = 0;
    for (const auto& entry : hub.log_entries(at_least))
        if (entry.value("method", "") == method && entry.value("path", "").find(path_part) != std::string::npos) ++n;
    return n;
}
}  // namespace

TEST_CASE("create, settings, move and delete repositories") {
    LocalHubProcess hub;
    HfApi api(config_for(hub));
    RepoUrl url = api.create_repo(Repo("alice/new-model"));
    CHECK(url.url == hub.endpoint() + "/alice/new-model");
    CHECK(url.repo_type == "model");
    CHECK_THROWS_AS(api.create_repo(Repo("alice/new-model")), ConflictError);
    CHECK_NOTHROW(api.create_repo(Repo("alice/new-model"), {.exist_ok = true}));
    // bob may not create in alice's namespace, but with exist_ok an existing repo is fine.
    HfApi bob(config_for(hub, bob_token));
    CHECK(bob.create_repo(Repo("alice/new-model"), {.exist_ok = true}).url == hub.endpoint() + "/alice/new-model");
    CHECK_THROWS_AS(bob.create_repo(Repo("alice/other")), ForbiddenError);

    RepoUrl dataset = api.create_repo(Repo("acme/data", RepoType::dataset), {.is_private = true});  // org member
    CHECK(dataset.url == hub.endpoint() + "/datasets/acme/data");
    CHECK(api.dataset_info("acme/data").is_private);

    RepoUrl space = api.create_repo(Repo("alice/app", RepoType::space), {.space_sdk = "static"});
    CHECK(space.url == hub.endpoint() + "/spaces/alice/app");
    CHECK(api.space_info("alice/app").id == "alice/app");

    HfApi anonymous(config_for(hub, std::nullopt));
    CHECK(anonymous.repo_exists(Repo("alice/new-model")));
    api.update_repo_visibility(Repo("alice/new-model"), true);
    CHECK(api.repo_info(Repo("alice/new-model")).is_private);
    CHECK_FALSE(anonymous.repo_exists(Repo("alice/new-model")));
    api.update_repo_settings(Repo("alice/new-model"), {.gated = "manual", .is_private = false});
    RepoInfo gated = api.repo_info(Repo("alice/new-model"));
    CHECK_FALSE(gated.is_private);
    CHECK(gated.gated == "manual");

    api.move_repo("alice/new-model", "alice/renamed");
    CHECK_FALSE(api.repo_exists(Repo("alice/new-model")));
    CHECK(api.repo_exists(Repo("alice/renamed")));

    api.delete_repo(Repo("alice/renamed"));
    CHECK_FALSE(api.repo_exists(Repo("alice/renamed")));
    CHECK_THROWS_AS(api.delete_repo(Repo("alice/renamed")), RepoNotFoundError);
    CHECK_NOTHROW(api.delete_repo(Repo("alice/renamed"), true));
}

TEST_CASE("create_commit: regular and LFS files, deletes, copies") {
    LocalHubProcess hub;
    HfApi api(config_for(hub));
    const Repo repo("alice/commits");
    api.create_repo(repo);

    TempDir dir;
    std::string big = pseudo_random_bytes(3 * 1024 * 1024 + 17, 1);
    { std::ofstream(dir.path() / "weights.bin", std::ios::binary) << big; }

    CommitInfo first = api.create_commit(
        repo,
        {CommitOperationAdd::from_bytes("README.md", "# hello\n"),
         CommitOperationAdd::from_bytes("/dir/a.txt", "alpha"),
         CommitOperationAdd::from_bytes("dir/sub/b.txt", "beta"),
         CommitOperationAdd::from_bytes("empty.txt", ""),
         CommitOperationAdd::from_file("weights.bin", dir.path() / "weights.bin")},
        {.commit_message = "first", .commit_description = "with a description"});
    CHECK(first.oid.size() == 40);
    CHECK(first.commit_url == hub.endpoint() + "/alice/commits/commit/" + first.oid);
    CHECK(first.commit_message == "first");
    CHECK_FALSE(first.pr_num);
    CHECK(files_of(api, repo) ==
          std::set<std::string>{".gitattributes", "README.md", "dir/a.txt", "dir/sub/b.txt", "empty.txt", "weights.bin"});
    CHECK(api.download_file(repo, "dir/a.txt") == "alpha");
    CHECK(api.download_file(repo, "empty.txt").empty());
    auto weights = api.get_paths_info(repo, {"weights.bin"});
    REQUIRE(weights.size() == 1);
    REQUIRE(std::get<RepoFile>(weights[0]).lfs);
    CHECK(std::get<RepoFile>(weights[0]).lfs->sha256 == sha256_hex(big));
    CHECK(api.download_file(repo, "weights.bin") == big);
    CHECK(count_requests(hub, "PUT", "/upload/") == 1);

    auto log = api.list_repo_commits(repo);
    CHECK(log.front().commit_id == first.oid);
    CHECK(log.front().title == "first");
    CHECK(log.front().message.find("with a description") != std::string::npos);

    // Same LFS content again: the batch says it is stored, nothing is uploaded.
    CommitInfo second = api.create_commit(
        repo,
        {CommitOperationAdd::from_bytes("copy-of-weights.bin", big), CommitOperationDelete{"README.md"},
         CommitOperationDelete{"dir/sub", true}, CommitOperationCopy{"dir/a.txt", "dir/a-copy.txt"},
         CommitOperationCopy{"weights.bin", "weights-copy.bin"}},
        {.commit_message = "second"});
    CHECK(count_requests(hub, "PUT", "/upload/") == 1);
    CHECK(files_of(api, repo) == std::set<std::string>{".gitattributes", "dir/a.txt", "dir/a-copy.txt", "empty.txt",
                                                       "weights.bin", "copy-of-weights.bin", "weights-copy.bin"});
    CHECK(api.download_file(repo, "dir/a-copy.txt") == "alpha");
    CHECK(api.download_file(repo, "weights-copy.bin") == big);
    CHECK(api.repo_info(repo).sha == second.oid);

    // Deleting a file that is not there is the Hub's EntryNotFound.
    CHECK_THROWS_AS(api.delete_file(repo, "no-such-file.txt"), EntryNotFoundError);
    CHECK_THROWS_AS(api.create_commit(repo, {CommitOperationCopy{"missing", "x"}}, {.commit_message = "c"}),
                    EntryNotFoundError);
}

TEST_CASE("multipart LFS upload with several parts in flight") {
    LocalHubProcess hub({"--multipart-threshold", "1048576", "--multipart-chunk", "262144"});
    HfApi api(config_for(hub));
    const Repo repo("alice/multipart");
    api.create_repo(repo);
    std::string big = pseudo_random_bytes(1024 * 1024 + 100000, 2);  // 5 parts, the last one short
    api.upload_file(repo, CommitOperationAdd::from_bytes("big.bin", big),
                    {.commit_message = "multipart", .max_uploads_in_flight = 3});
    CHECK(count_requests(hub, "PUT", "/part/") == 5);
    CHECK(count_requests(hub, "POST", "/complete") == 1);
    CHECK(api.download_file(repo, "big.bin") == big);
}

TEST_CASE("parent_commit: a stale parent is a Conflict; create_pr opens a pull request") {
    LocalHubProcess hub;
    HfApi api(config_for(hub));
    const Repo repo("alice/parents");
    api.create_repo(repo);
    CommitInfo base = api.upload_file(repo, CommitOperationAdd::from_bytes("a.txt", "1"));
    CommitInfo next = api.upload_file(repo, CommitOperationAdd::from_bytes("a.txt", "2"),
                                      {.commit_message = "on base", .parent_commit = base.oid});
    try {
        api.upload_file(repo, CommitOperationAdd::from_bytes("a.txt", "3"),
                        {.commit_message = "stale", .parent_commit = base.oid});
        FAIL("expected a conflict");
    } catch (const ConflictError& e) {
        CHECK(e.status() == 412);
        CHECK_FALSE(e.server_message().empty());
    }
    CHECK(api.download_file(repo, "a.txt") == "2");

    // A read token may open a PR.
    HfApi bob(config_for(hub, bob_token));
    CommitInfo pr = bob.upload_file(repo, CommitOperationAdd::from_bytes("a.txt", "from bob"),
                                    {.commit_message = "proposal", .create_pr = true});
    REQUIRE(pr.pr_num);
    CHECK(pr.pr_revision == "refs/pr/" + std::to_string(*pr.pr_num));
    CHECK(api.download_file(repo, "a.txt", *pr.pr_revision) == "from bob");
    CHECK(api.download_file(repo, "a.txt") == "2");
    GitRefs refs = api.list_repo_refs(repo, true);
    REQUIRE(refs.pull_requests);
    CHECK(refs.pull_requests->size() == 1);
    CHECK(next.oid != base.oid);
}

TEST_CASE("upload_folder, delete_files, delete_folder") {
    LocalHubProcess hub;
    HfApi api(config_for(hub));
    const Repo repo("alice/folders");
    api.create_repo(repo);
    TempDir dir;
    std::filesystem::create_directories(dir.path() / "src/deep");
    { std::ofstream(dir.path() / "src/one.txt") << "one"; }
    { std::ofstream(dir.path() / "src/deep/two.txt") << "two"; }
    api.upload_folder(repo, dir.path() / "src", "data");
    CHECK(files_of(api, repo) == std::set<std::string>{".gitattributes", "data/one.txt", "data/deep/two.txt"});
    api.upload_file(repo, CommitOperationAdd::from_bytes("x.txt", "x"));
    api.delete_files(repo, {"x.txt", "data/deep/"});
    CHECK(files_of(api, repo) == std::set<std::string>{".gitattributes", "data/one.txt"});
    api.delete_folder(repo, "data");
    CHECK(files_of(api, repo) == std::set<std::string>{".gitattributes"});
}

TEST_CASE("branches, tags and super-squash") {
    LocalHubProcess hub;
    HfApi api(config_for(hub));
    const Repo repo("alice/refs");
    api.create_repo(repo);
    CommitInfo c1 = api.upload_file(repo, CommitOperationAdd::from_bytes("a.txt", "1"));
    CommitInfo c2 = api.upload_file(repo, CommitOperationAdd::from_bytes("a.txt", "2"));

    api.create_branch(repo, "dev", c1.oid);
    CHECK_THROWS_AS(api.create_branch(repo, "dev"), ConflictError);
    CHECK_NOTHROW(api.create_branch(repo, "dev", std::nullopt, true));
    CHECK(api.download_file(repo, "a.txt", "dev") == "1");
    api.upload_file(repo, CommitOperationAdd::from_bytes("b.txt", "b"), {.commit_message = "on dev", .revision = "dev"});
    CHECK(files_of(api, repo, "dev").count("b.txt"));
    CHECK_FALSE(files_of(api, repo).count("b.txt"));

    api.create_tag(repo, "v1", std::string("first release"), c2.oid);
    CHECK_THROWS_AS(api.create_tag(repo, "v1"), ConflictError);
    GitRefs refs = api.list_repo_refs(repo);
    REQUIRE(refs.tags.size() == 1);
    CHECK(refs.tags[0].target_commit == c2.oid);
    CHECK(api.download_file(repo, "a.txt", "v1") == "2");
    api.delete_tag(repo, "v1");
    CHECK(api.list_repo_refs(repo).tags.empty());
    CHECK_THROWS_AS(api.delete_tag(repo, "v1"), RevisionNotFoundError);

    api.delete_branch(repo, "dev");
    CHECK_FALSE(api.revision_exists(repo, "dev"));

    CHECK(api.list_repo_commits(repo).size() == 3);
    api.super_squash_history(repo, "main", std::string("squashed"));
    auto log = api.list_repo_commits(repo);
    REQUIRE(log.size() == 1);
    CHECK(log[0].title == "squashed");
    CHECK(api.download_file(repo, "a.txt") == "2");
}

TEST_CASE("unchanged files are left out; a commit of nothing new is not made") {
    LocalHubProcess hub;
    HfApi api(config_for(hub));
    const Repo repo("alice/unchanged");
    api.create_repo(repo);
    std::string weights = pseudo_random_bytes(300000, 5);
    CommitInfo first = api.create_commit(repo,
                                         {CommitOperationAdd::from_bytes("a.txt", "same"),
                                          CommitOperationAdd::from_bytes("w.bin", weights)},
                                         {.commit_message = "first"});
    size_t commits = api.list_repo_commits(repo).size();

    CommitInfo again = api.create_commit(repo,
                                         {CommitOperationAdd::from_bytes("a.txt", "same"),
                                          CommitOperationAdd::from_bytes("w.bin", weights)},
                                         {.commit_message = "again"});
    CHECK(again.oid == first.oid);
    CHECK(api.list_repo_commits(repo).size() == commits);
    CHECK(count_requests(hub, "POST", "/commit/", 1) == 1);

    CommitInfo mixed = api.create_commit(repo,
                                         {CommitOperationAdd::from_bytes("a.txt", "same"),
                                          CommitOperationAdd::from_bytes("b.txt", "new")},
                                         {.commit_message = "mixed"});
    CHECK(mixed.oid != first.oid);
    CHECK(api.download_file(repo, "b.txt") == "new");
    CHECK(api.download_file(repo, "a.txt") == "same");
}
