#include "host_health.hpp"

#include <doctest/doctest.h>

#include <thread>

using namespace hubfs::api;
using namespace std::chrono_literals;

TEST_CASE("the breaker opens after two failures without an answer, lets one probe through, closes on an answer") {
    HostHealth health(HostHealth::Options{2, 50ms, 200ms});
    const std::string hub = "http://hub:80";
    CHECK_FALSE(health.refusal(hub));
    health.failed(hub, "timed out");
    CHECK_FALSE(health.refusal(hub));  // one failure is not enough
    health.failed(hub, "timed out");
    CHECK(health.is_down(hub));
    auto why = health.refusal(hub);
    REQUIRE(why);
    CHECK(why->find("timed out") != std::string::npos);
    CHECK_FALSE(health.refusal("http://other:80"));  // per host
    std::this_thread::sleep_for(60ms);
    CHECK_FALSE(health.refusal(hub));  // the probe
    CHECK(health.refusal(hub));        // one probe at a time
    health.failed(hub, "refused");     // the probe failed: wait longer (100 ms)
    std::this_thread::sleep_for(60ms);
    CHECK(health.refusal(hub));
    std::this_thread::sleep_for(60ms);
    CHECK_FALSE(health.refusal(hub));
    health.answered(hub);
    CHECK_FALSE(health.is_down(hub));
    CHECK_FALSE(health.refusal(hub));
    CHECK_FALSE(health.refusal(hub));
}

TEST_CASE("an answer between failures resets the count") {
    HostHealth health;
    health.failed("h", "x");
    health.answered("h");
    health.failed("h", "x");
    CHECK_FALSE(health.is_down("h"));
}

TEST_CASE("requests in flight are listed until they end") {
    HostHealth health;
    auto a = health.begin({"http://hub:80", "GET /api/x", HostHealth::Clock::now()});
    auto b = health.begin({"http://cdn:80", "GET /blob", HostHealth::Clock::now()});
    CHECK(health.in_flight().size() == 2);
    health.end(a);
    REQUIRE(health.in_flight().size() == 1);
    CHECK(health.in_flight()[0].origin == "http://cdn:80");
    health.end(b);
    CHECK(health.in_flight().empty());
}
