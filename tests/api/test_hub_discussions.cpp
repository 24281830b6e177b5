// Discussions and pull requests through HfApi against localhub: the thread's events, who may
// do what, commits to refs/pr/N, the diff, merges, paging and filters, and the typed errors.
#include "discussion_json.hpp"
#include "errors.hpp"
#include "hub_test_support.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <set>
#include <thread>

using namespace hubfs::api;
using namespace hubfs::api::testing;

namespace {

constexpr const char* carol_token = "hf_carol_token";  // signed in with a write token, not a writer of alice/*

std::vector<std::string> extra_users() { return {"--user", std::string("carol:") + carol_token + ":write"}; }

std::string file_on(HfApi& api, const Repo& repo, const std::string& path, const std::string& revision = "main") {
    return api.download_file(repo, path, revision);
}

CommitOptions message(std::string text, std::string revision = "main") {
    CommitOptions o;
    o.commit_message = std::move(text);
    o.revision = std::move(revision);
    return o;
}

// Listing requests (GET .../discussions) in the log. localhub logs a request after answering
// it, so this waits (up to 4 s) for at least `expected` before counting.
size_t count_list_requests(const LocalHubProcess& hub, size_t expected) {
    size_t n = 0;
    for (int attempt = 0; attempt < 200 && n < expected; ++attempt) {
        if (attempt) std::this_thread::sleep_for(std::chrono::milliseconds(20));
        n = 0;
        for (const auto& entry : hub.log_entries()) {
            std::string path = entry.value("path", "");  // with its query string
            bool list = path.ends_with("/discussions") || path.find("/discussions?") != std::string::npos;
            if (entry.value("method", "") == "GET" && list) ++n;
        }
    }
    return n;
}

}  // namespace

TEST_CASE("discussion thread: comment, edit, hide, close, reopen, rename; events in order") {
    LocalHubProcess hub(extra_users());
    HfApi alice(config_for(hub));
    HfApi carol(config_for(hub, carol_token));
    Repo repo("alice/thread");
    alice.create_repo(repo);

    DiscussionWithDetails d = carol.create_discussion(repo, "  A question  ", std::string("How does it work?"));
    CHECK(d.num == 1);
    CHECK(d.title == "A question");
    CHECK(d.status == "open");
    CHECK_FALSE(d.is_pull_request);
    CHECK(d.author == "carol");
    CHECK(d.repo_id == "alice/thread");
    REQUIRE(d.events.size() == 1);
    CHECK(d.events[0].content == "How does it work?");

    DiscussionEvent answer = alice.comment_discussion(repo, d.num, "Like this.");
    CHECK(answer.type == "comment");
    CHECK(answer.author == "alice");
    DiscussionEvent noise = carol.comment_discussion(repo, d.num, "first!!");
    CHECK_THROWS_AS(carol.edit_discussion_comment(repo, d.num, answer.id, "no"), ForbiddenError);
    DiscussionEvent edited = alice.edit_discussion_comment(repo, d.num, answer.id, "Like that.");
    CHECK(edited.edited);
    CHECK(edited.content == "Like that.");
    CHECK(edited.edit_history == std::vector<std::string>{"Like this."});
    DiscussionEvent hidden = alice.hide_discussion_comment(repo, d.num, noise.id);  // a writer hides
    CHECK(hidden.hidden);
    CHECK(hidden.id == noise.id);

    alice.change_discussion_status(repo, d.num, "closed", std::string("done"));
    DiscussionEvent reopened = carol.change_discussion_status(repo, d.num, "open");
    CHECK(reopened.new_status == "open");
    DiscussionEvent renamed = carol.rename_discussion(repo, d.num, "How it works");
    CHECK(renamed.old_title == "A question");
    CHECK(renamed.new_title == "How it works");

    DiscussionWithDetails after = alice.get_discussion_details(repo, d.num);
    CHECK(after.title == "How it works");
    std::vector<std::string> types;
    for (const auto& e : after.events) types.push_back(e.type);
    CHECK(types == std::vector<std::string>{"comment", "comment", "comment", "comment", "status-change",
                                            "status-change", "title-change"});
    CHECK(after.events[2].hidden);
    CHECK(after.events[2].id == noise.id);
    CHECK(after.events[3].content == "done");
    CHECK(after.events[4].new_status == "closed");
    CHECK_FALSE(after.diff.has_value());
}

