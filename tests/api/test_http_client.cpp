// The HTTP core's header rules, seen from the server side.
#include "errors.hpp"
#include "hf_api.hpp"
#include "http_client.hpp"
#include "scripted_http_server.hpp"

#include <doctest/doctest.h>

using namespace hubfs::api;
using namespace hubfs::api::testing;

TEST_CASE("credentials and extra headers go to the Hub's origin only, across a redirect") {
    ScriptedHttpServer blob("127.0.0.2", "HTTP/1.1 200 OK", "blob bytes");
    ScriptedHttpServer hub("127.0.0.1", "HTTP/1.1 302 Found\r\nLocation: " + blob.base_url() + "/lfs/abc", "");
    HubConfig config;
    config.endpoint = hub.base_url();
    config.token = "hf_secret_token";
    config.extra_headers = {{"X-Extra", "yes"}};
    HttpClient http(config);

    HttpRequest request;
    request.url = hub.base_url() + "/ns/repo/resolve/main/w.bin";
    request.headers.emplace_back("Authorization", "Bearer hf_caller_supplied");
    std::string body;
    HttpResponse response = http.send(request, [&](std::string_view chunk) { body.append(chunk); });
    CHECK(response.status == 200);
    CHECK(body == "blob bytes");
    CHECK(response.url == blob.base_url() + "/lfs/abc");

    auto [to_hub, to_blob] = check_credentials_stay_on_hub(hub, blob);
    CHECK(to_hub.find("user-agent: hubfs/") != std::string::npos);
    CHECK(to_hub.find("x-amzn-trace-id: ") != std::string::npos);
    CHECK(to_blob.find("user-agent: hubfs/") != std::string::npos);
}

TEST_CASE("same_origin_only stops at a cross-origin redirect; none stops at any") {
    ScriptedHttpServer blob("127.0.0.2", "HTTP/1.1 200 OK", "x");
    ScriptedHttpServer hub("127.0.0.1", "HTTP/1.1 302 Found\r\nLocation: " + blob.base_url() + "/lfs/abc", "");
    HubConfig config;
    config.endpoint = hub.base_url();
    HttpClient http(config);
    HttpRequest head;
    head.method = "HEAD";
    head.url = hub.base_url() + "/a";
    head.redirects = RedirectPolicy::same_origin_only;
    HttpResponse response = http.send(head);
    CHECK(response.status == 302);
    CHECK(response.headers.get("Location") == blob.base_url() + "/lfs/abc");
    head.redirects = RedirectPolicy::none;
    CHECK(http.send(head).status == 302);
    CHECK(blob.requests().empty());
}

TEST_CASE("a redirect loop ends in an error, not a hang") {
    ScriptedHttpServer hub("127.0.0.1", "HTTP/1.1 302 Found\r\nLocation: /again", "");
    HubConfig config;
    config.endpoint = hub.base_url();
    HttpClient http(config);
    HttpRequest request;
    request.url = hub.base_url() + "/start";
    CHECK_THROWS_AS(http.send(request), InvalidResponseError);
    CHECK(hub.requests().size() == 11);
}

TEST_CASE("offline mode refuses to send") {
    HubConfig config;
    config.offline = true;
    HttpClient http(config);
    HttpRequest request;
    request.url = "http://127.0.0.1:1/x";
    CHECK_THROWS_AS(http.send(request), OfflineError);
}

namespace {
HubConfig fast_retries(const ScriptedHttpServer& server, int max_retries) {
    HubConfig config;
    config.endpoint = server.base_url();
    config.retry.max_retries = max_retries;
    config.retry.base_delay = std::chrono::milliseconds(1);
    config.retry.max_delay = std::chrono::milliseconds(4);
    config.retry.max_server_wait = std::chrono::milliseconds(5000);
    return config;
}
}  // namespace

