// download_all (curl multi) keeps the rules of send/download, seen from the server side: the
// token stays on the Hub's origin, redirect policies hold, and a Retry-After loop ends.
#include "errors.hpp"
#include "http_client.hpp"
#include "scripted_http_server.hpp"

#include <doctest/doctest.h>

#include <thread>

using namespace hubfs::api;
using namespace hubfs::api::testing;

namespace {

RangeDownload range_of(const std::string& url, std::string& out) {
    RangeDownload d;
    d.request.url = url;
    d.offset = 2;
    d.length = 4;
    d.sink = [&out](std::string_view chunk) { out.append(chunk); };
    return d;
}

// Cancels the client after a bound, so that a client looping forever ends the test as a failure.
struct Watchdog {
    explicit Watchdog(HttpClient& http)
        : thread([&http](std::stop_token stop) {
              for (int i = 0; i < 200 && !stop.stop_requested(); ++i)
                  std::this_thread::sleep_for(std::chrono::milliseconds(50));
              if (!stop.stop_requested()) http.cancel();
          }) {}
    std::jthread thread;
};

}  // namespace

TEST_CASE("download_all: the token and extra headers go to the Hub's origin only, across a redirect") {
    ScriptedHttpServer blob("127.0.0.2", "HTTP/1.1 200 OK", "0123456789");
    ScriptedHttpServer hub("127.0.0.1", "HTTP/1.1 302 Found\r\nLocation: " + blob.base_url() + "/lfs/abc", "");
    HubConfig config;
    config.endpoint = hub.base_url();
    config.token = "hf_secret_token";
    config.extra_headers = {{"X-Extra", "yes"}};
    HttpClient http(config);

    std::string got;
    std::vector<RangeDownload> downloads;
    downloads.push_back(range_of(hub.base_url() + "/ns/repo/resolve/main/w.bin", got));
    downloads[0].request.headers.emplace_back("Authorization", "Bearer hf_caller_supplied");
    http.download_all(downloads, 2);
    CHECK_FALSE(downloads[0].error);
    CHECK(got == "2345");

    auto [to_hub, to_blob] = check_credentials_stay_on_hub(hub, blob);
    CHECK(to_hub.find("range: bytes=2-5") != std::string::npos);
    CHECK(to_blob.find("range: bytes=2-5") != std::string::npos);
}

TEST_CASE("download_all: same_origin_only stops at a cross-origin redirect, none at any") {
    ScriptedHttpServer blob("127.0.0.2", "HTTP/1.1 200 OK", "0123456789");
    ScriptedHttpServer hub("127.0.0.1", "HTTP/1.1 302 Found\r\nLocation: " + blob.base_url() + "/lfs/abc", "");
    HubConfig config;
    config.endpoint = hub.base_url();
    config.token = "hf_secret_token";
    HttpClient http(config);
    for (auto policy : {RedirectPolicy::same_origin_only, RedirectPolicy::none}) {
        std::string got;
        std::vector<RangeDownload> downloads;
        downloads.push_back(range_of(hub.base_url() + "/a", got));
        downloads[0].request.redirects = policy;
        http.download_all(downloads, 1);
        CHECK_FALSE(downloads[0].error);
        CHECK(downloads[0].response.status == 302);
        CHECK(got.empty());
    }
    CHECK(blob.requests().empty());
}

TEST_CASE("download_all: a Retry-After answered forever spends the retry budget, as send does") {
    ScriptedHttpServer hub("127.0.0.1", "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 0", "busy");
    HubConfig config;
    config.endpoint = hub.base_url();
    config.retry.max_retries = 2;
    HttpClient http(config);
    Watchdog watchdog(http);
    std::string got;
    std::vector<RangeDownload> downloads;
    downloads.push_back(range_of(hub.base_url() + "/f", got));
    http.download_all(downloads, 1);
    CHECK_FALSE(downloads[0].error);
    CHECK(downloads[0].response.status == 503);
    CHECK(hub.requests().size() == 3);
}
