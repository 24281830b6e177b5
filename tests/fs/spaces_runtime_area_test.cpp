// The Spaces runtime area without FUSE or a Hub: its files over a fake SpacesRuntimeRemote.
#include <doctest/doctest.h>

#include <cerrno>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "fs/control/spaces_runtime_area.hpp"
#include "control_test_support.hpp"
#include "fs/errno_map.hpp"

using namespace hubfs::fs;

namespace {

class FakeSpaces : public SpacesRuntimeRemote {
public:
    std::map<std::string, SpaceRuntimeState> spaces{{"alice/demo", {"RUNNING", "cpu-basic", "cpu-basic", {}, {}, {}}}};
    std::map<std::string, std::string> secrets, vars;
    std::vector<std::string> calls;

    SpaceRuntimeState runtime(const std::string& s) override { return at(s); }
    void restart(const std::string& s) override { at(s).stage = "BUILDING", calls.push_back("restart"); }
    void pause(const std::string& s) override { at(s).stage = "PAUSED", calls.push_back("pause"); }
    void request_hardware(const std::string& s, const std::string& flavor) override {
        if (!std::set<std::string>{"cpu-basic", "t4-small"}.count(flavor))
            throw RemoteError(RemoteError::Kind::invalid, "Unknown hardware flavor: " + flavor);
        at(s).requested_hardware = flavor;
        calls.push_back("hardware " + flavor);
    }
    void set_sleep_time(const std::string& s, int64_t seconds) override {
        at(s).sleep_time = seconds < 0 ? std::nullopt : std::optional<int64_t>(seconds);
        calls.push_back("sleep " + std::to_string(seconds));
    }
    void request_storage(const std::string& s, const std::string& tier) override {
        at(s).storage = tier;
        calls.push_back("storage " + tier);
    }
    void delete_storage(const std::string& s) override { at(s).storage.reset(), calls.push_back("storage none"); }
    std::vector<std::string> secret_keys(const std::string&) override {
        std::vector<std::string> out;
        for (const auto& [k, v] : secrets) out.push_back(k);
        return out;
    }
    void add_secret(const std::string&, const std::string& k, const std::string& v) override {
        secrets[k] = v;
        calls.push_back("secret " + k);
    }
    void delete_secret(const std::string&, const std::string& k) override { secrets.erase(k), calls.push_back("rm secret " + k); }
    std::map<std::string, std::string> variables(const std::string&) override { return vars; }
    void add_variable(const std::string&, const std::string& k, const std::string& v) override { vars[k] = v; }
    void delete_variable(const std::string&, const std::string& k) override { vars.erase(k); }

private:
    SpaceRuntimeState& at(const std::string& s) {
        auto it = spaces.find(s);
        if (it == spaces.end()) throw RemoteError(RemoteError::Kind::not_found, s + " not found");
        return it->second;
    }
};

struct Area {
    FakeSpaces hub;
    SpacesRuntimeArea area{hub, [] { return std::vector<std::string>{"alice", "acme"}; },
                           [](const std::string& ns) { return ns == "alice" ? std::vector<std::string>{"demo"} : std::vector<std::string>{}; }};
    ControlTree tree;
    Area() {
        tree.add_area("spaces-runtime", [this] { return area.root(); });
    }
};

const std::string kSpace = "spaces-runtime/alice/demo/";

}  // namespace

TEST_CASE("runtime.json shows the stage, hardware, sleep time and storage; restart and pause act") {
    Area a;
    CHECK(folder_at(a.tree, "spaces-runtime").names() == std::vector<std::string>{"alice", "acme"});
    CHECK(folder_at(a.tree, "spaces-runtime/alice").names() == std::vector<std::string>{"demo"});
    CHECK(folder_at(a.tree, kSpace).names() == std::vector<std::string>{"runtime.json", "restart", "pause", "hardware",
                                                                        "sleep-time", "storage", "secrets", "variables"});
    auto rt = nlohmann::json::parse(file_at(a.tree, kSpace + "runtime.json").render());
    CHECK(rt["stage"] == "RUNNING");
    CHECK(rt["hardware"]["current"] == "cpu-basic");
    CHECK(rt["sleep_time"].is_null());
    CHECK_FALSE(static_cast<bool>(file_at(a.tree, kSpace + "restart").render));  // write-only
    file_at(a.tree, kSpace + "restart").act("\n");
    CHECK(nlohmann::json::parse(file_at(a.tree, kSpace + "runtime.json").render())["stage"] == "BUILDING");
    file_at(a.tree, kSpace + "pause").act("");
    CHECK(nlohmann::json::parse(file_at(a.tree, kSpace + "runtime.json").render())["stage"] == "PAUSED");
    CHECK(a.hub.calls == std::vector<std::string>{"restart", "pause"});
}

