// Read side of HfApi against a private localhub with its sample repositories.
#include "errors.hpp"
#include "hub_test_support.hpp"
#include "digest.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <set>

using namespace hubfs::api;
using namespace hubfs::api::testing;

namespace {
const Repo tiny_model{"demo/tiny-model"};
const Repo sample_data{"demo/sample-data", RepoType::dataset};

std::set<std::string> paths_of(const std::vector<RepoTreeEntry>& entries) {
    std::set<std::string> paths;
    for (const auto& e : entries) paths.insert(entry_path(e));
    return paths;
}
}  // namespace

TEST_CASE("whoami and auth_check") {
    LocalHubProcess hub;
    HfApi api(config_for(hub));
    User me = api.whoami();
    CHECK(me.name == "alice");
    CHECK(me.type == "user");
    CHECK(me.token_role == "write");

    CHECK(HfApi(config_for(hub, bob_token)).whoami().token_role == "read");
    CHECK_THROWS_AS(HfApi(config_for(hub, "hf_wrong")).whoami(), UnauthorizedError);
    CHECK_THROWS_AS(HfApi(config_for(hub, std::nullopt)).whoami(), UnauthorizedError);

    CHECK_NOTHROW(api.auth_check(tiny_model));
    CHECK_THROWS_AS(api.auth_check(tiny_model, true), ForbiddenError);  // demo/ is not alice's
    api.create_repo(Repo("alice/mine"));
    CHECK_NOTHROW(api.auth_check(Repo("alice/mine"), true));
    CHECK_THROWS_AS(HfApi(config_for(hub, bob_token)).auth_check(Repo("alice/none")), RepoNotFoundError);
}

TEST_CASE("repo_info, model_info, dataset_info") {
    LocalHubProcess hub;
    HfApi api(config_for(hub, std::nullopt));  // public repos read anonymously
    ModelInfo model = api.model_info("demo/tiny-model");
    CHECK(model.id == "demo/tiny-model");
    REQUIRE(model.sha);
    CHECK(model.sha->size() == 40);
    CHECK_FALSE(model.is_private);
    CHECK(std::any_of(model.siblings.begin(), model.siblings.end(),
                      [](const RepoSibling& s) { return s.rfilename == "config.json"; }));
    CHECK_FALSE(model.siblings.front().size);  // only with files_metadata

    ModelInfo detailed = api.model_info("demo/tiny-model", "main", true);
    auto lfs = std::find_if(detailed.siblings.begin(), detailed.siblings.end(),
                            [](const RepoSibling& s) { return s.rfilename == "model.safetensors"; });
    REQUIRE(lfs != detailed.siblings.end());
    REQUIRE(lfs->lfs);
    CHECK(lfs->lfs->sha256.size() == 64);
    CHECK(lfs->size == lfs->lfs->size);

    DatasetInfo dataset = api.dataset_info("demo/sample-data");
    CHECK(dataset.id == "demo/sample-data");
    CHECK(dataset.type == RepoType::dataset);

    // A revision pins the answer to its commit.
    auto commits = api.list_repo_commits(tiny_model);
    REQUIRE(commits.size() >= 2);
    CHECK(api.repo_info(tiny_model, commits.back().commit_id).sha == commits.back().commit_id);
}

TEST_CASE("exists checks") {
    LocalHubProcess hub;
    HfApi api(config_for(hub));
    CHECK(api.repo_exists(tiny_model));
    CHECK(api.repo_exists(sample_data));
    CHECK_FALSE(api.repo_exists(Repo("demo/missing")));
    CHECK_FALSE(api.repo_exists(Repo("demo/tiny-model", RepoType::dataset)));
    CHECK(api.revision_exists(tiny_model, "main"));
    CHECK_FALSE(api.revision_exists(tiny_model, "no-such-branch"));
    CHECK(api.file_exists(tiny_model, "config.json"));
    CHECK(api.file_exists(tiny_model, "model.safetensors"));
    CHECK(api.file_exists(tiny_model, "nested/a/b/deep.txt"));
    CHECK_FALSE(api.file_exists(tiny_model, "missing.txt"));
    CHECK_FALSE(api.file_exists(tiny_model, "config.json", "no-such-branch"));
    CHECK_FALSE(api.file_exists(Repo("demo/missing"), "config.json"));
}