TEST_CASE("pull request: commits to refs/pr/N, diff, fast-forward merge and a merge commit") {
    LocalHubProcess hub(extra_users());
    HfApi alice(config_for(hub));
    HfApi carol(config_for(hub, carol_token));
    HfApi bob(config_for(hub, bob_token));  // read-only token
    Repo repo("alice/pr-repo");
    alice.create_repo(repo);
    alice.create_commit(repo, {CommitOperationAdd::from_bytes("a.txt", "a\n")}, message("seed"));

    DiscussionWithDetails pr = carol.create_pull_request(repo, "Add b.txt");
    CHECK(pr.is_pull_request);
    CHECK(pr.status == "draft");
    REQUIRE(pr.git_reference() == std::optional<std::string>("refs/pr/1"));
    CommitInfo c = carol.create_commit(repo, {CommitOperationAdd::from_bytes("b.txt", "bee\n")},
                                       message("Add b.txt", *pr.git_reference()));
    CHECK(file_on(carol, repo, "b.txt", "refs/pr/1") == "bee\n");
    CHECK_FALSE(alice.file_exists(repo, "b.txt"));

    DiscussionWithDetails details = alice.get_discussion_details(repo, pr.num);
    REQUIRE(details.events.size() == 2);  // the (default) description, then the commit
    CHECK(details.events[0].type == "comment");
    CHECK(details.events[1].type == "commit");
    CHECK(details.events[1].oid == c.oid);
    CHECK(details.events[1].summary == "Add b.txt");
    CHECK(details.target_branch == std::optional<std::string>("refs/heads/main"));
    REQUIRE(details.diff.has_value());
    CHECK(details.diff->find("+bee") != std::string::npos);

    CHECK_THROWS_AS(alice.merge_pull_request(repo, pr.num), BadRequestError);  // still a draft
    carol.change_discussion_status(repo, pr.num, "open");
    CHECK_THROWS_AS(carol.merge_pull_request(repo, pr.num), ForbiddenError);
    CHECK_THROWS_AS(bob.merge_pull_request(repo, pr.num), ForbiddenError);
    auto merged = alice.merge_pull_request(repo, pr.num, std::string("thanks"));
    REQUIRE(merged.has_value());
    CHECK(merged->new_status == "merged");
    CHECK(file_on(alice, repo, "b.txt") == "bee\n");
    details = alice.get_discussion_details(repo, pr.num);
    CHECK(details.status == "merged");
    CHECK(details.merge_commit_oid == std::optional<std::string>(c.oid));  // fast-forward
    CHECK(alice.list_repo_commits(repo).front().commit_id == c.oid);

    // A second PR while main moves on: merged with a two-parent commit.
    DiscussionWithDetails pr2 = carol.create_pull_request(repo, "Add c.txt", std::string("c"));
    CHECK(pr2.num == 2);
    carol.create_commit(repo, {CommitOperationAdd::from_bytes("c.txt", "see\n")}, message("Add c.txt", "refs/pr/2"));
    CommitInfo main_move = alice.create_commit(repo, {CommitOperationAdd::from_bytes("d.txt", "dee\n")}, message("Add d.txt"));
    carol.change_discussion_status(repo, pr2.num, "open");
    alice.merge_pull_request(repo, pr2.num);
    details = alice.get_discussion_details(repo, pr2.num);
    REQUIRE(details.merge_commit_oid.has_value());
    CHECK(*details.merge_commit_oid != main_move.oid);
    CHECK(alice.list_repo_commits(repo).front().commit_id == *details.merge_commit_oid);
    CHECK(file_on(alice, repo, "c.txt") == "see\n");
    CHECK(file_on(alice, repo, "d.txt") == "dee\n");

    // A conflicting PR: ConflictError, main unchanged.
    DiscussionWithDetails pr3 = carol.create_pull_request(repo, "Change a.txt");
    carol.create_commit(repo, {CommitOperationAdd::from_bytes("a.txt", "carol\n")}, message("a", "refs/pr/3"));
    alice.create_commit(repo, {CommitOperationAdd::from_bytes("a.txt", "alice\n")}, message("a"));
    carol.change_discussion_status(repo, pr3.num, "open");
    CHECK(alice.get_discussion_details(repo, pr3.num).conflicting_files == std::vector<std::string>{"a.txt"});
    CHECK_THROWS_AS(alice.merge_pull_request(repo, pr3.num), ConflictError);
    CHECK(file_on(alice, repo, "a.txt") == "alice\n");
    CHECK(alice.get_discussion_details(repo, pr3.num).status == "open");
}

TEST_CASE("get_repo_discussions follows ?p= pages and filters") {
    LocalHubProcess hub(extra_users());
    HfApi alice(config_for(hub));
    HfApi carol(config_for(hub, carol_token));
    Repo repo("alice/busy");
    alice.create_repo(repo);
    for (int i = 1; i <= 55; ++i)
        (i % 5 == 0 ? carol : alice).create_discussion(repo, "Topic " + std::to_string(i), std::string("x"), i % 11 == 0);
    alice.change_discussion_status(repo, 2, "closed");

    CHECK(count_list_requests(hub, 0) == 0);
    auto all = alice.get_repo_discussions(repo);
    CHECK(count_list_requests(hub, 2) == 2);  // ?p=0 (50), ?p=1 (5), and no more
    REQUIRE(all.size() == 55);
    CHECK(all.front().num == 55);
    CHECK(all.back().num == 1);
    std::set<int> nums;
    for (const auto& d : all) nums.insert(d.num);
    CHECK(nums.size() == 55);

    auto prs = alice.get_repo_discussions(repo, {.discussion_type = "pull_request"});
    REQUIRE(prs.size() == 5);
    for (const auto& d : prs) CHECK(d.is_pull_request);
    auto closed = alice.get_repo_discussions(repo, {.discussion_status = "closed"});
    REQUIRE(closed.size() == 1);
    CHECK(closed[0].num == 2);
    auto by_carol = alice.get_repo_discussions(repo, {.author = "carol", .discussion_type = "discussion"});
    CHECK(by_carol.size() == 10);  // 11 multiples of 5, minus #55 (a PR)
    for (const auto& d : by_carol) CHECK(d.author == "carol");
    CHECK_THROWS_AS(alice.get_repo_discussions(repo, {.discussion_status = "merged"}), BadRequestError);
}

