// /spaces-runtime/<ns>/<name>/: a Space's runtime as files.
//   runtime.json      stage, hardware (current, requested), sleep time, storage, error
//   restart, pause    write (anything): restarts / pauses the Space
//   hardware          read/write: the requested flavor (cpu-basic, t4-small, ...)
//   sleep-time        read/write: seconds of inactivity before it sleeps; -1 or "never"
//   storage           read/write: small | medium | large; "none" removes the storage
//   secrets/<KEY>     write-only: sets the secret (reading is EACCES); rm deletes; ls: keys only
//   variables/<KEY>   read/write: the variable's value; rm deletes
// Reads are live (rendered at every open); a write is the action, its errno the outcome. A
// secret's value is passed on to the Hub and nowhere else: no rendering, message or log has it.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "fs/control/control_entry.hpp"
#include "fs/control/spaces_runtime_remote.hpp"

namespace hubfs::fs {

class SpacesRuntimeArea {
public:
    // namespaces: what `ls` of the area shows (the user and their organisations); spaces_of: a
    // namespace's Spaces. Any other namespace or Space can still be looked up by name.
    SpacesRuntimeArea(SpacesRuntimeRemote& remote, std::function<std::vector<std::string>()> namespaces,
                      std::function<std::vector<std::string>(const std::string&)> spaces_of)
        : remote_(remote), namespaces_(std::move(namespaces)), spaces_of_(std::move(spaces_of)) {}

    ControlFolder root();

    // Renderings and parsings, apart for tests.
    static std::string runtime_json(const SpaceRuntimeState& rt);
    static int64_t parse_sleep_time(std::string_view text);  // throws EINVAL
    static bool valid_key(const std::string& key);          // a secret's or variable's name

private:
    ControlFolder namespace_folder(const std::string& ns);
    ControlFolder space_folder(const std::string& space);
    ControlFolder secrets_folder(const std::string& space);
    ControlFolder variables_folder(const std::string& space);
    std::optional<ControlEntry> setting_file(const std::string& space, const std::string& name);

    SpacesRuntimeRemote& remote_;
    std::function<std::vector<std::string>()> namespaces_;
    std::function<std::vector<std::string>(const std::string&)> spaces_of_;
};

}  // namespace hubfs::fs
