// The control-file framework without FUSE: areas found by walking a path, folders listing and
// finding children, files rendering and acting.
#include <doctest/doctest.h>

#include <map>

#include "fs/control/control_tree.hpp"

using namespace hubfs::fs;

namespace {

// An area as a small keyed store: /notes/<key> files that read and replace their text.
ControlFolder notes_area(std::map<std::string, std::string>& notes) {
    ControlFolder root;
    root.names = [&notes] {
        std::vector<std::string> out;
        for (const auto& [k, v] : notes) out.push_back(k);
        return out;
    };
    root.child = [&notes](const std::string& name) -> std::optional<ControlEntry> {
        if (!notes.count(name)) return std::nullopt;
        ControlFile f;
        f.render = [&notes, name] { return notes.at(name); };
        f.act = [&notes, name](std::string_view text) { notes[name] = std::string(text); };
        return f;
    };
    root.remove = [&notes](const std::string& name) { notes.erase(name); };
    return root;
}

}  // namespace

TEST_CASE("a control path splits into its names, empty pieces dropped") {
    CHECK(split_control_path("a/b/c") == std::vector<std::string>{"a", "b", "c"});
    CHECK(split_control_path("/a//b/") == std::vector<std::string>{"a", "b"});
    CHECK(split_control_path("").empty());
}

TEST_CASE("areas are found by name, their entries by walking the path; each walk reads live state") {
    std::map<std::string, std::string> notes{{"one", "1"}};
    ControlTree tree;
    CHECK(tree.empty());
    tree.add_area("notes", [&notes] { return notes_area(notes); });
    CHECK(tree.area_names() == std::vector<std::string>{"notes"});
    CHECK(tree.has_area("notes"));
    CHECK_FALSE(tree.find("other").has_value());

    auto root = tree.find("notes");
    REQUIRE(root.has_value());
    REQUIRE(std::holds_alternative<ControlFolder>(*root));
    CHECK(std::get<ControlFolder>(*root).names() == std::vector<std::string>{"one"});

    auto one = tree.find("notes/one");
    REQUIRE(one.has_value());
    auto& file = std::get<ControlFile>(*one);
    CHECK(file.render() == "1");
    file.act("uno");
    CHECK(tree.find("notes/one").has_value());
    CHECK(std::get<ControlFile>(*tree.find("notes/one")).render() == "uno");

    notes.emplace("two", "2");  // state changed behind the tree: the next walk sees it
    CHECK(tree.find("notes/two").has_value());
    std::get<ControlFolder>(*tree.find("notes")).remove("one");
    CHECK_FALSE(tree.find("notes/one").has_value());
}

TEST_CASE("a file in the middle of a path, or an unknown name, finds nothing") {
    std::map<std::string, std::string> notes{{"one", "1"}};
    ControlTree tree;
    tree.add_area("notes", [&notes] { return notes_area(notes); });
    CHECK_FALSE(tree.find("notes/one/deeper").has_value());
    CHECK_FALSE(tree.find("notes/missing").has_value());
    CHECK_FALSE(tree.find("").has_value());
}

TEST_CASE("a folder's existence is asked only when it is the entry looked up, not on the way through") {
    int asked = 0;
    bool gone = false;
    ControlTree tree;
    tree.add_area("area", [&] {
        ControlFolder root;
        root.child = [&](const std::string& name) -> std::optional<ControlEntry> {
            if (name != "thing") return std::nullopt;
            ControlFolder thing;
            thing.exists = [&] {
                ++asked;
                return !gone;
            };
            thing.child = [](const std::string& n) -> std::optional<ControlEntry> {
                if (n != "file") return std::nullopt;
                ControlFile f;
                f.render = [] { return std::string("x"); };
                return f;
            };
            return thing;
        };
        return root;
    });
    CHECK(tree.find("area/thing").has_value());
    CHECK(asked == 1);
    CHECK(tree.find("area/thing/file").has_value());
    CHECK(asked == 1);
    gone = true;
    CHECK_FALSE(tree.find("area/thing").has_value());
}
