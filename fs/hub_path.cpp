#include "fs/hub_path.hpp"

#include <algorithm>

namespace hubfs::fs {

std::optional<RepoType> type_from_plural(std::string_view s) {
    auto type = api::repo_type_from_string(s);
    if (type && s == type_plural(*type)) return type;
    return std::nullopt;
}

bool valid_repo_name(std::string_view s) {
    if (s.empty() || s.size() > 96) return false;
    for (char c : s)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-')) return false;
    if (s.front() == '-' || s.front() == '.' || s.back() == '-' || s.back() == '.') return false;
    if (s.find("--") != std::string_view::npos || s.find("..") != std::string_view::npos) return false;
    return !(s.size() >= 4 && s.substr(s.size() - 4) == ".git");
}

bool is_commit_sha(std::string_view rev) {
    return rev.size() == 40 &&
           std::all_of(rev.begin(), rev.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

std::optional<int> pull_request_number(std::string_view rev) {
    constexpr std::string_view prefix = "refs/pr/";
    if (!rev.starts_with(prefix) || rev.size() == prefix.size() || rev.size() > prefix.size() + 9) return std::nullopt;
    int n = 0;
    for (char c : rev.substr(prefix.size())) {
        if (c < '0' || c > '9') return std::nullopt;
        n = n * 10 + (c - '0');
    }
    return n > 0 ? std::optional(n) : std::nullopt;
}

namespace {

std::optional<std::string> percent_decode(std::string_view s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '%') {
            out.push_back(s[i]);
            continue;
        }
        if (i + 2 >= s.size()) return std::nullopt;
        auto hex = [](char c) -> int {
            if (c >= '0' && c <= '9') return c - '0';
            if (c >= 'a' && c <= 'f') return c - 'a' + 10;
            if (c >= 'A' && c <= 'F') return c - 'A' + 10;
            return -1;
        };
        int hi = hex(s[i + 1]), lo = hex(s[i + 2]);
        if (hi < 0 || lo < 0) return std::nullopt;
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
    }
    return out;
}

}  // namespace

std::optional<RepoDirName> parse_repo_dir_name(std::string_view dir_name) {
    RepoDirName out;
    auto at = dir_name.find('@');
    out.name = std::string(dir_name.substr(0, at));
    if (!valid_repo_name(out.name)) return std::nullopt;
    if (at != std::string_view::npos) {
        auto rev = percent_decode(dir_name.substr(at + 1));
        if (!rev || rev->empty() || rev->find('\0') != std::string::npos || rev->find("..") != std::string::npos)
            return std::nullopt;
        out.rev = *rev;
    }
    return out;
}

std::optional<RepoSpec> parse_repo_spec(std::string_view spec) {
    auto slash = spec.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    std::string type(spec.substr(0, slash));
    if (!type.empty() && type.back() != 's') type += 's';
    auto t = type_from_plural(type);
    if (!t) return std::nullopt;
    std::string_view rest = spec.substr(slash + 1);
    std::string ns;
    if (auto s2 = rest.find('/'); s2 != std::string_view::npos) {
        ns = std::string(rest.substr(0, s2));
        rest = rest.substr(s2 + 1);
        if (!valid_repo_name(ns)) return std::nullopt;
    }
    auto dir = parse_repo_dir_name(rest);
    if (!dir) return std::nullopt;
    RepoSpec out;
    out.repo.type = *t;
    out.repo.id = ns.empty() ? dir->name : ns + "/" + dir->name;
    out.rev = dir->rev;
    return out;
}

}  // namespace hubfs::fs
