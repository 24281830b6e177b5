// libFuzzer target: what hubfs parses from the Hub and from paths a user types. The first byte
// picks the parser, the rest is its input: the Hub's JSON models (tree entries, repo info,
// refs, commits, users, LFS files, commit answers), the Link header, the mount's repository
// folder names and --repo specs, a safetensors header. Invariant: bad input is a typed error
// or "no match", never a crash, a hang or undefined behaviour.
#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>

#include <nlohmann/json.hpp>

#include "api/errors.hpp"
#include "api/hub_json.hpp"
#include "api/paged_list.hpp"
#include "api/safetensors_metadata.hpp"
#include "fs/hub_path.hpp"

namespace {

void json_models(const std::string& text) {
    using namespace hubfs::api;
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded()) return;
    auto attempt = [](auto&& parse) {
        try {
            parse();
        } catch (const std::exception&) {  // typed errors (InvalidResponseError, json type errors)
        }
    };
    attempt([&] { parse_tree_entry(j); });
    attempt([&] { RepoInfo info; parse_repo_info(j, RepoType::model, info); });
    attempt([&] { ModelInfo info; parse_model_info(j, info); });
    attempt([&] { DatasetInfo info; parse_dataset_info(j, info); });
    attempt([&] { SpaceInfo info; parse_space_info(j, info); });
    attempt([&] { parse_git_refs(j); });
    attempt([&] { parse_git_commit(j); });
    attempt([&] { parse_user(j); });
    attempt([&] { parse_lfs_file(j); });
    attempt([&] { parse_commit_response(j); });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    std::string in(reinterpret_cast<const char*>(data) + 1, size - 1);
    try {
        switch (data[0] % 4) {
            case 0: json_models(in); break;
            case 1: hubfs::api::next_page_url(in); break;
            case 2:
                hubfs::fs::parse_repo_dir_name(in);
                hubfs::fs::parse_repo_spec(in);
                break;
            case 3: hubfs::api::parse_safetensors_header(in); break;
        }
    } catch (const hubfs::api::HubError&) {
    } catch (const nlohmann::json::exception&) {
    }
    return 0;
}
