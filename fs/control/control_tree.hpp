// The control areas at the mount's root (next to models/, datasets/, spaces/): each a named
// folder of control entries (control_entry.hpp), found by walking a path one name at a time.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "fs/control/control_entry.hpp"

namespace hubfs::fs {

class ControlTree {
public:
    // An area's root folder, made afresh on each walk (its entries read live state).
    void add_area(const std::string& name, std::function<ControlFolder()> root);
    bool empty() const { return areas_.empty(); }
    std::vector<std::string> area_names() const;
    bool has_area(const std::string& name) const { return areas_.count(name) > 0; }
    // The entry at a path below the root ("discussions/models/ns/name/3/thread.md"); nullopt
    // when a name on the way does not exist, a file stands where a folder is needed, or the
    // folder found says it no longer exists.
    std::optional<ControlEntry> find(const std::string& path) const;

private:
    std::map<std::string, std::function<ControlFolder()>> areas_;
};

// The pieces of a control path: "a/b/c" -> {"a", "b", "c"}.
std::vector<std::string> split_control_path(const std::string& path);

}  // namespace hubfs::fs
