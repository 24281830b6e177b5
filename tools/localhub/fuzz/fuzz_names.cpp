// libFuzzer target: what URLs and bodies name: percent-decoding and path splitting, query
// strings, repository ids, paths inside a repository, LFS pointers. Invariants: a valid repo
// id never holds '/', "..", NUL or non-ASCII; a checked repo path never has a "." or ".."
// segment, a leading '/', NUL or backslash.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "api_support.hpp"
#include "lfs_pointer.hpp"
#include "repo_store.hpp"
#include "url.hpp"

namespace {

bool bad_name(const std::string& s) {
    for (unsigned char c : s)
        if (c == '/' || c == '\\' || c == 0 || c >= 0x80) return true;
    return s == "." || s == ".." || s.find("..") != std::string::npos;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);
    localhub::parse_query(in);
    if (auto seg = localhub::split_path(in)) {
        for (size_t i = 0; i + 1 < seg->size(); ++i) {
            localhub::RepoId id{localhub::RepoType::model, (*seg)[i], (*seg)[i + 1]};
            if (localhub::valid_repo_id(id) && (bad_name(id.ns) || bad_name(id.name))) __builtin_trap();
        }
        for (const auto& s : *seg) {
            try {
                std::string p = localhub::checked_repo_path(s);
                if (p.empty() || p.front() == '/' || p.find('\0') != std::string::npos ||
                    p.find('\\') != std::string::npos)
                    __builtin_trap();
                size_t start = 0;
                while (start <= p.size()) {
                    size_t slash = p.find('/', start);
                    if (slash == std::string::npos) slash = p.size();
                    std::string part = p.substr(start, slash - start);
                    if (part == "." || part == ".." || part.empty()) __builtin_trap();
                    start = slash + 1;
                }
            } catch (const localhub::HubError&) {
            }
        }
    }
    if (auto key = localhub::RepoStore::from_key(std::string(in)))
        if (bad_name(key->ns) || bad_name(key->name)) __builtin_trap();
    if (auto p = localhub::parse_lfs_pointer(in))
        if (!localhub::is_sha256_hex(p->sha256)) __builtin_trap();
    return 0;
}
