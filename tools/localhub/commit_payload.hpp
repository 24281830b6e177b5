// One line of the NDJSON commit payload (protocol §5.4): {"key": ..., "value": {...}}, checked.
// Hub::commit reads the body line by line and turns each line into a pending operation.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace localhub {

struct PayloadLine {
    std::string key;        // "header", "file", "lfsFile", "deletedFile", "deletedFolder", ...
    nlohmann::json value;   // an object
};

// nullopt for a blank line; HubError(400) naming line_no for anything but a key/value object.
std::optional<PayloadLine> parse_payload_line(std::string_view line, size_t line_no);

struct CommitHeader {
    std::string summary, description;
    std::optional<std::string> parent;
};
// The header line's value; HubError(400) without a string summary.
CommitHeader parse_commit_header(const nlohmann::json& value);

// A string field of an operation; HubError(400) when missing or not a string.
std::string string_field(const nlohmann::json& value, const char* name, const std::string& op);

}  // namespace localhub
