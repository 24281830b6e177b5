// A repository's .gitignore, as the Hub applies it at preupload (shouldIgnore): files it ignores
// are left out of the commit. The common subset of gitignore: blank lines and # comments,
// `!` to re-include, a trailing `/` for folders only, a pattern with a `/` anchored at the root,
// one without matched against every name along the path; the last matching line decides.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace localhub {

class GitIgnore {
public:
    explicit GitIgnore(std::string_view text);
    bool ignores(const std::string& path) const;
    bool empty() const { return rules_.empty(); }

private:
    struct Rule {
        std::string pattern;
        bool negate = false, folder_only = false, anchored = false;
    };
    std::vector<Rule> rules_;
};

}  // namespace localhub
