// The mount's namespace: /models/<ns>/<name>[@<rev>]/<path>, /datasets/..., /spaces/...
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "fs/remote.hpp"

namespace hubfs::fs {

std::optional<RepoType> type_from_plural(std::string_view s);

// "name" or "name@rev" as one directory name; the revision may be percent-encoded
// ("refs%2Fpr%2F1", as HfFileSystem writes it). nullopt when malformed.
struct RepoDirName {
    std::string name;
    std::string rev;  // "" = default branch
};
std::optional<RepoDirName> parse_repo_dir_name(std::string_view dir_name);

// Hub naming rules for a namespace or repository name.
bool valid_repo_name(std::string_view s);

// "TYPE/NS/NAME[@REV]" (as --repo takes it; TYPE is model(s), dataset(s) or space(s)).
struct RepoSpec {
    RepoRef repo;
    std::string rev;
};
std::optional<RepoSpec> parse_repo_spec(std::string_view spec);

// True for a full 40-hex commit id: such revisions never move.
bool is_commit_sha(std::string_view rev);
// N for a pull request's revision "refs/pr/N".
std::optional<int> pull_request_number(std::string_view rev);

}  // namespace hubfs::fs