TEST_CASE("each error type from real answers") {
    LocalHubProcess hub;
    HfApi api(config_for(hub));
    try {
        api.repo_info(Repo("demo/missing"));
        FAIL("expected RepoNotFound");
    } catch (const RepoNotFoundError& e) {
        CHECK(e.status() == 404);
        CHECK_FALSE(e.request_id().empty());
        CHECK_FALSE(e.server_message().empty());
    }
    CHECK_THROWS_AS(api.repo_info(tiny_model, "no-such-branch"), RevisionNotFoundError);
    CHECK_THROWS_AS(api.get_hf_file_metadata(api.hf_hub_url(tiny_model, "missing.txt")), EntryNotFoundError);
    CHECK_THROWS_AS(api.list_repo_tree(tiny_model, {.path_in_repo = "no/such/dir"}).to_vector(), EntryNotFoundError);
    CHECK_THROWS_AS(HfApi(config_for(hub, "hf_wrong")).repo_info(tiny_model), UnauthorizedError);

    // A private repo: invisible to others (RepoNotFound), whether anonymous or not.
    api.create_repo(Repo("alice/secret"), {.is_private = true});
    CHECK_NOTHROW(api.repo_info(Repo("alice/secret")));
    CHECK_THROWS_AS(HfApi(config_for(hub, std::nullopt)).repo_info(Repo("alice/secret")), RepoNotFoundError);
    CHECK_THROWS_AS(HfApi(config_for(hub, bob_token)).repo_info(Repo("alice/secret")), RepoNotFoundError);

    // Nobody writes to another's namespace.
    api.create_repo(Repo("alice/public"));
    api.upload_file(Repo("alice/public"), CommitOperationAdd::from_bytes("a.txt", "a"));
    HfApi bob(config_for(hub, bob_token));
    CHECK_THROWS_AS(bob.create_commit(Repo("alice/public"), {CommitOperationDelete{"a.txt"}}, {.commit_message = "x"}),
                    ForbiddenError);
    CHECK_THROWS_AS(bob.auth_check(Repo("alice/public"), true), ForbiddenError);

    // A gated repo: metadata stays public, file bytes are GatedRepo (a kind of RepoNotFound).
    api.update_repo_settings(Repo("alice/public"), {.gated = "manual"});
    CHECK(bob.repo_info(Repo("alice/public")).gated == "manual");
    CHECK(bob.repo_exists(Repo("alice/public")));
    CHECK_THROWS_AS(bob.file_exists(Repo("alice/public"), "a.txt"), GatedRepoError);
    try {
        HfApi(config_for(hub, std::nullopt)).download_file(Repo("alice/public"), "a.txt");
        FAIL("expected GatedRepo");
    } catch (const RepoNotFoundError& e) {
        CHECK(e.kind() == ErrorKind::gated_repo);
        CHECK(e.status() == 401);
    }
    CHECK(api.download_file(Repo("alice/public"), "a.txt") == "a");  // the owner reads it
}

TEST_CASE("list_repo_tree: one level, recursive, sub-folder, expand, pagination") {
    LocalHubProcess hub;
    HfApi api(config_for(hub));
    auto top = paths_of(api.list_repo_tree(tiny_model).to_vector());
    CHECK(top.count("config.json"));
    CHECK(top.count("nested"));
    CHECK_FALSE(top.count("nested/a/b/deep.txt"));

    auto all = api.list_repo_tree(tiny_model, {.recursive = true}).to_vector();
    auto all_paths = paths_of(all);
    CHECK(all_paths.count("nested/a/b/deep.txt"));
    CHECK(all_paths.count("nested/a"));  // folders are listed too

    auto sub = paths_of(api.list_repo_tree(tiny_model, {.path_in_repo = "tokenizer"}).to_vector());
    CHECK(sub == std::set<std::string>{"tokenizer/tokenizer.json", "tokenizer/vocab.txt"});

    auto expanded = api.list_repo_tree(tiny_model, {.expand = true}).to_vector();
    for (const auto& entry : expanded) {
        if (const auto* file = std::get_if<RepoFile>(&entry)) {
            REQUIRE(file->last_commit);
            CHECK(file->last_commit->oid.size() == 40);
        }
    }
    for (const auto& entry : all) {
        if (const auto* file = std::get_if<RepoFile>(&entry); file && file->path == "model.safetensors") {
            REQUIRE(file->lfs);
            CHECK(file->size == file->lfs->size);
        }
    }

    // Pages of 3 entries: the pager follows Link rel="next" lazily until the listing ends.
    JsonPager pager(api.http(), hub.endpoint() + "/api/models/demo/tiny-model/tree/main?recursive=true&limit=3");
    std::set<std::string> paged;
    while (auto item = pager.next()) paged.insert(item->at("path").get<std::string>());
    CHECK(paged == all_paths);
    CHECK(pager.pages_fetched() == static_cast<int>((all.size() + 2) / 3));

    auto files = api.list_repo_files(tiny_model);
    CHECK(std::find(files.begin(), files.end(), "nested/a/b/deep.txt") != files.end());
    CHECK(std::find(files.begin(), files.end(), "nested") == files.end());
}

