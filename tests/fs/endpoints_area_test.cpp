// The Inference Endpoints area without FUSE or a Hub: its files over a fake EndpointsRemote.
#include <doctest/doctest.h>

#include <cerrno>
#include <map>

#include "fs/control/endpoints_area.hpp"
#include "control_test_support.hpp"
#include "fs/errno_map.hpp"

using namespace hubfs::fs;

namespace {

class FakeEndpoints : public EndpointsRemote {
public:
    std::map<std::string, EndpointState> all;  // "ns/name"
    std::map<std::string, EndpointSpec> specs;
    std::vector<std::string> calls;

    std::vector<EndpointState> list(const std::string& ns) override {
        std::vector<EndpointState> out;
        for (const auto& [k, e] : all)
            if (e.ns == ns) out.push_back(e);
        return out;
    }
    EndpointState get(const std::string& ns, const std::string& name) override { return at(ns, name); }
    EndpointState create(const std::string& ns, const EndpointSpec& spec) override {
        if (all.count(ns + "/" + spec.name)) throw RemoteError(RemoteError::Kind::conflict, "exists");
        EndpointState e;
        e.name = spec.name;
        e.ns = ns;
        e.status = "pending";
        e.repository = spec.repository;
        e.compute = {{"accelerator", spec.accelerator.value_or("cpu")}};
        all[ns + "/" + spec.name] = e;
        specs[ns + "/" + spec.name] = spec;
        calls.push_back("create " + spec.name);
        return e;
    }
    EndpointState update(const std::string& ns, const std::string& name, const EndpointUpdate& u) override {
        if (u.repository) at(ns, name).repository = *u.repository;
        calls.push_back("update " + name);
        return at(ns, name);
    }
    EndpointState pause(const std::string& ns, const std::string& name) override { return set(ns, name, "paused"); }
    EndpointState resume(const std::string& ns, const std::string& name) override { return set(ns, name, "pending"); }
    EndpointState scale_to_zero(const std::string& ns, const std::string& name) override { return set(ns, name, "scaledToZero"); }
    void remove(const std::string& ns, const std::string& name) override {
        at(ns, name);
        all.erase(ns + "/" + name);
        calls.push_back("delete " + name);
    }

private:
    EndpointState& at(const std::string& ns, const std::string& name) {
        auto it = all.find(ns + "/" + name);
        if (it == all.end()) throw RemoteError(RemoteError::Kind::not_found, "no endpoint " + name);
        return it->second;
    }
    EndpointState set(const std::string& ns, const std::string& name, const std::string& status) {
        at(ns, name).status = status;
        calls.push_back(status + " " + name);
        return at(ns, name);
    }
};

struct Area {
    FakeEndpoints hub;
    EndpointsArea area{hub, [] { return std::vector<std::string>{"alice"}; }};
    ControlTree tree;
    Area() {
        tree.add_area("endpoints", [this] { return area.root(); });
    }
    nlohmann::json status(const std::string& name) {
        return nlohmann::json::parse(file_at(tree, "endpoints/alice/" + name + "/status.json").render());
    }
};

const char* kSpec = R"({"name": "tiny", "repository": "alice/model", "accelerator": "cpu", "min_replica": 0,
                        "env": {"A": "1"}, "secrets": {"TOKEN": "hidden-value-1"}})";

}  // namespace