TEST_CASE("RateLimit r=0;t=N is honoured; a wait past max_server_wait is returned at once") {
    {
        ScriptedHttpServer hub("127.0.0.1", "HTTP/1.1 429 Too Many Requests\r\nRateLimit: \"api\";r=0;t=0", "{}");
        HttpClient http(fast_retries(hub, 1));
        HttpRequest request;
        request.url = hub.base_url() + "/api/x";
        CHECK(http.send(request).status == 429);
        CHECK(hub.requests().size() == 2);  // waited t+1 = 1 s, retried once
    }
    {
        ScriptedHttpServer hub("127.0.0.1", "HTTP/1.1 429 Too Many Requests\r\nRateLimit: \"api\";r=0;t=3600", "{}");
        HttpClient http(fast_retries(hub, 5));
        HttpRequest request;
        request.url = hub.base_url() + "/api/x";
        HttpResponse response = http.send(request);
        CHECK(response.status == 429);
        CHECK(hub.requests().size() == 1);
        CHECK_THROWS_AS(expect_ok(response), RateLimitedError);
    }
}

TEST_CASE("5xx: idempotent requests are retried, a non-idempotent POST is not") {
    ScriptedHttpServer hub("127.0.0.1", "HTTP/1.1 503 Service Unavailable", R"({"error":"busy"})");
    HttpClient http(fast_retries(hub, 3));
    HttpRequest get;
    get.url = hub.base_url() + "/api/x";
    HttpResponse response = http.send(get);
    CHECK(response.status == 503);
    CHECK(hub.requests().size() == 4);
    try {
        expect_ok(response);
        FAIL("expected an error");
    } catch (const HubError& e) {
        CHECK(e.server_message() == "busy");
        CHECK(e.request_id().starts_with("hubfs-"));  // no server id: the one this client sent
    }

    HttpRequest commit;
    commit.method = "POST";
    commit.url = hub.base_url() + "/api/models/a/b/commit/main";
    commit.body = "{}";
    commit.idempotent = false;
    CHECK(http.send(commit).status == 503);
    CHECK(hub.requests().size() == 5);
}

TEST_CASE("ranged downloads: a server ignoring Range, and a 206 from the wrong byte") {
    {
        ScriptedHttpServer hub("127.0.0.1", "HTTP/1.1 200 OK", "0123456789");
        HubConfig config;
        config.endpoint = hub.base_url();
        HttpClient http(config);
        HttpRequest request;
        request.url = hub.base_url() + "/f";
        std::string got;
        CHECK(http.download(request, 3, 4, [&](std::string_view c) { got.append(c); }).status == 200);
        CHECK(got == "3456");
        REQUIRE(hub.requests().size() == 1);
        CHECK(hub.requests()[0].find("range: bytes=3-6") != std::string::npos);
    }
    {
        ScriptedHttpServer hub("127.0.0.1", "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 0-9/10", "0123456789");
        HubConfig config;
        config.endpoint = hub.base_url();
        HttpClient http(config);
        HttpRequest request;
        request.url = hub.base_url() + "/f";
        CHECK_THROWS_AS(http.download(request, 3, 4, [](std::string_view) {}), InvalidResponseError);
    }
}

TEST_CASE("list_lfs_files and permanently_delete_lfs_files speak the Hub's shapes") {
    // localhub has no lfs-files endpoint, so a scripted server stands in for the Hub.
    ScriptedHttpServer hub("127.0.0.1", "HTTP/1.1 200 OK\r\nContent-Type: application/json",
                           R"([{"fileOid":"f1","filename":"w.bin","oid":"abc","pushedAt":"2025-01-01T00:00:00.000Z",)"
                           R"("ref":"refs/heads/main","size":42}])");
    HubConfig config;
    config.endpoint = hub.base_url();
    config.token = "hf_t";
    HfApi api(config);
    auto files = api.list_lfs_files(Repo("alice/x", RepoType::dataset)).to_vector();
    REQUIRE(files.size() == 1);
    CHECK(files[0].file_oid == "f1");
    CHECK(files[0].filename == "w.bin");
    CHECK(files[0].size == 42);
    CHECK(files[0].ref == "refs/heads/main");
    api.permanently_delete_lfs_files(Repo("alice/x", RepoType::dataset), files);
    auto requests = hub.requests();
    REQUIRE(requests.size() == 2);
    CHECK(requests[0].starts_with("get /api/datasets/alice/x/lfs-files "));
    CHECK(requests[1].starts_with("post /api/datasets/alice/x/lfs-files/batch "));
    CHECK(requests[1].find(R"({"deletions":{"rewritehistory":true,"sha":["f1"]}})") != std::string::npos);
}
