// The discussions area without FUSE or a Hub: its files over a fake DiscussionsRemote.
#include <doctest/doctest.h>

#include <cerrno>
#include <map>

#include "fs/control/discussions_area.hpp"
#include "control_test_support.hpp"
#include "fs/errno_map.hpp"

using namespace hubfs::fs;

namespace {

class FakeDiscussions : public DiscussionsRemote {
public:
    std::map<int, DiscussionDetails> all;
    std::vector<std::string> calls;

    std::vector<DiscussionSummary> list(const RepoRef&) override {
        std::vector<DiscussionSummary> out;
        for (auto it = all.rbegin(); it != all.rend(); ++it) out.push_back(it->second.summary);
        return out;
    }
    DiscussionDetails details(const RepoRef&, int num, bool with_diff) override {
        auto& d = at(num);
        DiscussionDetails out = d;
        if (with_diff) out.diff = "diff --git a/x b/x\n";
        return out;
    }
    int open(const RepoRef&, const std::string& title, const std::string& body, bool pr) override {
        int num = static_cast<int>(all.size()) + 1;
        DiscussionDetails d;
        d.summary = {num, title, pr ? "draft" : "open", pr, "alice", "2026-11-30T06:00:00Z"};
        d.events.push_back(comment_event("alice", body));
        all[num] = d;
        calls.push_back("open " + title);
        return num;
    }
    void comment(const RepoRef&, int num, const std::string& text) override {
        at(num).events.push_back(comment_event("bob", text));
        calls.push_back("comment " + text);
    }
    void set_status(const RepoRef&, int num, const std::string& status) override {
        at(num).summary.status = status;
        calls.push_back("status " + status);
    }
    void rename(const RepoRef&, int num, const std::string& title) override {
        at(num).summary.title = title;
        calls.push_back("rename " + title);
    }
    void merge(const RepoRef&, int num) override {
        if (at(num).summary.status != "open") throw RemoteError(RemoteError::Kind::invalid, "not open");
        at(num).summary.status = "merged";
    }

private:
    DiscussionDetails& at(int num) {
        auto it = all.find(num);
        if (it == all.end()) throw RemoteError(RemoteError::Kind::not_found, "no discussion");
        return it->second;
    }
    static DiscussionEvent comment_event(const std::string& who, const std::string& text) {
        DiscussionEvent e;
        e.type = "comment";
        e.author = who;
        e.text = text;
        return e;
    }
};

struct Area {
    FakeDiscussions hub;
    DiscussionsArea area{hub, [](RepoType, const std::string&) { return std::vector<std::string>{"repo"}; }};
    ControlTree tree;
    Area() {
        tree.add_area("discussions", [this] { return area.root(); });
    }
};

}  // namespace

TEST_CASE("new opens a discussion from \"title\\n\\nbody\"; index, thread.md and the folder show it") {
    Area a;
    const std::string repo = "discussions/models/alice/repo/";
    file_at(a.tree, repo + "new").act("Typo in README\n\nline 3 says teh\n");
    CHECK(a.hub.calls == std::vector<std::string>{"open Typo in README"});
    CHECK(a.hub.all.at(1).events.at(0).text == "line 3 says teh");
    CHECK(file_at(a.tree, repo + "new").render().find("last opened: 1") != std::string::npos);
    CHECK(file_at(a.tree, repo + "index").render() == "1\tdiscussion\topen\talice\tTypo in README\n");
    auto folder = std::get<ControlFolder>(*a.tree.find(repo));
    CHECK(folder.names() == std::vector<std::string>{"index", "new", "new-pr", "1"});
    std::string thread = file_at(a.tree, repo + "1/thread.md").render();
    CHECK(thread.find("# Typo in README") == 0);
    CHECK(thread.find("**alice** commented") != std::string::npos);
    CHECK(thread.find("line 3 says teh") != std::string::npos);
}

TEST_CASE("comment, status, title and merge act on one discussion; reads show the change") {
    Area a;
    const std::string repo = "discussions/models/alice/repo/";
    file_at(a.tree, repo + "new-pr").act("Add weights\n");
    CHECK(file_at(a.tree, repo + "1/status").render() == "draft\n");
    file_at(a.tree, repo + "1/comment").act("looks good\n");
    CHECK(file_at(a.tree, repo + "1/thread.md").render().find("looks good") != std::string::npos);
    file_at(a.tree, repo + "1/title").act("Add fp16 weights\n");
    CHECK(file_at(a.tree, repo + "1/title").render() == "Add fp16 weights\n");
    CHECK_THROWS_AS(file_at(a.tree, repo + "1/merge").act("x"), RemoteError);  // a draft: the Hub refuses
    file_at(a.tree, repo + "1/status").act("open\n");
    file_at(a.tree, repo + "1/merge").act("\n");
    CHECK(file_at(a.tree, repo + "1/status").render() == "merged\n");
    CHECK(file_at(a.tree, repo + "1/diff").render().starts_with("diff --git"));
}

TEST_CASE("bad input is EINVAL and reaches no Hub call; a missing discussion is no folder") {
    Area a;
    const std::string repo = "discussions/models/alice/repo/";
    CHECK(errno_of([&] { file_at(a.tree, repo + "new").act("\n\nno title"); }) == EINVAL);
    file_at(a.tree, repo + "new").act("T\n");
    a.hub.calls.clear();
    CHECK(errno_of([&] { file_at(a.tree, repo + "1/status").act("reopened\n"); }) == EINVAL);
    CHECK(errno_of([&] { file_at(a.tree, repo + "1/title").act("\n"); }) == EINVAL);
    CHECK(errno_of([&] { file_at(a.tree, repo + "1/comment").act("\n"); }) == EINVAL);
    CHECK(a.hub.calls.empty());
    CHECK_FALSE(a.tree.find(repo + "7").has_value());
    CHECK_FALSE(a.tree.find(repo + "01").has_value());
    CHECK_FALSE(a.tree.find(repo + "1/other").has_value());
    CHECK_FALSE(a.tree.find("discussions/widgets").has_value());
}
