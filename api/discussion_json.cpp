#include "discussion_json.hpp"

#include "errors.hpp"

namespace hubfs::api {

namespace {

using json = nlohmann::json;

[[noreturn]] void invalid(const std::string& what) {
    throw InvalidResponseError(ErrorDetails{0, "discussion answer: " + what, {}, {}});
}

std::string str(const json& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string author_name(const json& j) {
    auto it = j.find("author");
    return it != j.end() && it->is_object() ? str(*it, "name") : std::string();
}

}  // namespace

Discussion parse_discussion(const json& j, const Repo& repo) {
    if (!j.is_object()) invalid("expected an object");
    auto num = j.find("num");
    if (num == j.end() || !num->is_number_integer()) invalid("missing num");
    Discussion d;
    d.num = num->get<int>();
    d.title = str(j, "title");
    d.status = str(j, "status");
    d.is_pull_request = j.value("isPullRequest", false);
    d.author = author_name(j);
    d.created_at = str(j, "createdAt");
    d.repo_id = repo.id;
    d.repo_type = repo.type;
    if (auto r = j.find("repo"); r != j.end() && r->is_object()) {
        if (auto name = str(*r, "name"); !name.empty()) d.repo_id = name;
        if (auto type = repo_type_from_string(str(*r, "type"))) d.repo_type = *type;
    }
    return d;
}

DiscussionEvent parse_discussion_event(const json& j) {
    if (!j.is_object()) invalid("an event is not an object");
    DiscussionEvent e;
    e.id = str(j, "id");
    e.type = str(j, "type");
    e.created_at = str(j, "createdAt");
    e.author = author_name(j);
    const json data = j.contains("data") && j["data"].is_object() ? j["data"] : json::object();
    if (e.type == "comment") {
        e.edited = data.value("edited", false);
        e.hidden = data.value("hidden", false);
        if (auto latest = data.find("latest"); latest != data.end() && latest->is_object()) e.content = str(*latest, "raw");
        if (auto history = data.find("history"); history != data.end() && history->is_array())
            for (const auto& h : *history)
                if (h.is_object()) e.edit_history.push_back(str(h, "raw"));
    } else if (e.type == "status-change") {
        e.new_status = str(data, "status");
    } else if (e.type == "commit") {
        e.summary = str(data, "subject");
        e.oid = str(data, "oid");
    } else if (e.type == "title-change") {
        e.old_title = str(data, "from");
        e.new_title = str(data, "to");
    }
    return e;
}

DiscussionWithDetails parse_discussion_details(const json& j, const Repo& repo) {
    DiscussionWithDetails d;
    static_cast<Discussion&>(d) = parse_discussion(j, repo);
    if (auto events = j.find("events"); events != j.end() && events->is_array())
        for (const auto& e : *events) d.events.push_back(parse_discussion_event(e));
    if (auto changes = j.find("changes"); changes != j.end() && changes->is_object()) {
        if (auto base = str(*changes, "base"); !base.empty()) d.target_branch = base;
        if (auto merged = str(*changes, "mergeCommitId"); !merged.empty()) d.merge_commit_oid = merged;
    }
    if (auto diff = j.find("diff"); diff != j.end() && diff->is_string()) d.diff = diff->get<std::string>();
    // A list of paths, or (older answers) a bool that only says whether there are any.
    if (auto files = j.find("filesWithConflicts"); files != j.end() && files->is_array())
        for (const auto& f : *files)
            if (f.is_string()) d.conflicting_files.push_back(f.get<std::string>());
    return d;
}

}  // namespace hubfs::api
