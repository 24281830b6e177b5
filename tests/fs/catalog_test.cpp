// Catalog against a fake Remote: how long a name's answer (a commit, or "not found") stands,
// and that a commit's listing is asked for once.
#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <optional>
#include <thread>

#include "fake_remote.hpp"
#include "fetch_fixture.hpp"
#include "fs/read/catalog.hpp"

using namespace hubfs::fs;
using namespace hubfs::fs::testing;
namespace stdfs = std::filesystem;

namespace {

const RepoRef kRepo{RepoType::model, "ns/repo"};
const Revision kFirst{std::string(40, 'a'), 1700000000};
const Revision kSecond{std::string(40, 'b'), 1700000100};

CatalogOptions with_ttl(std::chrono::seconds ttl) {
    CatalogOptions o;
    o.revision_ttl = ttl;
    o.refresh_wait = std::chrono::milliseconds(10000);  // a bound for hangs: the fake answers at once
    return o;
}

}  // namespace

TEST_CASE("a branch resolves once within its TTL; after it, a moved branch is seen") {
    FakeRemote remote;
    TempCache tc;
    remote.set_revision(kRepo, "main", kFirst);
    {
        Catalog catalog(remote, tc.cache, with_ttl(std::chrono::seconds(3600)));
        CHECK(catalog.resolve(kRepo, "main").commit == kFirst.commit);
        remote.set_revision(kRepo, "main", kSecond);
        CHECK(catalog.resolve(kRepo, "main").commit == kFirst.commit);  // within the TTL
        CHECK(remote.resolve_calls() == 1);
        // What this mount committed itself is known at once.
        catalog.learn_revision(kRepo, "main", kSecond);
        CHECK(catalog.resolve(kRepo, "main").commit == kSecond.commit);
        CHECK(remote.resolve_calls() == 1);
    }
    {
        remote.set_revision(kRepo, "main", kFirst);
        Catalog catalog(remote, tc.cache, with_ttl(std::chrono::seconds(0)));  // expired at once
        CHECK(catalog.resolve(kRepo, "main").commit == kFirst.commit);
        remote.set_revision(kRepo, "main", kSecond);
        CHECK(catalog.resolve(kRepo, "main").commit == kSecond.commit);
        CHECK(remote.resolve_calls() == 3);
    }
}

TEST_CASE("a full commit sha resolves once for ever") {
    FakeRemote remote;
    TempCache tc;
    remote.set_revision(kRepo, kFirst.commit, kFirst);
    Catalog catalog(remote, tc.cache, with_ttl(std::chrono::seconds(0)));
    for (int i = 0; i < 3; ++i) CHECK(catalog.resolve(kRepo, kFirst.commit).commit == kFirst.commit);
    CHECK(remote.resolve_calls() == 1);
}

TEST_CASE("negative cache: a missing name stays missing for the TTL, then is asked again") {
    FakeRemote remote;
    TempCache tc;
    {
        Catalog catalog(remote, tc.cache, with_ttl(std::chrono::seconds(3600)));
        for (int i = 0; i < 3; ++i) {
            try {
                catalog.resolve(kRepo, "nope");
                FAIL("expected not_found");
            } catch (const RemoteError& e) {
                CHECK(e.kind == RemoteError::Kind::not_found);
            }
        }
        CHECK(remote.resolve_calls() == 1);
        // A branch this mount created exists at once, whatever was cached.
        catalog.learn_revision(kRepo, "nope", kFirst);
        CHECK(catalog.resolve(kRepo, "nope").commit == kFirst.commit);
    }
    {
        Catalog catalog(remote, tc.cache, with_ttl(std::chrono::seconds(0)));
        CHECK_THROWS_AS(catalog.resolve(kRepo, "later"), RemoteError);
        remote.set_revision(kRepo, "later", kSecond);
        // A name known missing does not wait for its refresh: the answer changes once it lands.
        std::optional<Revision> found;
        for (int i = 0; i < 500 && !found; ++i) {
            try {
                found = catalog.resolve(kRepo, "later");
            } catch (const RemoteError& e) {
                CHECK(e.kind == RemoteError::Kind::not_found);
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
            }
        }
        REQUIRE(found);
        CHECK(found->commit == kSecond.commit);
    }
}