TEST_CASE("get_paths_info skips missing paths and batches") {
    LocalHubProcess hub;
    HfApi api(config_for(hub));
    auto infos = api.get_paths_info(tiny_model, {"config.json", "tokenizer", "missing", "model.safetensors"});
    CHECK(paths_of(infos) == std::set<std::string>{"config.json", "tokenizer", "model.safetensors"});
    for (const auto& info : infos) {
        if (entry_path(info) == "tokenizer") CHECK(std::holds_alternative<RepoFolder>(info));
        if (entry_path(info) == "model.safetensors") CHECK(std::get<RepoFile>(info).lfs.has_value());
    }
    std::vector<std::string> many(1200, "missing");
    many.push_back("config.json");
    CHECK(paths_of(api.get_paths_info(tiny_model, many)) == std::set<std::string>{"config.json"});
    auto expanded = api.get_paths_info(tiny_model, {"config.json"}, true);
    REQUIRE(expanded.size() == 1);
    CHECK(std::get<RepoFile>(expanded[0]).last_commit.has_value());
}

TEST_CASE("list_repo_refs and list_repo_commits") {
    LocalHubProcess hub;
    HfApi api(config_for(hub));
    GitRefs refs = api.list_repo_refs(tiny_model);
    auto main_branch = std::find_if(refs.branches.begin(), refs.branches.end(),
                                    [](const GitRefInfo& r) { return r.name == "main"; });
    REQUIRE(main_branch != refs.branches.end());
    CHECK(main_branch->ref == "refs/heads/main");
    CHECK(main_branch->target_commit.size() == 40);
    CHECK_FALSE(refs.pull_requests);
    CHECK(api.list_repo_refs(tiny_model, true).pull_requests.has_value());

    auto commits = api.list_repo_commits(tiny_model);
    REQUIRE(commits.size() >= 2);
    CHECK(commits.front().commit_id == main_branch->target_commit);  // newest first
    CHECK(commits.back().title == "initial commit");
    CHECK_FALSE(commits.front().authors.empty());
}

TEST_CASE("file metadata, ranged downloads, and no token on the blob host") {
    LocalHubProcess hub;
    HfApi api(config_for(hub));
    std::string head = api.repo_info(tiny_model).sha.value();

    HfFileMetadata regular = api.get_hf_file_metadata(api.hf_hub_url(tiny_model, "config.json"));
    CHECK(regular.commit_hash == head);
    CHECK(regular.etag.size() == 40);
    CHECK_FALSE(regular.is_lfs_redirect);
    std::string config = api.download_file(tiny_model, "config.json");
    CHECK(config.size() == regular.size);
    CHECK(api.download_range(regular.location, 2, 5) == config.substr(2, 5));
    CHECK(api.download_range(regular.location, regular.size, 10).empty());  // 416 = end of file

    HfFileMetadata lfs = api.get_hf_file_metadata(api.hf_hub_url(tiny_model, "model.safetensors"));
    CHECK(lfs.commit_hash == head);
    CHECK(lfs.etag.size() == 64);
    CHECK(lfs.is_lfs_redirect);
    CHECK(lfs.location.find("127.0.0.2") != std::string::npos);
    std::string whole = api.download_file(tiny_model, "model.safetensors");  // via the 302
    CHECK(whole.size() == lfs.size);
    CHECK(sha256_hex(whole) == lfs.etag);
    CHECK(api.download_range(lfs.location, 1000, 4096) == whole.substr(1000, 4096));
    CHECK(api.download_range(api.hf_hub_url(tiny_model, "model.safetensors"), lfs.size - 10, 100) ==
          whole.substr(lfs.size - 10));

    size_t blob_requests = 0;
    for (const auto& entry : hub.log_entries(11)) {  // the 11 requests above
        if (entry.value("host", "") == "blob") {
            ++blob_requests;
            CHECK_MESSAGE(entry.value("auth", true) == false, entry.dump());
        } else {
            CHECK_MESSAGE(entry.value("auth", false) == true, entry.dump());
        }
    }
    CHECK(blob_requests >= 3);
}
