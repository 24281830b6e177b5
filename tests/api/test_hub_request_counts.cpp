// Request counts for common jobs, compared in api/README.md with the official Python client
// (which needs the same number: tree pages of 1000; preupload + LFS batch + one PUT per LFS
// file + commit).
#include "hub_test_support.hpp"

#include <doctest/doctest.h>

using namespace hubfs::api;
using namespace hubfs::api::testing;

TEST_CASE("listing a 10,000-file repository takes 10 tree pages") {
    LocalHubProcess hub;
    HfApi api(config_for(hub));
    const Repo repo("alice/many-files");
    api.create_repo(repo);
    std::vector<CommitOperation> operations;
    for (int i = 0; i < 10000; ++i)
        operations.push_back(CommitOperationAdd::from_bytes("f/" + std::to_string(i) + ".txt", std::to_string(i)));
    api.create_commit(repo, operations, {.commit_message = "10k files"});

    auto listing = api.list_repo_tree(repo, {.path_in_repo = "f"});
    size_t files = 0;
    while (listing.next()) ++files;
    CHECK(files == 10000);
    CHECK(listing.pages_fetched() == 10);
    // create, 40 preupload batches of 256, commit, then the listing
    auto log = hub.log_entries(52);
    CHECK(log.size() == 52);
    size_t tree_pages = 0;
    for (const auto& entry : log)
        if (entry.value("path", "").find("/tree/") != std::string::npos) ++tree_pages;
    CHECK(tree_pages == 10);
}

TEST_CASE("uploading 100 files of which 3 are LFS takes 6 requests") {
    LocalHubProcess hub;
    HfApi api(config_for(hub));
    const Repo repo("alice/hundred");
    api.create_repo(repo);
    size_t before = hub.log_entries(1).size();  // the create
    std::vector<CommitOperation> operations;
    for (int i = 0; i < 97; ++i)
        operations.push_back(CommitOperationAdd::from_bytes("small/" + std::to_string(i) + ".json", "{}"));
    for (int i = 0; i < 3; ++i)
        operations.push_back(
            CommitOperationAdd::from_bytes("weights/" + std::to_string(i) + ".bin", pseudo_random_bytes(200000, i + 10)));
    api.create_commit(repo, operations, {.commit_message = "100 files"});
    auto log = hub.log_entries(before + 6);
    CHECK(log.size() - before == 6);  // preupload, LFS batch, 3 PUTs, commit
    CHECK(api.list_repo_files(repo).size() == 101);
}

TEST_CASE("hf_hub_download of an LFS file takes a HEAD and one blob GET; a cached commit none") {
    LocalHubProcess hub;
    TempDir cache;
    HfApi api(config_for(hub));
    const Repo tiny("demo/tiny-model");
    api.hf_hub_download(tiny, "model.safetensors", std::nullopt, cache.path());
    auto log = hub.log_entries(2);
    REQUIRE(log.size() == 2);
    CHECK(log[0].value("method", "") == "HEAD");
    CHECK(log[0].value("status", 0L) == 302);
    CHECK(log[1].value("host", "") == "blob");
    CHECK(log[1].value("method", "") == "GET");

    std::string commit = api.get_hf_file_metadata(api.hf_hub_url(tiny, "model.safetensors")).commit_hash;
    size_t before = hub.log_entries(3).size();
    api.hf_hub_download(tiny, "model.safetensors", commit, cache.path());
    CHECK(hub.log_entries().size() == before);
}
