// hf_hub_download / snapshot_download into the standard cache layout, and safetensors headers.
#include "errors.hpp"
#include "hub_test_support.hpp"
#include "digest.hpp"

#include <doctest/doctest.h>

#include <cstring>
#include <fstream>
#include <sstream>

using namespace hubfs::api;
using namespace hubfs::api::testing;
namespace fs = std::filesystem;

namespace {
const Repo tiny_model{"demo/tiny-model"};

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

// A safetensors file: 8-byte little-endian header length, JSON header, tensor bytes.
std::string safetensors_file(const std::string& header, size_t data_bytes) {
    std::string out(8, '\0');
    uint64_t length = header.size();
    for (int i = 0; i < 8; ++i) out[static_cast<size_t>(i)] = static_cast<char>((length >> (8 * i)) & 0xFF);
    return out + header + std::string(data_bytes, '\x01');
}
}  // namespace

TEST_CASE("hf_hub_download fills blobs, refs and snapshots; offline mode reuses them") {
    LocalHubProcess hub;
    TempDir cache;
    HubConfig config = config_for(hub);
    config.cache_dir = cache.path().string();
    HfApi api(config);

    std::string commit = api.repo_info(tiny_model).sha.value();
    fs::path config_path = api.hf_hub_download(tiny_model, "config.json");
    fs::path folder = cache.path() / "models--demo--tiny-model";
    CHECK(config_path == folder / "snapshots" / commit / "config.json");
    CHECK(fs::is_symlink(config_path));
    CHECK(read_file(folder / "refs" / "main") == commit);
    CHECK(read_file(config_path) == api.download_file(tiny_model, "config.json"));
    HfFileMetadata meta = api.get_hf_file_metadata(api.hf_hub_url(tiny_model, "config.json"));
    CHECK(fs::exists(folder / "blobs" / meta.etag));
    CHECK(fs::read_symlink(config_path).is_relative());

    fs::path weights = api.hf_hub_download(tiny_model, "model.safetensors");
    HfFileMetadata lfs = api.get_hf_file_metadata(api.hf_hub_url(tiny_model, "model.safetensors"));
    CHECK(fs::canonical(weights) == fs::canonical(folder / "blobs" / lfs.etag));
    CHECK(sha256_hex(read_file(weights)) == lfs.etag);

    fs::path deep = api.hf_hub_download(tiny_model, "nested/a/b/deep.txt", commit);
    CHECK(deep == folder / "snapshots" / commit / "nested/a/b/deep.txt");
    CHECK_THROWS_AS(api.hf_hub_download(tiny_model, "missing.txt"), EntryNotFoundError);

    // Offline: what is cached is served without a request; the rest is an OfflineError.
    HubConfig offline_config = config;
    offline_config.offline = true;
    HfApi offline(offline_config);
    CHECK(offline.hf_hub_download(tiny_model, "config.json") == config_path);
    CHECK(offline.hf_hub_download(tiny_model, "config.json", commit) == config_path);
    CHECK_THROWS_AS(offline.hf_hub_download(tiny_model, "README.md"), OfflineError);
    CHECK_THROWS_AS(offline.repo_info(tiny_model), OfflineError);
}

TEST_CASE("snapshot_download mirrors a whole revision") {
    LocalHubProcess hub;
    TempDir cache;
    HfApi api(config_for(hub));
    fs::path snapshot = api.snapshot_download(tiny_model, std::nullopt, cache.path());
    std::string commit = api.repo_info(tiny_model).sha.value();
    CHECK(snapshot == cache.path() / "models--demo--tiny-model" / "snapshots" / commit);
    for (const auto& file : api.list_repo_files(tiny_model)) {
        CHECK_MESSAGE(fs::exists(snapshot / file), file);
    }
    CHECK(read_file(snapshot / "tokenizer/vocab.txt") == api.download_file(tiny_model, "tokenizer/vocab.txt"));
    CHECK(read_file(cache.path() / "models--demo--tiny-model" / "refs" / "main") == commit);

    fs::path dataset = api.snapshot_download(Repo("demo/sample-data", RepoType::dataset), "main", cache.path());
    CHECK(dataset.parent_path().parent_path() == cache.path() / "datasets--demo--sample-data");
}

