// The Hub's discussion JSON (protocol §6) to the structs of discussion.hpp.
#pragma once

#include "discussion.hpp"

#include <nlohmann/json.hpp>

namespace hubfs::api {

Discussion parse_discussion(const nlohmann::json& j, const Repo& repo);
DiscussionWithDetails parse_discussion_details(const nlohmann::json& j, const Repo& repo);
DiscussionEvent parse_discussion_event(const nlohmann::json& j);

}  // namespace hubfs::api
