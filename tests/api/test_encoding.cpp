// Pure functions: hashing, base64, Link headers, JSON shapes, safetensors headers.
#include "base64.hpp"
#include "errors.hpp"
#include "hub_json.hpp"
#include "paged_list.hpp"
#include "safetensors_metadata.hpp"
#include "digest.hpp"

#include <doctest/doctest.h>

using namespace hubfs::api;

TEST_CASE("sha256 and base64 known answers") {
    CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    Sha256 streaming;
    streaming.update("ab");
    streaming.update("c");
    CHECK(streaming.hex_digest() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    GitBlobSha1 blob(1);
    blob.update("x");
    CHECK(blob.hex_digest() == "c1b0730e0133447badcfd47fd144e254807b06e1");  // git hash-object
    CHECK(base64_encode("") == "");
    CHECK(base64_encode("f") == "Zg==");
    CHECK(base64_encode("fo") == "Zm8=");
    CHECK(base64_encode("foo") == "Zm9v");
    CHECK(base64_encode(std::string("\0\xff", 2)) == "AP8=");
}

TEST_CASE("Link rel=next") {
    CHECK(next_page_url(R"(<http://h/api/x?cursor=abc>; rel="next")") == "http://h/api/x?cursor=abc");
    CHECK(next_page_url(R"(<http://h/p>; rel="prev", <http://h/n>; rel="next")") == "http://h/n");
    CHECK_FALSE(next_page_url(R"(<http://h/p>; rel="prev")"));
    CHECK_FALSE(next_page_url(""));
}

TEST_CASE("tree entries: files, LFS files, folders, expanded last commit") {
    auto file = parse_tree_entry(nlohmann::json::parse(
        R"({"type":"file","oid":"abc","size":5,"path":"a/b.bin","lfs":{"oid":"sha","size":5,"pointerSize":130},
            "lastCommit":{"id":"c1","title":"t","date":"2025-01-01T00:00:00.000Z"}})"));
    const auto& f = std::get<RepoFile>(file);
    CHECK(f.path == "a/b.bin");
    CHECK(f.blob_id == "abc");
    REQUIRE(f.lfs);
    CHECK(f.lfs->sha256 == "sha");
    CHECK(f.lfs->pointer_size == 130);
    REQUIRE(f.last_commit);
    CHECK(f.last_commit->oid == "c1");
    auto folder = parse_tree_entry(nlohmann::json::parse(R"({"type":"directory","oid":"t","size":0,"path":"a"})"));
    CHECK(std::get<RepoFolder>(folder).tree_id == "t");
    CHECK_THROWS_AS(parse_tree_entry(nlohmann::json::parse(R"({"oid":"x"})")), InvalidResponseError);
}

TEST_CASE("commit answers give the PR number and revision") {
    auto info = parse_commit_response(nlohmann::json::parse(
        R"({"success":true,"commitOid":"abc","commitUrl":"http://h/a/b/commit/abc","pullRequestUrl":"http://h/a/b/discussions/3"})"));
    CHECK(info.oid == "abc");
    CHECK(info.pr_num == 3);
    CHECK(info.pr_revision == "refs/pr/3");
    CHECK_THROWS_AS(parse_commit_response(nlohmann::json::parse(R"({"commitUrl":"x"})")), InvalidResponseError);
}

TEST_CASE("safetensors header parsing and parameter counts") {
    auto metadata = parse_safetensors_header(
        R"({"__metadata__":{"format":"pt"},"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},
            "b":{"dtype":"F16","shape":[3],"data_offsets":[24,30]}})");
    CHECK(metadata.metadata.at("format") == "pt");
    CHECK(metadata.tensors.at("w").parameter_count() == 6);
    CHECK(metadata.tensors.at("b").data_end == 30);
    CHECK(metadata.parameter_count().at("F32") == 6);
    CHECK(metadata.parameter_count().at("F16") == 3);
    CHECK_THROWS(parse_safetensors_header("[1,2]"));
}

TEST_CASE("a hostile safetensors header is an error, never undefined behaviour (found by tests/fuzz)") {
    for (const char* shape : {"[2,5.5e26]", "[-1]", "[1.5]", "\"3\"", "[[1]]"}) {
        std::string header = std::string(R"({"w":{"dtype":"F16","shape":)") + shape + R"(,"data_offsets":[0,24]}})";
        CHECK_THROWS_AS(parse_safetensors_header(header), InvalidResponseError);
    }
    CHECK_THROWS_AS(parse_safetensors_header(R"({"w":{"dtype":"F16","shape":[1],"data_offsets":[0,-24]}})"),
                    InvalidResponseError);
}