TEST_CASE("new creates an endpoint from a JSON spec; status.json and the folder show it") {
    Area a;
    CHECK(folder_at(a.tree, "endpoints").names() == std::vector<std::string>{"alice"});
    CHECK(folder_at(a.tree, "endpoints/alice").names() == std::vector<std::string>{"new"});
    file_at(a.tree, "endpoints/alice/new").act(kSpec);
    CHECK(a.hub.calls == std::vector<std::string>{"create tiny"});
    CHECK(errno_of([&] { file_at(a.tree, "endpoints/alice/new").act(kSpec); }) == EEXIST);  // a taken name
    const EndpointSpec& sent = a.hub.specs.at("alice/tiny");
    CHECK(sent.min_replica == std::optional<int>(0));
    CHECK(sent.env.at("A") == "1");
    CHECK(sent.secrets.at("TOKEN") == "hidden-value-1");
    CHECK(file_at(a.tree, "endpoints/alice/new").render().find("last created: tiny") != std::string::npos);
    CHECK(folder_at(a.tree, "endpoints/alice").names() == std::vector<std::string>{"new", "tiny"});
    CHECK(folder_at(a.tree, "endpoints/alice/tiny").names() ==
          std::vector<std::string>{"status.json", "pause", "resume", "scale-to-zero", "update"});
    nlohmann::json s = a.status("tiny");
    CHECK(s["status"] == "pending");
    CHECK(s["repository"] == "alice/model");
    CHECK(s["compute"]["accelerator"] == "cpu");
    CHECK(s.dump().find("hidden-value-1") == std::string::npos);
}

TEST_CASE("pause, resume, scale-to-zero and update act; rm -r deletes") {
    Area a;
    file_at(a.tree, "endpoints/alice/new").act(kSpec);
    file_at(a.tree, "endpoints/alice/tiny/pause").act("\n");
    CHECK(a.status("tiny")["status"] == "paused");
    file_at(a.tree, "endpoints/alice/tiny/resume").act("\n");
    CHECK(a.status("tiny")["status"] == "pending");
    file_at(a.tree, "endpoints/alice/tiny/scale-to-zero").act("\n");
    CHECK(a.status("tiny")["status"] == "scaledToZero");
    file_at(a.tree, "endpoints/alice/tiny/update").act(R"({"repository": "alice/other"})");
    CHECK(a.status("tiny")["repository"] == "alice/other");
    // rm -r: the files go quietly (views of the endpoint), the folder's removal deletes it.
    folder_at(a.tree, "endpoints/alice/tiny").remove("status.json");
    CHECK(a.hub.all.count("alice/tiny") == 1);
    folder_at(a.tree, "endpoints/alice").remove("tiny");
    CHECK(a.hub.all.empty());
    CHECK_FALSE(a.tree.find("endpoints/alice/tiny").has_value());
}

TEST_CASE("malformed specs and updates are EINVAL and reach no call") {
    Area a;
    auto create = [&](const std::string& text) { return errno_of([&] { file_at(a.tree, "endpoints/alice/new").act(text); }); };
    CHECK(create("{not json") == EINVAL);
    CHECK(create("[1, 2]") == EINVAL);
    CHECK(create(R"({"repository": "alice/model"})") == EINVAL);                       // no name
    CHECK(create(R"({"name": "Bad_Name", "repository": "alice/model"})") == EINVAL);
    CHECK(create(R"({"name": "tiny"})") == EINVAL);                                     // no repository
    CHECK(create(R"({"name": "tiny", "repository": "alice/model", "min_replica": "1"})") == EINVAL);
    CHECK(create(R"({"name": "tiny", "repository": "alice/model", "acelerator": "cpu"})") == EINVAL);  // a typo
    CHECK(create(R"({"name": "tiny", "repository": "alice/model", "env": {"A": 1}})") == EINVAL);
    CHECK(a.hub.calls.empty());
    file_at(a.tree, "endpoints/alice/new").act(kSpec);
    a.hub.calls.clear();
    auto update = [&](const std::string& text) { return errno_of([&] { file_at(a.tree, "endpoints/alice/tiny/update").act(text); }); };
    CHECK(update("{}") == EINVAL);
    CHECK(update("nope") == EINVAL);
    CHECK(update(R"({"name": "other"})") == EINVAL);
    CHECK(a.hub.calls.empty());
    CHECK_FALSE(a.tree.find("endpoints/alice/missing").has_value());
    CHECK_FALSE(a.tree.find("endpoints/alice/tiny/other").has_value());
    CHECK_FALSE(static_cast<bool>(file_at(a.tree, "endpoints/alice/tiny/update").render));
}