TEST_CASE("hardware, sleep-time and storage read what is requested and write a request; bad values are EINVAL") {
    Area a;
    file_at(a.tree, kSpace + "hardware").act("t4-small\n");
    CHECK(file_at(a.tree, kSpace + "hardware").render() == "t4-small\n");
    CHECK_THROWS_AS(file_at(a.tree, kSpace + "hardware").act("quantum-xl\n"), RemoteError);  // the Hub refuses
    CHECK(file_at(a.tree, kSpace + "hardware").render() == "t4-small\n");
    file_at(a.tree, kSpace + "sleep-time").act("3600\n");
    CHECK(file_at(a.tree, kSpace + "sleep-time").render() == "3600\n");
    file_at(a.tree, kSpace + "sleep-time").act("never\n");
    CHECK(file_at(a.tree, kSpace + "sleep-time").render() == "never\n");
    file_at(a.tree, kSpace + "storage").act("medium\n");
    CHECK(file_at(a.tree, kSpace + "storage").render() == "medium\n");
    file_at(a.tree, kSpace + "storage").act("none\n");
    CHECK(file_at(a.tree, kSpace + "storage").render() == "none\n");
    a.hub.calls.clear();
    CHECK(errno_of([&] { file_at(a.tree, kSpace + "hardware").act("\n"); }) == EINVAL);
    CHECK(errno_of([&] { file_at(a.tree, kSpace + "hardware").act("t4 small\n"); }) == EINVAL);
    CHECK(errno_of([&] { file_at(a.tree, kSpace + "sleep-time").act("soon\n"); }) == EINVAL);
    CHECK(errno_of([&] { file_at(a.tree, kSpace + "sleep-time").act("0\n"); }) == EINVAL);
    CHECK(errno_of([&] { file_at(a.tree, kSpace + "storage").act("\n"); }) == EINVAL);
    CHECK(a.hub.calls.empty());
    CHECK(SpacesRuntimeArea::parse_sleep_time("-1") == -1);
}

TEST_CASE("secrets are write-only and listed by key; variables read back; rm deletes both") {
    Area a;
    ControlFile secret = file_at(a.tree, kSpace + "secrets/API_KEY");
    CHECK_FALSE(static_cast<bool>(secret.render));  // reading is EACCES, at open
    CHECK(secret.mode == 0200);
    secret.act("s3cr3t-value\n");
    CHECK(a.hub.secrets.at("API_KEY") == "s3cr3t-value");
    CHECK(folder_at(a.tree, kSpace + "secrets").names() == std::vector<std::string>{"API_KEY"});
    folder_at(a.tree, kSpace + "secrets").remove("API_KEY");
    CHECK(a.hub.secrets.empty());

    CHECK(errno_of([&] { file_at(a.tree, kSpace + "variables/MODE").render(); }) == ENOENT);
    file_at(a.tree, kSpace + "variables/MODE").act("fast\n");
    CHECK(file_at(a.tree, kSpace + "variables/MODE").render() == "fast\n");
    CHECK(folder_at(a.tree, kSpace + "variables").names() == std::vector<std::string>{"MODE"});
    folder_at(a.tree, kSpace + "variables").remove("MODE");
    CHECK(a.hub.vars.empty());

    CHECK_FALSE(a.tree.find(kSpace + "secrets/not a key").has_value());
    CHECK_FALSE(a.tree.find(kSpace + "variables/.hidden").has_value());
    CHECK_FALSE(a.tree.find(kSpace + "variables/9LIVES").has_value());
}

TEST_CASE("a Space that does not exist is no folder; other names are not files") {
    Area a;
    CHECK_FALSE(a.tree.find("spaces-runtime/alice/missing").has_value());
    CHECK_FALSE(a.tree.find(kSpace + "other").has_value());
    CHECK_FALSE(a.tree.find("spaces-runtime/.git").has_value());
}
