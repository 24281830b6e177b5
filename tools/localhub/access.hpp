// Users, tokens, organisations, and who may read or write which repository.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "http_message.hpp"
#include "repo_store.hpp"

namespace localhub {

struct User {
    std::string name;
    std::string token;
    bool can_write = true;
};

struct Caller {
    const User* user = nullptr;  // nullptr: anonymous
    bool bad_token = false;      // an Authorization header with an unknown token
};

class Access {
public:
    // "NAME:TOKEN[:read|write]"; throws std::invalid_argument.
    void add_user(const std::string& spec);
    // "ORG:MEMBER[,MEMBER...]"; throws std::invalid_argument.
    void add_org(const std::string& spec);

    Caller identify(const HttpRequest& req) const;
    bool is_member(const Caller& c, const std::string& ns) const;  // own namespace or an org of theirs
    bool can_read(const Caller& c, const RepoId& id, const RepoMeta& meta) const;
    bool can_write(const Caller& c, const RepoId& id) const;
    std::vector<std::string> orgs_of(const std::string& user) const;

private:
    std::map<std::string, User> by_token_;
    std::map<std::string, std::set<std::string>> org_members_;
};

}  // namespace localhub
