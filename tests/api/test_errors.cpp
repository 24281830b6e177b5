#include "errors.hpp"

#include <doctest/doctest.h>

using namespace hubfs::api;

namespace {
HttpResponse response(long status, std::string code, std::string body) {
    HttpResponse r;
    r.status = status;
    if (!code.empty()) r.headers.add("X-Error-Code", code);
    r.headers.add("X-Request-Id", "req-123");
    r.body = std::move(body);
    r.url = "http://hub/api/models/a/b?secret=1";
    return r;
}
}  // namespace

TEST_CASE("X-Error-Code wins over the status") {
    CHECK(classify_response(404, "RepoNotFound") == ErrorKind::repo_not_found);
    CHECK(classify_response(401, "RepoNotFound") == ErrorKind::repo_not_found);
    CHECK(classify_response(404, "RevisionNotFound") == ErrorKind::revision_not_found);
    CHECK(classify_response(404, "EntryNotFound") == ErrorKind::entry_not_found);
    CHECK(classify_response(403, "GatedRepo") == ErrorKind::gated_repo);
    CHECK(classify_response(401, "") == ErrorKind::unauthorized);
    CHECK(classify_response(403, "") == ErrorKind::forbidden);
    CHECK(classify_response(409, "") == ErrorKind::conflict);
    CHECK(classify_response(412, "") == ErrorKind::conflict);
    CHECK(classify_response(429, "") == ErrorKind::rate_limited);
    CHECK(classify_response(400, "") == ErrorKind::bad_request);
    CHECK(classify_response(422, "") == ErrorKind::bad_request);
    CHECK(classify_response(404, "") == ErrorKind::http);
    CHECK(classify_response(500, "") == ErrorKind::http);
}

TEST_CASE("typed errors carry status, server message and request id") {
    try {
        throw_http_error(response(404, "GatedRepo", R"({"error":"Access to model a/b is restricted"})"));
        FAIL("no throw");
    } catch (const RepoNotFoundError& e) {  // gated is a kind of repo-not-found
        CHECK(e.kind() == ErrorKind::gated_repo);
        CHECK(e.status() == 404);
        CHECK(e.server_message() == "Access to model a/b is restricted");
        CHECK(e.request_id() == "req-123");
        CHECK(e.url() == "http://hub/api/models/a/b");  // query strings may hold signatures
        CHECK(std::string(e.what()).find("req-123") != std::string::npos);
    }
    CHECK_THROWS_AS(throw_http_error(response(412, "", R"({"error":"stale"})")), ConflictError);
    CHECK_THROWS_AS(throw_http_error(response(400, "", "plain text")), BadRequestError);
    CHECK_THROWS_AS(throw_http_error(response(404, "EntryNotFound", "")), EntryNotFoundError);
}

TEST_CASE("server messages from the body variants the Hub uses") {
    CHECK(server_message(response(400, "", R"({"error":"bad"})")) == "bad");
    CHECK(server_message(response(400, "", R"({"error":["a","b"]})")) == "a; b");
    CHECK(server_message(response(400, "", R"({"error":"x","error_description":"y"})")) == "x: y");
    CHECK(server_message(response(400, "", R"({"errors":[{"message":"m1"},{"message":"m2"}]})")) == "m1; m2");
    CHECK(server_message(response(400, "", R"("bare string")")) == "bare string");
    CHECK(server_message(response(400, "", "<html>oops</html>")).empty());
    HttpResponse header_only = response(401, "", "");
    header_only.headers.add("X-Error-Message", "Invalid credentials in Authorization header");
    CHECK(server_message(header_only) == "Invalid credentials in Authorization header");
}
