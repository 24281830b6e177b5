// Small pieces the control areas share: a one-line value as `echo` writes it, files made of a
// render and an act, and an area's root of namespaces.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "fs/control/control_entry.hpp"

namespace hubfs::fs {

// What a one-line file was given: its first line, without the newline `echo` adds.
inline std::string one_line(std::string_view text) {
    std::string line(text.substr(0, text.find('\n')));
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.pop_back();
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.erase(line.begin());
    return line;
}

inline ControlFile make_control_file(mode_t mode, std::function<std::string()> render,
                                std::function<void(std::string_view)> act = {}) {
    ControlFile f;
    f.mode = mode;
    f.render = std::move(render);
    f.act = std::move(act);
    return f;
}

// A write-only file whose write is one action (its bytes are not needed: restart, pause...).
inline ControlFile action_file(std::function<void()> act) {
    return make_control_file(0200, {}, [act = std::move(act)](std::string_view) { act(); });
}

// An area's root: lists `names` (the user's namespaces) and reaches any other namespace by name.
inline ControlFolder namespaces_root(std::function<std::vector<std::string>()> names,
                                     std::function<ControlFolder(const std::string&)> folder) {
    ControlFolder f;
    f.names = std::move(names);
    f.child = [folder = std::move(folder)](const std::string& ns) -> std::optional<ControlEntry> {
        if (ns.empty() || ns.front() == '.') return std::nullopt;
        return folder(ns);
    };
    return f;
}

}  // namespace hubfs::fs
