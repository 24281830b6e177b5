// Inference Endpoints through HfApi against a private localhub (issue 16), which serves them
// under a path prefix the client reaches through its separate inference_endpoints_url.
#include "errors.hpp"
#include "hub_test_support.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <thread>

using namespace hubfs::api;
using namespace hubfs::api::testing;
using namespace std::chrono_literals;

namespace {

HubConfig endpoints_config(const LocalHubProcess& hub, std::optional<std::string> token = alice_token) {
    HubConfig c = config_for(hub, std::move(token));
    c.inference_endpoints_url = hub.endpoint() + "/ie/v2";
    c.inference_catalog_url = hub.endpoint() + "/endpoints-catalog/api/catalog";
    return c;
}

InferenceEndpoint wait_state(HfApi& api, const std::string& name, const std::string& state, std::vector<std::string>* seen = nullptr) {
    auto end = std::chrono::steady_clock::now() + 15s;
    for (;;) {
        InferenceEndpoint e = api.get_inference_endpoint(name);
        if (seen && (seen->empty() || seen->back() != e.status)) seen->push_back(e.status);
        if (e.status == state) return e;
        REQUIRE(std::chrono::steady_clock::now() < end);
        std::this_thread::sleep_for(100ms);
    }
}

}  // namespace

TEST_CASE("Inference Endpoints: create, states, pause, resume, scale to zero, update, delete, catalog") {
    LocalHubProcess hub({"--endpoints-prefix", "/ie/v2", "--endpoint-step-seconds", "1"});
    HfApi api(endpoints_config(hub));
    api.create_repo(Repo("alice/tiny-model"));

    InferenceEndpointSpec spec;
    spec.name = "tiny";
    spec.repository = "alice/tiny-model";
    spec.task = "text-generation";
    InferenceEndpoint created = api.create_inference_endpoint(spec);
    CHECK(created.name == "tiny");
    CHECK(created.namespace_ == "alice");
    CHECK(created.repository == "alice/tiny-model");
    CHECK(created.status == "pending");
    std::vector<std::string> seen{"pending"};
    InferenceEndpoint running = wait_state(api, "tiny", "running", &seen);
    CHECK(seen == std::vector<std::string>{"pending", "initializing", "running"});
    CHECK(running.url.has_value());
    CHECK(api.list_inference_endpoints().size() == 1);

    CHECK(api.pause_inference_endpoint("tiny").status == "paused");
    CHECK_THROWS_AS(api.scale_to_zero_inference_endpoint("tiny"), BadRequestError);
    CHECK(api.resume_inference_endpoint("tiny").status == "pending");
    wait_state(api, "tiny", "running");
    CHECK(api.resume_inference_endpoint("tiny").status == "running");  // running_ok
    CHECK_THROWS_AS(api.resume_inference_endpoint("tiny", false), BadRequestError);
    CHECK(api.scale_to_zero_inference_endpoint("tiny").status == "scaledToZero");
    api.resume_inference_endpoint("tiny");

    InferenceEndpointUpdate update;
    update.instance_size = "x4";
    update.max_replica = 2;
    InferenceEndpoint updated = api.update_inference_endpoint("tiny", update);
    CHECK(updated.status == "updating");
    CHECK(updated.raw["compute"]["instanceSize"] == "x4");
    CHECK(updated.raw["compute"]["scaling"]["maxReplica"] == 2);
    wait_state(api, "tiny", "running");

    InferenceEndpointSpec ghost = spec;
    ghost.name = "ghost";
    ghost.repository = "alice/no-such-model";
    api.create_inference_endpoint(ghost);
    InferenceEndpoint failed = wait_state(api, "ghost", "failed");
    REQUIRE(failed.message.has_value());
    CHECK(failed.message->find("alice/no-such-model") != std::string::npos);

    CHECK_THROWS_AS(api.create_inference_endpoint(spec), ConflictError);
    InferenceEndpointSpec bad = spec;
    bad.name = "Bad_Name";
    CHECK_THROWS_AS(api.create_inference_endpoint(bad), BadRequestError);
    CHECK_THROWS_AS(HfApi(endpoints_config(hub, bob_token)).list_inference_endpoints("alice"), ForbiddenError);

    api.delete_inference_endpoint("tiny");
    CHECK_THROWS_AS(api.get_inference_endpoint("tiny"), HubError);

    auto catalog = api.list_inference_catalog();
    CHECK(std::find(catalog.begin(), catalog.end(), "alice/tiny-model") != catalog.end());
    InferenceEndpoint deployed = api.create_inference_endpoint_from_catalog("alice/tiny-model", std::string("from-catalog"));
    CHECK(deployed.name == "from-catalog");
    CHECK(deployed.repository == "alice/tiny-model");
    wait_state(api, "from-catalog", "running");
}

TEST_CASE("Inference Endpoint request bodies") {
    InferenceEndpointSpec s;
    s.name = "n";
    s.repository = "a/b";
    s.scale_to_zero_timeout = 15;
    s.secrets = {{"K", "v"}};
    auto body = inference_endpoint_create_json(s);
    CHECK(body["accountId"].is_null());
    CHECK(body["compute"]["scaling"]["scaleToZeroTimeout"] == 15);
    CHECK(body["model"]["secrets"]["K"] == "v");
    CHECK(body["provider"]["vendor"] == "aws");
    InferenceEndpointUpdate u;
    CHECK(inference_endpoint_update_json(u).empty());
    u.repository = "a/c";
    CHECK(inference_endpoint_update_json(u) == nlohmann::json{{"model", {{"repository", "a/c"}}}});
}