TEST_CASE("safetensors metadata from ranged reads: single file and sharded") {
    LocalHubProcess hub;
    HfApi api(config_for(hub));
    const Repo repo("alice/st");
    api.create_repo(repo);
    // A header larger than the first 100 kB read forces the second ranged request.
    std::string big_meta(150000, 'x');
    std::string header1 = R"({"__metadata__":{"format":"pt","pad":")" + big_meta +
                          R"("},"a.weight":{"dtype":"F32","shape":[4,4],"data_offsets":[0,64]}})";
    std::string header2 = R"({"b.weight":{"dtype":"BF16","shape":[10],"data_offsets":[0,20]}})";
    std::string index = R"({"metadata":{"total_size":84},"weight_map":{"a.weight":"model-00001-of-00002.safetensors",)"
                        R"("b.weight":"model-00002-of-00002.safetensors"}})";
    api.create_commit(repo,
                      {CommitOperationAdd::from_bytes("model-00001-of-00002.safetensors", safetensors_file(header1, 64)),
                       CommitOperationAdd::from_bytes("model-00002-of-00002.safetensors", safetensors_file(header2, 20)),
                       CommitOperationAdd::from_bytes("model.safetensors.index.json", index)},
                      {.commit_message = "sharded"});
    SafetensorsRepoMetadata sharded = api.get_safetensors_metadata(repo);
    CHECK(sharded.sharded);
    CHECK(sharded.metadata.at("total_size") == "84");
    CHECK(sharded.weight_map.at("b.weight") == "model-00002-of-00002.safetensors");
    CHECK(sharded.files_metadata.size() == 2);
    CHECK(sharded.files_metadata.at("model-00001-of-00002.safetensors").metadata.at("format") == "pt");
    CHECK(sharded.parameter_count().at("F32") == 16);
    CHECK(sharded.parameter_count().at("BF16") == 10);

    SafetensorsRepoMetadata single = api.get_safetensors_metadata(tiny_model);
    CHECK_FALSE(single.sharded);
    CHECK(single.files_metadata.count("model.safetensors") == 1);
    CHECK_FALSE(single.weight_map.empty());

    CHECK_THROWS_AS(api.get_safetensors_metadata(Repo("demo/sample-data", RepoType::dataset)), EntryNotFoundError);
}

TEST_CASE("snapshot_download with one content under many paths writes each blob once") {
    LocalHubProcess hub;
    TempDir cache;
    HfApi api(config_for(hub));
    const Repo repo("alice/dupes");
    api.create_repo(repo);
    std::string weights = pseudo_random_bytes(2 * 1024 * 1024, 9);
    std::vector<CommitOperation> operations;
    for (int i = 0; i < 8; ++i) {
        operations.push_back(CommitOperationAdd::from_bytes("w" + std::to_string(i) + ".bin", weights));
        operations.push_back(CommitOperationAdd::from_bytes("t" + std::to_string(i) + ".txt", "same text"));
    }
    api.create_commit(repo, operations, {.commit_message = "dupes"});
    fs::path snapshot = api.snapshot_download(repo, std::nullopt, cache.path());
    for (int i = 0; i < 8; ++i) {
        CHECK(read_file(snapshot / ("w" + std::to_string(i) + ".bin")) == weights);
        CHECK(read_file(snapshot / ("t" + std::to_string(i) + ".txt")) == "same text");
    }
    size_t blobs = 0;
    for (const auto& entry : fs::directory_iterator(cache.path() / "models--alice--dupes" / "blobs")) {
        CHECK(entry.path().extension() != ".incomplete");
        ++blobs;
    }
    CHECK(blobs == 3);  // weights, text, .gitattributes
}
