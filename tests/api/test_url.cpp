#include "url.hpp"

#include <doctest/doctest.h>

using namespace hubfs::api;

TEST_CASE("percent_encode encodes revisions fully, paths per segment") {
    CHECK(percent_encode("refs/pr/1") == "refs%2Fpr%2F1");
    CHECK(percent_encode("a b#?é") == "a%20b%23%3F%C3%A9");
    CHECK(percent_encode("v1.0-rc_1~") == "v1.0-rc_1~");
    CHECK(percent_encode_path("dir a/file#1.txt") == "dir%20a/file%231.txt");
    CHECK(build_query({{"paths", "a/b"}, {"paths", "c d"}, {"expand", "false"}}) ==
          "paths=a%2Fb&paths=c%20d&expand=false");
}

TEST_CASE("parse_url and origins") {
    auto url = parse_url("HTTP://Example.COM:8080/x/y?q=1#frag");
    REQUIRE(url);
    CHECK(url->scheme == "http");
    CHECK(url->host == "example.com");
    CHECK(url->port == 8080);
    CHECK(url->path_and_query == "/x/y?q=1");
    CHECK(parse_url("https://hf.co")->port == 443);
    CHECK(parse_url("https://hf.co")->path_and_query == "/");
    CHECK_FALSE(parse_url("ftp://x/y"));
    CHECK_FALSE(parse_url("no scheme"));
    CHECK(same_origin("http://127.0.0.1:5000/a", "http://127.0.0.1:5000/b?c"));
    CHECK_FALSE(same_origin("http://127.0.0.1:5000/a", "http://127.0.0.2:5000/a"));
    CHECK_FALSE(same_origin("http://127.0.0.1:5000/a", "http://127.0.0.1:5001/a"));
    CHECK(same_origin("https://hf.co/a", "https://hf.co:443/b"));
    CHECK_FALSE(same_origin("http://hf.co/a", "https://hf.co/a"));
}

TEST_CASE("resolve_location handles absolute, host-relative and path-relative targets") {
    const std::string base = "http://127.0.0.1:9/ns/repo/resolve/main/a/b.txt?x=1";
    CHECK(resolve_location(base, "http://127.0.0.2:9/lfs/abc") == "http://127.0.0.2:9/lfs/abc");
    CHECK(resolve_location(base, "/api/resolve-cache/x?etag=1") == "http://127.0.0.1:9/api/resolve-cache/x?etag=1");
    CHECK(resolve_location(base, "c.txt") == "http://127.0.0.1:9/ns/repo/resolve/main/a/c.txt");
    CHECK(resolve_location(base, "//cdn.example/x") == "http://cdn.example/x");
}
