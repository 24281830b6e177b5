// HttpClient::download_all: concurrent ranged GETs on curl's multi interface.
#include "errors.hpp"
#include "hub_test_support.hpp"

#include <doctest/doctest.h>

using namespace hubfs::api;
using namespace hubfs::api::testing;

namespace {
// Splits [0, size) into `parts` ranges of `url`, each collected into its own string.
std::vector<RangeDownload> ranges_of(const std::string& url, uint64_t size, int parts, std::vector<std::string>& out) {
    out.assign(static_cast<size_t>(parts), std::string());
    std::vector<RangeDownload> downloads;
    uint64_t step = (size + static_cast<uint64_t>(parts) - 1) / static_cast<uint64_t>(parts);
    for (int i = 0; i < parts; ++i) {
        RangeDownload d;
        d.request.url = url;
        d.offset = static_cast<uint64_t>(i) * step;
        d.length = std::min(step, size - d.offset);
        std::string* target = &out[static_cast<size_t>(i)];
        d.sink = [target](std::string_view chunk) { target->append(chunk); };
        downloads.push_back(std::move(d));
    }
    return downloads;
}

std::string joined(const std::vector<std::string>& parts) {
    std::string all;
    for (const auto& p : parts) all += p;
    return all;
}
}  // namespace

TEST_CASE("download_all fetches ranges concurrently, through the LFS redirect") {
    LocalHubProcess hub;
    HfApi api(config_for(hub));
    const Repo tiny("demo/tiny-model");
    std::string whole = api.download_file(tiny, "model.safetensors");
    std::vector<std::string> parts;
    auto downloads = ranges_of(api.hf_hub_url(tiny, "model.safetensors"), whole.size(), 8, parts);
    api.http().download_all(downloads, 4);
    for (const auto& d : downloads) {
        CHECK_FALSE(d.error);
        CHECK(d.response.status == 206);
        CHECK(d.received == *d.length);
    }
    CHECK(joined(parts) == whole);

    // Per-download outcomes: one missing file does not spoil the others.
    std::vector<RangeDownload> mixed(2);
    std::string config_bytes;
    mixed[0].request.url = api.hf_hub_url(tiny, "config.json");
    mixed[0].sink = [&](std::string_view chunk) { config_bytes.append(chunk); };
    mixed[1].request.url = api.hf_hub_url(tiny, "missing.bin");
    mixed[1].sink = [](std::string_view) {};
    api.http().download_all(mixed, 2);
    CHECK(config_bytes == api.download_file(tiny, "config.json"));
    CHECK(mixed[1].response.status == 404);
    CHECK_THROWS_AS(expect_ok(mixed[1].response), EntryNotFoundError);

    size_t blob_gets = 0;
    for (const auto& entry : hub.log_entries(20)) {  // the 20 requests above
        if (entry.value("host", "") != "blob") continue;
        ++blob_gets;
        CHECK(entry.value("auth", true) == false);
    }
    CHECK(blob_gets >= 8);
}

TEST_CASE("download_all resumes ranges cut by connection resets") {
    constexpr size_t size = 6 * 1024 * 1024 + 7;
    std::string content = pseudo_random_bytes(size, 4);
    LocalHubProcess hub({"--fault", "seed=3,reset=1,reset-after=262144"});
    HfApi api(config_for(hub));
    const Repo repo("alice/multi-resume");
    api.create_repo(repo);
    api.upload_file(repo, CommitOperationAdd::from_bytes("big.bin", content));
    HfFileMetadata meta = api.get_hf_file_metadata(api.hf_hub_url(repo, "big.bin"));
    std::vector<std::string> parts;
    auto downloads = ranges_of(meta.location, size, 4, parts);  // 1.5 MiB each, cut every 256 KiB
    api.http().download_all(downloads, 4);
    for (const auto& d : downloads) CHECK_FALSE(d.error);
    CHECK(joined(parts) == content);
    size_t blob_gets = 0;
    for (const auto& entry : hub.log_entries(6 + 4 * 6))  // the upload's 6 requests and >= 24 GETs
        if (entry.value("host", "") == "blob" && entry.value("method", "") == "GET") ++blob_gets;
    CHECK(blob_gets >= 4 * 6);  // each 1.5 MiB range needed 6 connections
}

TEST_CASE("download_all: transport failures are reported per download") {
    HubConfig config;
    config.endpoint = "http://127.0.0.1:1";
    config.retry.base_delay = std::chrono::milliseconds(1);
    config.retry.max_delay = std::chrono::milliseconds(2);
    HttpClient http(config);
    std::vector<RangeDownload> downloads(2);
    for (auto& d : downloads) {
        d.request.url = "http://127.0.0.1:1/x";
        d.sink = [](std::string_view) {};
    }
    http.download_all(downloads, 2);
    for (const auto& d : downloads) {
        REQUIRE(d.error);
        CHECK_THROWS_AS(std::rethrow_exception(d.error), NetworkError);
    }
}
