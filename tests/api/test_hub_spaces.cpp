// Spaces runtime through HfApi against a private localhub (issue 16): stages, hardware, sleep
// time, storage, secrets (write-only), variables, duplicate, and the typed errors.
#include "errors.hpp"
#include "hub_test_support.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <thread>

using namespace hubfs::api;
using namespace hubfs::api::testing;
using namespace std::chrono_literals;

namespace {

SpaceRuntime wait_stage(HfApi& api, const std::string& id, const std::string& stage) {
    auto end = std::chrono::steady_clock::now() + 15s;
    for (;;) {
        SpaceRuntime rt = api.get_space_runtime(id);
        if (rt.stage == stage) return rt;
        REQUIRE(std::chrono::steady_clock::now() < end);
        std::this_thread::sleep_for(100ms);
    }
}

}  // namespace

TEST_CASE("Space runtime: restart, pause, hardware, sleep time, storage") {
    LocalHubProcess hub({"--space-build-seconds", "1"});
    HfApi api(config_for(hub));
    api.create_repo(Repo("alice/demo", RepoType::space));

    SpaceRuntime rt = wait_stage(api, "alice/demo", "RUNNING");
    CHECK(rt.hardware == std::optional<std::string>("cpu-basic"));
    CHECK(rt.requested_hardware == std::optional<std::string>("cpu-basic"));

    CHECK(api.restart_space("alice/demo").stage == "BUILDING");
    wait_stage(api, "alice/demo", "RUNNING");
    SpaceRuntime paused = api.pause_space("alice/demo");
    CHECK(paused.stage == "PAUSED");
    CHECK(!paused.hardware.has_value());
    CHECK(api.restart_space("alice/demo").stage == "BUILDING");

    SpaceRuntime hw = api.request_space_hardware("alice/demo", "t4-medium", 3600);
    CHECK(hw.requested_hardware == std::optional<std::string>("t4-medium"));
    CHECK(hw.sleep_time == std::optional<int64_t>(3600));
    CHECK(wait_stage(api, "alice/demo", "RUNNING").hardware == std::optional<std::string>("t4-medium"));
    CHECK_THROWS_AS(api.request_space_hardware("alice/demo", "quantum-xl"), BadRequestError);
    CHECK(api.get_space_runtime("alice/demo").requested_hardware == std::optional<std::string>("t4-medium"));

    CHECK(api.set_space_sleep_time("alice/demo", 1).sleep_time == std::optional<int64_t>(1));
    wait_stage(api, "alice/demo", "SLEEPING");
    CHECK(!api.set_space_sleep_time("alice/demo", -1).sleep_time.has_value());

    CHECK(api.request_space_storage("alice/demo", "medium").storage == std::optional<std::string>("medium"));
    CHECK_THROWS_AS(api.request_space_storage("alice/demo", "huge"), BadRequestError);
    CHECK(!api.delete_space_storage("alice/demo").storage.has_value());

    CHECK_THROWS_AS(HfApi(config_for(hub, bob_token)).restart_space("alice/demo"), ForbiddenError);
    CHECK_THROWS_AS(api.get_space_runtime("alice/missing"), RepoNotFoundError);
}

TEST_CASE("Space secrets are write-only; variables round-trip; duplicate_space") {
    LocalHubProcess hub({"--space-build-seconds", "1"});
    HfApi api(config_for(hub));
    api.create_repo(Repo("alice/demo", RepoType::space));

    api.add_space_secret("alice/demo", "TOKEN", "never-shown-9931", std::string("a token"));
    CHECK(api.list_space_secrets("alice/demo") == std::vector<std::string>{"TOKEN"});
    nlohmann::json listed;
    HttpRequest request;
    request.url = hub.endpoint() + "/api/spaces/alice/demo/secrets";
    request.headers.emplace_back("Authorization", std::string("Bearer ") + alice_token);
    HttpResponse raw = api.http().send(request);
    CHECK(raw.status == 200);
    CHECK(raw.body.find("TOKEN") != std::string::npos);
    CHECK(raw.body.find("never-shown-9931") == std::string::npos);
    api.delete_space_secret("alice/demo", "TOKEN");
    CHECK(api.http().send(request).body == "{}");
    CHECK_THROWS_AS(api.add_space_secret("alice/demo", "not a key", "v"), BadRequestError);

    auto vars = api.add_space_variable("alice/demo", "MODE", "fast", std::string("speed"));
    REQUIRE(vars.count("MODE"));
    CHECK(vars["MODE"].value == "fast");
    CHECK(vars["MODE"].description == std::optional<std::string>("speed"));
    CHECK(vars["MODE"].updated_at.has_value());
    CHECK(api.get_space_variables("alice/demo").at("MODE").value == "fast");
    CHECK(api.delete_space_variable("alice/demo", "MODE").empty());

    api.request_space_hardware("alice/demo", "cpu-upgrade");
    DuplicateSpaceOptions options;
    options.to_id = "alice/copy";
    options.variables = {{"V", "1"}};
    RepoUrl url = api.duplicate_space("alice/demo", options);
    CHECK(url.url == hub.endpoint() + "/spaces/alice/copy");
    CHECK(api.list_repo_files(Repo("alice/copy", RepoType::space)) == api.list_repo_files(Repo("alice/demo", RepoType::space)));
    CHECK(api.get_space_runtime("alice/copy").requested_hardware == std::optional<std::string>("cpu-upgrade"));
    CHECK(api.get_space_variables("alice/copy").at("V").value == "1");
    CHECK_THROWS_AS(api.duplicate_space("alice/demo", options), ConflictError);
    options.exist_ok = true;
    CHECK(api.duplicate_space("alice/demo", options).repo_id == "alice/copy");
    DuplicateSpaceOptions bad;
    bad.to_id = "alice/other";
    bad.hardware = "nope";
    CHECK_THROWS_AS(api.duplicate_space("alice/demo", bad), BadRequestError);
    DuplicateSpaceOptions default_target;  // to the token user's namespace, same name: exists
    CHECK_THROWS_AS(api.duplicate_space("alice/demo", default_target), ConflictError);
}

TEST_CASE("space_info carries the runtime, as the Hub's does") {
    LocalHubProcess hub({"--space-build-seconds", "1"});
    HfApi api(config_for(hub));
    api.create_repo(Repo("alice/demo", RepoType::space));
    wait_stage(api, "alice/demo", "RUNNING");
    api.request_space_hardware("alice/demo", "t4-small");
    SpaceInfo info = api.space_info("alice/demo");
    INFO(info.raw.dump());
    REQUIRE(info.runtime.has_value());
    CHECK(info.runtime->stage == "BUILDING");
    CHECK(info.runtime->requested_hardware == std::optional<std::string>("t4-small"));
    api.pause_space("alice/demo");
    CHECK(api.space_info("alice/demo").runtime->stage == "PAUSED");
}
