#include "fs/control/discussions_area.hpp"

#include <cerrno>
#include <charconv>
#include <sstream>

#include "fs/errno_map.hpp"
#include "fs/hub_path.hpp"

namespace hubfs::fs {
namespace {

constexpr RepoType kTypes[] = {RepoType::model, RepoType::dataset, RepoType::space};

std::optional<int> number_of(const std::string& name) {
    int n = 0;
    auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), n);
    if (ec != std::errc() || end != name.data() + name.size() || n <= 0 || name.front() == '0') return std::nullopt;
    return n;
}

// What a one-line file was given: its first line, without the newline `echo` adds.
std::string first_line(std::string_view text) {
    std::string line(text.substr(0, text.find('\n')));
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    return line;
}

ControlFile text_file(mode_t mode, std::function<std::string()> render, std::function<void(std::string_view)> act = {}) {
    ControlFile f;
    f.mode = mode;
    f.render = std::move(render);
    f.act = std::move(act);
    return f;
}

std::string kind_of(const DiscussionSummary& s) { return s.is_pull_request ? "pr" : "discussion"; }

}  // namespace

std::pair<std::string, std::string> DiscussionsArea::parse_new(std::string_view text) {
    size_t end = text.find('\n');
    std::string title = first_line(text);
    std::string body;
    if (end != std::string_view::npos) {
        body = std::string(text.substr(end + 1));
        while (!body.empty() && body.front() == '\n') body.erase(body.begin());
        while (!body.empty() && body.back() == '\n') body.pop_back();
    }
    if (title.empty()) throw FsError(EINVAL, "a discussion needs a title: write \"title\\n\\nbody\"");
    return {title, body};
}

std::string DiscussionsArea::index_text(const std::vector<DiscussionSummary>& list) {
    std::ostringstream out;
    for (const auto& s : list)
        out << s.num << "\t" << kind_of(s) << "\t" << s.status << "\t" << (s.author.empty() ? "(deleted)" : s.author) << "\t"
            << s.title << "\n";
    return out.str();
}

std::string DiscussionsArea::thread_text(const DiscussionDetails& d) {
    const DiscussionSummary& s = d.summary;
    std::ostringstream out;
    out << "# " << s.title << "\n\n"
        << "#" << s.num << " · " << (s.is_pull_request ? "pull request" : "discussion") << " · " << s.status << " · opened by "
        << (s.author.empty() ? "(deleted)" : s.author) << " on " << s.created_at << "\n";
    if (s.is_pull_request) {
        out << "base: " << (d.base.empty() ? "refs/heads/main" : d.base);
        if (!d.merge_commit.empty()) out << " · merge commit: " << d.merge_commit;
        out << "\n";
    }
    for (const auto& e : d.events) {
        std::string who = e.author.empty() ? "(deleted)" : e.author;
        out << "\n---\n";
        if (e.type == "comment") {
            if (e.hidden) {
                out << "_a comment by " << who << " was hidden_ (" << e.created_at << ")\n";
                continue;
            }
            out << "**" << who << "** commented on " << e.created_at << (e.edited ? " (edited)" : "") << ":\n\n"
                << e.text << "\n";
        } else if (e.type == "status-change") {
            out << "**" << who << "** changed the status to " << e.status << " on " << e.created_at << "\n";
        } else if (e.type == "title-change") {
            out << "**" << who << "** renamed it from \"" << e.from << "\" to \"" << e.to << "\" on " << e.created_at << "\n";
        } else if (e.type == "commit") {
            out << "**" << who << "** added commit " << e.oid.substr(0, 7) << ": " << e.subject << " on " << e.created_at << "\n";
        } else {
            out << "**" << who << "**: " << e.type << " on " << e.created_at << "\n";
        }
    }
    return out.str();
}

ControlFolder DiscussionsArea::root() {
    ControlFolder f;
    f.names = [] {
        std::vector<std::string> out;
        for (RepoType t : kTypes) out.push_back(type_plural(t));
        return out;
    };
    f.child = [this](const std::string& name) -> std::optional<ControlEntry> {
        auto type = type_from_plural(name);
        if (!type) return std::nullopt;
        return type_folder(*type);
    };
    return f;
}

