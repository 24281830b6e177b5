// What the control areas' unit tests share: the entry at a path of a tree, and the errno an
// action ends with (through the one mapping the mount uses, fs/errno_map).
#pragma once

#include <doctest/doctest.h>

#include <functional>
#include <string>
#include <variant>

#include "fs/control/control_tree.hpp"
#include "fs/errno_map.hpp"

namespace hubfs::fs {

inline ControlFile file_at(ControlTree& tree, const std::string& path) {
    auto e = tree.find(path);
    REQUIRE_MESSAGE(e.has_value(), path);
    REQUIRE(std::holds_alternative<ControlFile>(*e));
    return std::get<ControlFile>(*e);
}

inline ControlFolder folder_at(ControlTree& tree, const std::string& path) {
    auto e = tree.find(path);
    REQUIRE_MESSAGE(e.has_value(), path);
    REQUIRE(std::holds_alternative<ControlFolder>(*e));
    return std::get<ControlFolder>(*e);
}

// 0 if f returns, else the errno its exception maps to.
inline int errno_of(const std::function<void()>& f) {
    try {
        f();
    } catch (...) {
        return errno_from_current_exception("test action");
    }
    return 0;
}

}  // namespace hubfs::fs
