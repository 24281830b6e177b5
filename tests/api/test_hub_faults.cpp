// Reliability through localhub's --fault: resumed downloads, waited-out 429s, a bounded run of
// 503s, and a commit POST that is not replayed.
#include "errors.hpp"
#include "hub_test_support.hpp"
#include "digest.hpp"

#include <doctest/doctest.h>

#include <fstream>

using namespace hubfs::api;
using namespace hubfs::api::testing;

namespace {
size_t count(const std::vector<nlohmann::json>& log, const std::string& host, const std::string& method,
             const std::string& path_part, long status = 0) {
    size_t n = 0;
    for (const auto& e : log) {
        if (e.value("host", "") == host && e.value("method", "") == method &&
            e.value("path", "").find(path_part) != std::string::npos && (status == 0 || e.value("status", 0L) == status))
            ++n;
    }
    return n;
}
}  // namespace

TEST_CASE("a 200 MB LFS download with connections reset mid-body resumes to the right sha256") {
    constexpr size_t size = 200 * 1000 * 1000 + 123;
    constexpr size_t reset_after = 8 * 1024 * 1024;
    TempDir dir;
    std::string expected_sha;
    {
        // Written in pieces: the upload streams the file (multipart, 8 MiB parts) and hashes it once.
        std::ofstream out(dir.path() / "big.bin", std::ios::binary);
        Sha256 hasher;
        for (size_t done = 0, piece = 0; done < size; ++piece) {
            std::string bytes = pseudo_random_bytes(std::min<size_t>(size - done, 1 << 20), static_cast<uint32_t>(piece));
            hasher.update(bytes);
            out << bytes;
            done += bytes.size();
        }
        expected_sha = hasher.hex_digest();
    }
    LocalHubProcess hub({"--fault", "seed=7,reset=1,reset-after=" + std::to_string(reset_after)});
    HfApi api(config_for(hub));
    const Repo repo("alice/resume");
    api.create_repo(repo);
    api.upload_file(repo, CommitOperationAdd::from_file("big.bin", dir.path() / "big.bin"));  // uploads are not reset

    HfFileMetadata meta = api.get_hf_file_metadata(api.hf_hub_url(repo, "big.bin"));
    CHECK(meta.size == size);
    CHECK(meta.etag == expected_sha);
    Sha256 hasher;
    uint64_t received = api.download_to_sink(api.hf_hub_url(repo, "big.bin"), 0, std::nullopt,
                                             [&](std::string_view chunk) { hasher.update(chunk); });
    CHECK(received == size);
    CHECK(hasher.hex_digest() == expected_sha);
    // Every blob GET is cut after 8 MiB, so the download took one resumed request per 8 MiB.
    constexpr size_t pieces = (size + reset_after - 1) / reset_after;
    auto log = hub.log_entries(pieces);
    CHECK(count(log, "blob", "GET", "/lfs/") >= pieces);
    constexpr size_t localhub_part_size = 8 * 1024 * 1024;  // its --multipart-chunk default
    CHECK(count(log, "blob", "PUT", "/part/") == (size + localhub_part_size - 1) / localhub_part_size);
}

TEST_CASE("a 429 with Retry-After is waited out and the call succeeds") {
    LocalHubProcess hub({"--fault", "429=1,max=1,retry-after=1"});
    HfApi api(config_for(hub));
    CHECK(api.whoami().name == "alice");
    auto log = hub.log_entries(2);
    REQUIRE(log.size() == 2);
    CHECK(log[0].value("status", 0L) == 429);
    CHECK(log[1].value("status", 0L) == 200);
}

TEST_CASE("a run of 503s ends in a clear error after the retry budget") {
    LocalHubProcess hub({"--fault", "503=1"});
    HubConfig config = config_for(hub);
    config.retry.max_retries = 3;
    HfApi api(config);
    try {
        api.repo_info(Repo("demo/tiny-model"));
        FAIL("expected an error");
    } catch (const HubError& e) {
        CHECK(e.status() == 503);
        CHECK(e.kind() == ErrorKind::http);
        CHECK_FALSE(e.request_id().empty());
    }
    CHECK(hub.log_entries(4).size() == 4);  // the first try and 3 retries
}

TEST_CASE("a commit POST answered 503 is not replayed; a 429 is") {
    {
        LocalHubProcess hub({"--fault", "503=1"});
        HfApi api(config_for(hub));
        // Only deletes: the commit POST is the first and only request.
        CHECK_THROWS_AS(api.delete_file(Repo("alice/x"), "a.txt"), HubError);
        CHECK(count(hub.log_entries(1), "api", "POST", "/commit/") == 1);
    }
    {
        // A 429 means the server refused before doing anything: even a create is sent again.
        LocalHubProcess hub({"--fault", "429=1,max=1,retry-after=0"});
        HfApi api(config_for(hub));
        api.create_repo(Repo("alice/y"));
        auto log = hub.log_entries(2);
        REQUIRE(log.size() == 2);
        CHECK(log[0].value("path", "") == "/api/repos/create");
        CHECK(log[0].value("status", 0L) == 429);
        CHECK(log[1].value("path", "") == "/api/repos/create");
        CHECK(log[1].value("status", 0L) == 200);
        CHECK(api.repo_exists(Repo("alice/y")));
    }
}

TEST_CASE("connection refused is a NetworkError after retries") {
    HubConfig config;
    config.endpoint = "http://127.0.0.1:1";  // nothing listens on port 1
    config.retry.base_delay = std::chrono::milliseconds(1);
    config.retry.max_delay = std::chrono::milliseconds(2);
    HfApi api(config);
    try {
        api.repo_info(Repo("demo/tiny-model"));
        FAIL("expected a network error");
    } catch (const NetworkError& e) {
        CHECK(e.status() == 0);
        CHECK(e.kind() == ErrorKind::network);
    }
}

TEST_CASE("429s: a persistent run is RateLimited; a wait beyond the limit is not slept") {
    {
        LocalHubProcess hub({"--fault", "429=1,retry-after=0"});
        HubConfig config = config_for(hub);
        config.retry.max_retries = 2;
        CHECK_THROWS_AS(HfApi(config).repo_info(Repo("demo/tiny-model")), RateLimitedError);
        CHECK(hub.log_entries(3).size() == 3);
    }
    {
        // Retry-After: 3600 exceeds max_server_wait (5 s in tests): reported at once.
        LocalHubProcess hub({"--fault", "429=1,retry-after=3600"});
        try {
            HfApi(config_for(hub)).repo_info(Repo("demo/tiny-model"));
            FAIL("expected RateLimited");
        } catch (const RateLimitedError& e) {
            CHECK(e.status() == 429);
        }
        CHECK(hub.log_entries(1).size() == 1);
    }
}
