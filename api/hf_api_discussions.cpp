// HfApi: discussions and pull requests (protocol §6). Titles, statuses and comment texts are
// checked by the Hub, not here, so that a refusal carries the Hub's own message.
#include "discussion_json.hpp"
#include "errors.hpp"
#include "hf_api.hpp"
#include "hub_json.hpp"
#include "url.hpp"

#include <stdexcept>

namespace hubfs::api {

namespace {

// The Python client's default description, so that both open threads the same way.
constexpr const char* default_description = "Discussion opened with the huggingface_hub Python library";

std::string discussion_path(int num) {
    if (num <= 0) throw std::invalid_argument("discussion_num must be a strictly positive integer");
    return "/discussions/" + std::to_string(num);
}

// A 404 that names no repo, revision or entry is about the discussion or comment itself.
const HttpResponse& expect_discussion_ok(const HttpResponse& response) {
    if (response.ok()) return response;
    if (response.status == 404 && response.headers.get_or("X-Error-Code").empty()) {
        std::string request_id = response.request_id.empty() ? response.headers.get_or("X-Request-Id") : response.request_id;
        throw_error(ErrorKind::discussion_not_found,
                    ErrorDetails{response.status, server_message(response), request_id,
                                 response.url.substr(0, response.url.find('?'))});
    }
    throw_http_error(response);
}

// The event under `key` of an action's answer ({"newMessage": {...}} and the like).
DiscussionEvent event_in(const HttpResponse& response, const char* key) {
    auto body = parse_json_body(response.body, response.url);
    if (!body.is_object() || !body.contains(key))
        throw InvalidResponseError(ErrorDetails{response.status, std::string("answer without ") + key,
                                                response.request_id, response.url});
    return parse_discussion_event(body[key]);
}

}  // namespace

std::vector<Discussion> HfApi::get_repo_discussions(const Repo& repo, const DiscussionFilter& filter) {
    std::string query;
    auto add = [&](const char* key, const std::optional<std::string>& value) {
        if (value && !value->empty()) query += std::string("&") + key + "=" + percent_encode(*value);
    };
    add("author", filter.author);
    add("type", filter.discussion_type);
    add("status", filter.discussion_status);
    // Page-number pagination (protocol §1.7): ?p=0, 1, ... until start + page size reaches count.
    std::vector<Discussion> all;
    for (int page = 0;; ++page) {
        nlohmann::json body;
        HttpRequest request;
        request.url = api_url(repo, "/discussions?p=" + std::to_string(page) + query);
        HttpResponse response = http_.send(request);
        expect_ok(response);
        body = parse_json_body(response.body, request.url);
        if (!body.is_object() || !body.contains("discussions") || !body["discussions"].is_array())
            throw InvalidResponseError(ErrorDetails{response.status, "expected {\"discussions\": [...]}",
                                                    response.request_id, request.url});
        const auto& items = body["discussions"];
        for (const auto& item : items) all.push_back(parse_discussion(item, repo));
        size_t count = body.value("count", size_t{0});
        size_t start = body.value("start", all.size() - items.size());
        if (items.empty() || start + items.size() >= count) break;
    }
    return all;
}

DiscussionWithDetails HfApi::get_discussion_details(const Repo& repo, int discussion_num) {
    HttpRequest request;
    request.url = api_url(repo, discussion_path(discussion_num) + "?diff=1");
    HttpResponse response = http_.send(request);
    expect_discussion_ok(response);
    return parse_discussion_details(parse_json_body(response.body, request.url), repo);
}

DiscussionWithDetails HfApi::create_discussion(const Repo& repo, const std::string& title,
                                               const std::optional<std::string>& description, bool pull_request) {
    nlohmann::json body = {{"title", title},
                           {"description", description.value_or(default_description)},
                           {"pullRequest", pull_request}};
    HttpResponse response = send_json("POST", api_url(repo, "/discussions"), body, false);
    expect_ok(response);
    auto answer = parse_json_body(response.body, response.url);
    if (!answer.is_object() || !answer.contains("num") || !answer["num"].is_number_integer())
        throw InvalidResponseError(ErrorDetails{response.status, "create_discussion: answer without num",
                                                response.request_id, response.url});
    return get_discussion_details(repo, answer["num"].get<int>());
}

DiscussionWithDetails HfApi::create_pull_request(const Repo& repo, const std::string& title,
                                                 const std::optional<std::string>& description) {
    return create_discussion(repo, title, description, true);
}

DiscussionEvent HfApi::comment_discussion(const Repo& repo, int discussion_num, const std::string& comment) {
    auto response = send_json("POST", api_url(repo, discussion_path(discussion_num) + "/comment"), {{"comment", comment}}, false);
    return event_in(expect_discussion_ok(response), "newMessage");
}

DiscussionEvent HfApi::edit_discussion_comment(const Repo& repo, int discussion_num, const std::string& comment_id,
                                               const std::string& new_content) {
    std::string path = discussion_path(discussion_num) + "/comment/" + percent_encode(comment_id) + "/edit";
    auto response = send_json("POST", api_url(repo, path), {{"content", new_content}}, false);
    return event_in(expect_discussion_ok(response), "updatedComment");
}

DiscussionEvent HfApi::hide_discussion_comment(const Repo& repo, int discussion_num, const std::string& comment_id) {
    HttpRequest request;
    request.method = "POST";
    request.url = api_url(repo, discussion_path(discussion_num) + "/comment/" + percent_encode(comment_id) + "/hide");
    request.idempotent = false;
    HttpResponse response = http_.send(request);
    return event_in(expect_discussion_ok(response), "updatedComment");
}

DiscussionEvent HfApi::rename_discussion(const Repo& repo, int discussion_num, const std::string& new_title) {
    auto response = send_json("POST", api_url(repo, discussion_path(discussion_num) + "/title"), {{"title", new_title}}, false);
    return event_in(expect_discussion_ok(response), "newTitle");
}

DiscussionEvent HfApi::change_discussion_status(const Repo& repo, int discussion_num, const std::string& new_status,
                                                const std::optional<std::string>& comment) {
    nlohmann::json body = {{"status", new_status}};
    if (comment) body["comment"] = *comment;
    auto response = send_json("POST", api_url(repo, discussion_path(discussion_num) + "/status"), body, false);
    return event_in(expect_discussion_ok(response), "newStatus");
}

std::optional<DiscussionEvent> HfApi::merge_pull_request(const Repo& repo, int discussion_num,
                                                         const std::optional<std::string>& comment) {
    nlohmann::json body = nlohmann::json::object();
    if (comment) body["comment"] = *comment;
    auto response = send_json("POST", api_url(repo, discussion_path(discussion_num) + "/merge"), body, false);
    expect_discussion_ok(response);
    // The Hub answers 200 with a body the Python client ignores; localhub names the status event.
    auto answer = nlohmann::json::parse(response.body, nullptr, false);
    if (answer.is_object() && answer.contains("newStatus")) return parse_discussion_event(answer["newStatus"]);
    return std::nullopt;
}

}  // namespace hubfs::api