ControlFolder DiscussionsArea::type_folder(RepoType type) {
    ControlFolder f;
    f.names = [] { return std::vector<std::string>{}; };  // the Hub's authors cannot be listed: look one up by name
    f.child = [this, type](const std::string& ns) -> std::optional<ControlEntry> { return namespace_folder(type, ns); };
    return f;
}

ControlFolder DiscussionsArea::namespace_folder(RepoType type, const std::string& ns) {
    ControlFolder f;
    f.names = [this, type, ns] { return repos_of_(type, ns); };
    f.child = [this, type, ns](const std::string& name) -> std::optional<ControlEntry> {
        if (name.empty() || name.front() == '.') return std::nullopt;
        return repo_folder(RepoRef{type, ns + "/" + name});
    };
    return f;
}

ControlFile DiscussionsArea::new_file(const RepoRef& repo, bool pull_request) {
    std::string key = repo.key() + (pull_request ? "#pr" : "");
    return text_file(
        0644,
        [this, key, pull_request] {
            std::string text = std::string("write \"title\\n\\nbody\" here to open a ") +
                               (pull_request ? "draft pull request" : "discussion") + "\n";
            std::lock_guard lock(mutex_);
            if (auto it = last_opened_.find(key); it != last_opened_.end())
                text += "last opened: " + std::to_string(it->second) + "\n";
            return text;
        },
        [this, repo, key, pull_request](std::string_view text) {
            auto [title, body] = parse_new(text);
            int num = remote_.open(repo, title, body, pull_request);
            std::lock_guard lock(mutex_);
            last_opened_[key] = num;
        });
}

ControlFolder DiscussionsArea::repo_folder(const RepoRef& repo) {
    ControlFolder f;
    f.names = [this, repo] {
        std::vector<std::string> out{"index", "new", "new-pr"};
        for (const auto& s : remote_.list(repo)) out.push_back(std::to_string(s.num));
        return out;
    };
    f.child = [this, repo](const std::string& name) -> std::optional<ControlEntry> {
        if (name == "index") return text_file(0444, [this, repo] { return index_text(remote_.list(repo)); });
        if (name == "new") return new_file(repo, false);
        if (name == "new-pr") return new_file(repo, true);
        auto num = number_of(name);
        if (!num) return std::nullopt;
        return discussion_folder(repo, *num);
    };
    return f;
}

ControlFolder DiscussionsArea::discussion_folder(const RepoRef& repo, int num) {
    ControlFolder f;
    f.exists = [this, repo, num] {
        try {
            remote_.details(repo, num, false);
            return true;
        } catch (const RemoteError& e) {
            if (e.kind == RemoteError::Kind::not_found) return false;
            throw;
        }
    };
    f.names = [] { return std::vector<std::string>{"thread.md", "comment", "status", "title", "merge", "diff"}; };
    f.child = [this, repo, num](const std::string& name) -> std::optional<ControlEntry> {
        auto details = [this, repo, num](bool diff) { return remote_.details(repo, num, diff); };
        if (name == "thread.md") return text_file(0444, [details] { return thread_text(details(false)); });
        if (name == "diff") return text_file(0444, [details] { return details(true).diff; });
        if (name == "comment") {
            ControlFile c;
            c.mode = 0200;
            c.act = [this, repo, num](std::string_view text) {
                std::string comment(text);
                while (!comment.empty() && comment.back() == '\n') comment.pop_back();
                if (comment.empty()) throw FsError(EINVAL, "an empty comment");
                remote_.comment(repo, num, comment);
            };
            return c;
        }
        if (name == "status")
            return text_file(
                0644, [details] { return details(false).summary.status + "\n"; },
                [this, repo, num](std::string_view text) {
                    std::string status = first_line(text);
                    if (status != "open" && status != "closed")
                        throw FsError(EINVAL, "a status is open or closed, not '" + status + "'");
                    remote_.set_status(repo, num, status);
                });
        if (name == "title")
            return text_file(
                0644, [details] { return details(false).summary.title + "\n"; },
                [this, repo, num](std::string_view text) {
                    std::string title = first_line(text);
                    if (title.empty()) throw FsError(EINVAL, "an empty title");
                    remote_.rename(repo, num, title);
                });
        if (name == "merge") {
            ControlFile m;
            m.mode = 0200;
            m.act = [this, repo, num](std::string_view) { remote_.merge(repo, num); };
            return m;
        }
        return std::nullopt;
    };
    return f;
}

}  // namespace hubfs::fs
