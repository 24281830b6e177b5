#include "access.hpp"

#include <stdexcept>

namespace localhub {

void Access::add_user(const std::string& spec) {
    auto c1 = spec.find(':');
    if (c1 == std::string::npos || c1 == 0) throw std::invalid_argument("--user must be NAME:TOKEN[:read|write]");
    User u;
    u.name = spec.substr(0, c1);
    auto rest = spec.substr(c1 + 1);
    auto c2 = rest.rfind(':');
    if (c2 != std::string::npos && (rest.substr(c2 + 1) == "read" || rest.substr(c2 + 1) == "write")) {
        u.can_write = rest.substr(c2 + 1) == "write";
        rest = rest.substr(0, c2);
    }
    if (rest.empty() || !valid_repo_name(u.name)) throw std::invalid_argument("--user must be NAME:TOKEN[:read|write]");
    u.token = rest;
    by_token_[u.token] = u;
}

void Access::add_org(const std::string& spec) {
    auto c = spec.find(':');
    if (c == std::string::npos || c == 0) throw std::invalid_argument("--org must be ORG:MEMBER[,MEMBER...]");
    auto& members = org_members_[spec.substr(0, c)];
    std::string list = spec.substr(c + 1);
    size_t start = 0;
    while (start <= list.size()) {
        size_t comma = list.find(',', start);
        if (comma == std::string::npos) comma = list.size();
        if (comma > start) members.insert(list.substr(start, comma - start));
        start = comma + 1;
    }
}

Caller Access::identify(const HttpRequest& req) const {
    Caller c;
    std::string auth = req.header("authorization");
    if (auth.empty()) return c;
    static const std::string kBearer = "Bearer ";
    std::string token = auth.rfind(kBearer, 0) == 0 ? auth.substr(kBearer.size()) : auth;
    auto it = by_token_.find(token);
    if (it == by_token_.end()) c.bad_token = true;
    else c.user = &it->second;
    return c;
}

bool Access::is_member(const Caller& c, const std::string& ns) const {
    if (!c.user) return false;
    if (c.user->name == ns) return true;
    auto it = org_members_.find(ns);
    return it != org_members_.end() && it->second.count(c.user->name) > 0;
}

bool Access::can_read(const Caller& c, const RepoId& id, const RepoMeta& meta) const {
    return !meta.is_private || is_member(c, id.ns);
}

bool Access::can_write(const Caller& c, const RepoId& id) const {
    return c.user && c.user->can_write && is_member(c, id.ns);
}

std::vector<std::string> Access::orgs_of(const std::string& user) const {
    std::vector<std::string> out;
    for (const auto& [org, members] : org_members_)
        if (members.count(user)) out.push_back(org);
    return out;
}

}  // namespace localhub