TEST_CASE("a commit's folders come from one listing, asked once") {
    FakeRemote remote;
    TempCache tc;
    remote.set_revision(kRepo, "main", kFirst);
    RemoteEntry config{"config.json", false, 10, std::string(40, '1'), ""};
    RemoteEntry weights{"sub/w.bin", false, 1000, std::string(40, '2'), std::string(64, '3')};
    remote.set_files(kFirst.commit, {config, weights});
    Catalog catalog(remote, tc.cache, with_ttl(std::chrono::seconds(3600)));
    Revision at = catalog.resolve(kRepo, "main");
    auto root = catalog.folder(kRepo, at, "");
    REQUIRE(root->entries.size() == 2);
    CHECK(root->entries[0].name == "config.json");
    CHECK(root->entries[1].name == "sub");
    CHECK(root->entries[1].is_dir);
    auto w = catalog.entry(kRepo, at, "sub/w.bin");
    REQUIRE(w);
    CHECK(w->size == 1000);
    CHECK(w->content_id() == std::string(64, '3'));
    CHECK_FALSE(catalog.entry(kRepo, at, "sub/none"));
    CHECK(remote.listing_calls() == 1);
}

TEST_CASE("a first look at a repository resolves it and lists its files in one request; later ones only resolve") {
    FakeRemote remote;
    TempCache tc;
    remote.set_revision(kRepo, "main", kFirst);
    remote.set_files(kFirst.commit, {RemoteEntry{"config.json", false, 10, std::string(40, '1'), ""}});
    {
        Catalog catalog(remote, tc.cache, with_ttl(std::chrono::seconds(0)));  // expired at once
        Revision at = catalog.resolve(kRepo, "main");
        CHECK(at.commit == kFirst.commit);
        REQUIRE(catalog.entry(kRepo, at, "config.json"));
        CHECK(remote.requests() == 1);  // was 2: the repo info, then the commit's listing
        // The name known: its refresh is a plain resolve, the listing is not asked again.
        catalog.resolve(kRepo, "main");
        CHECK(remote.requests() == 2);
        CHECK(remote.listing_calls() == 1);
    }
    {
        // A new mount over the same cache: the name was resolved before, so its files may be
        // cached too: a plain resolve, and the listing from the cache.
        Catalog catalog(remote, tc.cache, with_ttl(std::chrono::seconds(3600)));
        Revision at = catalog.resolve(kRepo, "main");
        REQUIRE(catalog.entry(kRepo, at, "config.json"));
        CHECK(remote.requests() == 3);
        CHECK(remote.listing_calls() == 1);
    }
}

TEST_CASE("a name resolved with its files gives the same errors: a missing repository is not_found") {
    FakeRemote remote;
    TempCache tc;
    Catalog catalog(remote, tc.cache, with_ttl(std::chrono::seconds(3600)));
    try {
        catalog.resolve(RepoRef{RepoType::model, "typo"}, "");
        FAIL("expected not_found");
    } catch (const RemoteError& e) {
        CHECK(e.kind == RemoteError::Kind::not_found);
    }
    CHECK(remote.requests() == 1);
}

TEST_CASE("an author's repositories asked for in the background are not asked again by the caller that waits") {
    FakeRemote remote;
    TempCache tc;
    remote.set_repos("bob", {"one", "two"});
    Catalog catalog(remote, tc.cache, with_ttl(std::chrono::seconds(3600)));
    catalog.prefetch_repos_of(RepoType::model, "bob");
    catalog.prefetch_repos_of(RepoType::model, "bob");  // a parked lookup runs its start again
    CHECK(catalog.repos_of(RepoType::model, "bob") == std::vector<std::string>{"one", "two"});
    CHECK(catalog.repos_of(RepoType::model, "bob") == std::vector<std::string>{"one", "two"});
    CHECK(remote.repo_list_calls() == 1);
}
