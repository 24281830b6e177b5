#include "commit_payload.hpp"

#include "api_support.hpp"

namespace localhub {

std::optional<PayloadLine> parse_payload_line(std::string_view line, size_t line_no) {
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) return std::nullopt;
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(line.begin(), line.end());
    } catch (const nlohmann::json::exception& e) {
        throw HubError(400, "line " + std::to_string(line_no) + " is not JSON: " + e.what());
    }
    if (!j.is_object() || !j.contains("key") || !j["key"].is_string() || !j.contains("value") || !j["value"].is_object())
        throw HubError(400, "line " + std::to_string(line_no) + " must be {\"key\": ..., \"value\": {...}}");
    return PayloadLine{j["key"].get<std::string>(), std::move(j["value"])};
}

std::string string_field(const nlohmann::json& value, const char* name, const std::string& op) {
    if (!value.is_object() || !value.contains(name)) throw HubError(400, "'" + op + "' operation without '" + name + "'");
    const auto& f = value[name];
    if (!f.is_string()) throw HubError(400, "'" + op + "." + name + "' must be a string");
    return f.get<std::string>();
}

CommitHeader parse_commit_header(const nlohmann::json& value) {
    CommitHeader h;
    h.summary = string_field(value, "summary", "header");
    if (value.contains("description") && value["description"].is_string()) h.description = value["description"];
    if (value.contains("parentCommit") && value["parentCommit"].is_string()) h.parent = value["parentCommit"];
    return h;
}

}  // namespace localhub