TEST_CASE("discussion errors are typed and carry the Hub's message; nothing changes") {
    LocalHubProcess hub(extra_users());
    HfApi alice(config_for(hub));
    HfApi carol(config_for(hub, carol_token));
    Repo repo("alice/errs");
    alice.create_repo(repo);
    auto d = alice.create_discussion(repo, "Subject", std::string("body"));

    CHECK_THROWS_AS(alice.comment_discussion(repo, 42, "hello"), DiscussionNotFoundError);
    CHECK_THROWS_AS(alice.get_discussion_details(repo, 42), DiscussionNotFoundError);
    CHECK_THROWS_AS(alice.hide_discussion_comment(repo, d.num, "000000000000000000000000"), DiscussionNotFoundError);
    CHECK_THROWS_AS(alice.comment_discussion(repo, 0, "x"), std::invalid_argument);
    try {
        alice.create_discussion(repo, "");
        FAIL("an empty title was accepted");
    } catch (const BadRequestError& e) {
        CHECK(e.server_message().find("title") != std::string::npos);
    }
    try {
        alice.change_discussion_status(repo, d.num, "reopened");
        FAIL("an unknown status was accepted");
    } catch (const BadRequestError& e) {
        CHECK(e.server_message().find("Invalid status 'reopened'") != std::string::npos);
    }
    CHECK_THROWS_AS(alice.comment_discussion(repo, d.num, std::string(1 << 20, 'x')), BadRequestError);
    CHECK_THROWS_AS(carol.rename_discussion(repo, d.num, "Mine now"), ForbiddenError);
    auto pr = alice.create_pull_request(repo, "Closed one");
    alice.change_discussion_status(repo, pr.num, "closed");
    CHECK_THROWS_AS(alice.merge_pull_request(repo, pr.num), BadRequestError);

    Repo secret("alice/secret-talk");
    alice.create_repo(secret, {.is_private = true});
    alice.create_discussion(secret, "Private");
    CHECK_THROWS_AS(carol.get_repo_discussions(secret), RepoNotFoundError);
    CHECK_THROWS_AS(carol.comment_discussion(secret, 1, "peek"), RepoNotFoundError);

    auto same = alice.get_discussion_details(repo, d.num);
    CHECK(same.title == "Subject");
    CHECK(same.status == "open");
    CHECK(same.events.size() == 1);
    CHECK(alice.get_repo_discussions(repo).size() == 2);
}

TEST_CASE("discussion JSON as the Hub writes it") {
    auto j = nlohmann::json::parse(R"({"num": 7, "title": "Add weights", "status": "open", "isPullRequest": true,
        "createdAt": "2025-05-02T08:00:00.000Z", "author": {"name": "alice"},
        "repo": {"name": "acme/tiny-model", "type": "dataset"},
        "changes": {"base": "refs/heads/main"}, "filesWithConflicts": true,
        "events": [{"id": "e1", "type": "comment", "createdAt": "2025-05-02T08:00:00.000Z", "author": {"name": "alice"},
                    "data": {"edited": false, "hidden": false, "latest": {"raw": "please review", "html": "<p>please review</p>"},
                             "history": []}},
                   {"id": "e2", "type": "pinned", "createdAt": "2025-05-02T08:00:01.000Z", "data": {}}]})");
    auto d = parse_discussion_details(j, Repo("other/repo"));
    CHECK(d.num == 7);
    CHECK(d.repo_id == "acme/tiny-model");
    CHECK(d.repo_type == RepoType::dataset);
    CHECK(d.target_branch == std::optional<std::string>("refs/heads/main"));
    CHECK(d.conflicting_files.empty());  // the bool form says nothing about which files
    REQUIRE(d.events.size() == 2);
    CHECK(d.events[0].content == "please review");
    CHECK(d.events[1].type == "pinned");
    CHECK(d.events[1].author.empty());  // deleted users have no author
    CHECK_THROWS_AS(parse_discussion(nlohmann::json::parse(R"({"title": "no num"})"), Repo("a/b")),
                    InvalidResponseError);
}
