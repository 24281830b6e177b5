// Discussions and pull requests (protocol §6, tools/localhub/README.md "Discussions"): shared
// numbering, events in order, who may do what, refs/pr/N commits, the diff, merges as real git
// merges (fast-forward, merge commit, 409 on conflict), paging and filters, private repos, bad
// input that changes nothing, and persistence across a restart.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { startLocalhub } from "../harness/localhub.mjs";
import { api, read, describe, createRepo, headSha, commit, fileOp } from "../harness/hubapi.mjs";

const ALICE = "hf_alice_disc_write"; // owns alice/*
const BOB = "hf_bob_disc_write"; // signed in, no write access to alice/*
const CAROL = "hf_carol_disc_write"; // another outsider
const RITA = "hf_rita_disc_read"; // read-only token
const users = [`alice:${ALICE}:write`, `bob:${BOB}:write`, `carol:${CAROL}:write`, `rita:${RITA}:read`];
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "localhub-disc-"));
let hub;

before(async () => {
  hub = await startLocalhub({ users, dataDir });
  await createRepo(hub, ALICE, "alice/talk");
  await createRepo(hub, ALICE, "alice/secret", { isPrivate: true });
  const r = await commit(hub, ALICE, "alice/talk", [fileOp("a.txt", "line one\nline two\n")], { summary: "seed" });
  assert.equal(r.status, 200, describe(r, "seed"));
});
after(async () => {
  await hub?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const D = (repo, rest = "") => `/api/models/${repo}/discussions${rest}`;
async function post(token, p, body) {
  return read(await api(hub, p, { token, method: "POST", body: body ?? {} }));
}
async function get(token, p) {
  return read(await api(hub, p, { token }));
}
async function details(repo, num, token = ALICE) {
  const r = await get(token, D(repo, `/${num}`));
  assert.equal(r.status, 200, describe(r, `details #${num}`));
  return r.json;
}
function expectStatus(r, status, what) {
  assert.equal(r.status, status, describe(r, what));
  if (status >= 400) assert.equal(typeof r.json?.error, "string", `${what}: JSON {"error"}`);
  return r;
}

test("a discussion: open, comment, edit, hide, close, reopen, rename; events in order", async () => {
  const created = expectStatus(await post(BOB, D("alice/talk"), { title: "  Question about a.txt  ", description: "What is line two?" }), 200, "create");
  const num = created.json.num;
  assert.equal(num, 1);
  assert.equal(created.json.title, "Question about a.txt", "title is trimmed");
  assert.equal(created.json.status, "open");
  assert.equal(created.json.isPullRequest, false);

  const c1 = expectStatus(await post(ALICE, D("alice/talk", `/${num}/comment`), { comment: "It is the second line." }), 200, "comment");
  assert.equal(c1.json.newMessage.type, "comment");
  assert.equal(c1.json.newMessage.author.name, "alice");
  const c2 = expectStatus(await post(BOB, D("alice/talk", `/${num}/comment`), { comment: "spam <b>here</b>" }), 200, "comment 2");

  // Edit: only the comment's author.
  expectStatus(await post(BOB, D("alice/talk", `/${num}/comment/${c1.json.newMessage.id}/edit`), { content: "hijack" }), 403, "edit someone else's comment");
  const edited = expectStatus(await post(ALICE, D("alice/talk", `/${num}/comment/${c1.json.newMessage.id}/edit`), { content: "It is the 2nd line." }), 200, "edit");
  assert.equal(edited.json.updatedComment.data.edited, true);
  assert.equal(edited.json.updatedComment.data.latest.raw, "It is the 2nd line.");
  assert.equal(edited.json.updatedComment.data.history[0].raw, "It is the second line.");

  // Hide: a repo writer may hide another user's comment; it keeps its id.
  expectStatus(await post(CAROL, D("alice/talk", `/${num}/comment/${c2.json.newMessage.id}/hide`)), 403, "outsider hides");
  const hidden = expectStatus(await post(ALICE, D("alice/talk", `/${num}/comment/${c2.json.newMessage.id}/hide`)), 200, "hide");
  assert.equal(hidden.json.updatedComment.id, c2.json.newMessage.id);
  assert.equal(hidden.json.updatedComment.data.hidden, true);
  assert.ok(!hidden.json.updatedComment.data.latest.raw.includes("spam"), "hidden text is gone");
  expectStatus(await post(BOB, D("alice/talk", `/${num}/comment/${c2.json.newMessage.id}/edit`), { content: "x" }), 400, "edit a hidden comment");

  // Close / reopen / rename: the author (bob) and writers; not carol.
  expectStatus(await post(CAROL, D("alice/talk", `/${num}/status`), { status: "closed" }), 403, "outsider closes");
  expectStatus(await post(BOB, D("alice/talk", `/${num}/status`), { status: "closed", comment: "answered" }), 200, "author closes");
  expectStatus(await post(BOB, D("alice/talk", `/${num}/status`), { status: "closed" }), 400, "close twice");
  expectStatus(await post(ALICE, D("alice/talk", `/${num}/status`), { status: "open" }), 200, "writer reopens");
  expectStatus(await post(CAROL, D("alice/talk", `/${num}/title`), { title: "Hijacked" }), 403, "outsider renames");
  const renamed = expectStatus(await post(BOB, D("alice/talk", `/${num}/title`), { title: "About line two" }), 200, "rename");
  assert.deepEqual(renamed.json.newTitle.data, { from: "Question about a.txt", to: "About line two" });

  const d = await details("alice/talk", num);
  assert.equal(d.title, "About line two");
  assert.equal(d.status, "open");
  assert.deepEqual(
    d.events.map((e) => [e.type, e.author.name, e.data.status ?? e.data.to ?? e.data.latest?.raw]),
    [
      ["comment", "bob", "What is line two?"],
      ["comment", "alice", "It is the 2nd line."],
      ["comment", "bob", "This comment has been hidden"],
      ["comment", "bob", "answered"],
      ["status-change", "bob", "closed"],
      ["status-change", "alice", "open"],
      ["title-change", "bob", "About line two"],
    ],
  );
  assert.equal(d.events[2].id, c2.json.newMessage.id);
  assert.equal(new Set(d.events.map((e) => e.id)).size, d.events.length, "event ids are unique");
  for (const e of d.events) assert.match(e.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
});

test("a pull request: refs/pr/N takes commits from its author, shows them and the diff, fast-forward merge", async () => {
  const created = expectStatus(await post(BOB, D("alice/talk"), { title: "Add b.txt", description: "please", pullRequest: true }), 200, "create PR");
  const num = created.json.num;
  assert.equal(num, 2, "numbers are shared with discussions");
  assert.equal(created.json.status, "draft");
  const main0 = await headSha(hub, "alice/talk", ALICE);
  assert.equal(await headSha(hub, "alice/talk", ALICE, `refs/pr/${num}`), main0, "refs/pr/N starts at main");

  const c = await commit(hub, BOB, "alice/talk", [fileOp("b.txt", "from bob\n")], { rev: `refs/pr/${num}`, summary: "Add b.txt" });
  assert.equal(c.status, 200, describe(c, "author commits to the PR"));
  const other = await commit(hub, CAROL, "alice/talk", [fileOp("c.txt", "x\n")], { rev: `refs/pr/${num}`, summary: "intrude" });
  expectStatus(other, 403, "outsider commits to the PR");
  expectStatus(await commit(hub, BOB, "alice/talk", [fileOp("c.txt", "x\n")], { rev: "refs/pr/99" }), 404, "commit to a missing PR");

  let d = await details("alice/talk", num);
  assert.deepEqual(d.events.filter((e) => e.type === "commit").map((e) => [e.data.subject, e.data.oid]), [["Add b.txt", c.json.commitOid]]);
  assert.equal(d.changes.base, "refs/heads/main");
  assert.match(d.diff, /^diff --git a\/b\.txt b\/b\.txt/m);
  assert.match(d.diff, /^\+from bob$/m);
  assert.deepEqual(d.filesWithConflicts, []);

  expectStatus(await post(ALICE, D("alice/talk", `/${num}/merge`)), 400, "merge a draft");
  expectStatus(await post(BOB, D("alice/talk", `/${num}/status`), { status: "open" }), 200, "author opens the draft");
  expectStatus(await post(BOB, D("alice/talk", `/${num}/merge`)), 403, "author without write access merges");
  expectStatus(await post(RITA, D("alice/talk", `/${num}/merge`)), 403, "read-only token merges");
  assert.equal(await headSha(hub, "alice/talk", ALICE), main0, "main unchanged by refused merges");

  expectStatus(await post(ALICE, D("alice/talk", `/${num}/merge`), { comment: "thanks" }), 200, "writer merges");
  assert.equal(await headSha(hub, "alice/talk", ALICE), c.json.commitOid, "fast-forward: main is the PR head");
  const b = await read(await api(hub, "/alice/talk/resolve/main/b.txt", { token: ALICE }));
  assert.equal(b.text, "from bob\n");
  d = await details("alice/talk", num);
  assert.equal(d.status, "merged");
  assert.equal(d.changes.mergeCommitId, c.json.commitOid);
  assert.deepEqual(d.events.slice(-2).map((e) => [e.type, e.data.status ?? e.data.latest.raw]), [["comment", "thanks"], ["status-change", "merged"]]);
  assert.match(d.diff, /^\+from bob$/m, "a merged PR keeps its diff");

  expectStatus(await post(ALICE, D("alice/talk", `/${num}/merge`)), 400, "merge twice");
  expectStatus(await post(ALICE, D("alice/talk", `/${num}/status`), { status: "open" }), 400, "reopen a merged PR");
  expectStatus(await commit(hub, BOB, "alice/talk", [fileOp("c.txt", "x\n")], { rev: `refs/pr/${num}` }), 403, "commit to a merged PR");
});

test("a PR behind main merges with a merge commit; a conflicting one is refused with 409", async () => {
  // create_pr=1 opens a draft PR from the commit, numbered in the same sequence.
  const pr = await commit(hub, BOB, "alice/talk", [fileOp("d.txt", "dee\n")], { summary: "Add d.txt", query: "?create_pr=1" });
  assert.equal(pr.status, 200, describe(pr, "create_pr commit"));
  const num = Number(pr.json.pullRequestUrl.match(/\/discussions\/(\d+)$/)[1]);
  assert.equal(num, 3);
  let d = await details("alice/talk", num);
  assert.equal(d.status, "draft");
  assert.deepEqual(d.events.map((e) => e.type), ["commit"]);

  const mainMove = await commit(hub, ALICE, "alice/talk", [fileOp("e.txt", "eee\n")], { summary: "Add e.txt" });
  assert.equal(mainMove.status, 200, describe(mainMove));
  expectStatus(await post(ALICE, D("alice/talk", `/${num}/status`), { status: "open" }), 200, "open");
  // No body at all, as the Python client sends a merge without a comment.
  const merged = expectStatus(await read(await api(hub, D("alice/talk", `/${num}/merge`), { token: ALICE, method: "POST" })), 200, "merge");
  const head = await headSha(hub, "alice/talk", ALICE);
  assert.notEqual(head, mainMove.json.commitOid);
  assert.notEqual(head, pr.json.commitOid);
  d = await details("alice/talk", num);
  assert.equal(d.changes.mergeCommitId, head);
  assert.equal(merged.json.mergeCommitId, head);
  const log = await get(ALICE, "/api/models/alice/talk/commits/main");
  const titles = log.json.map((c) => c.title);
  assert.equal(titles[0], `Merge pull request #${num}: Add d.txt`);
  assert.ok(titles.includes("Add d.txt") && titles.includes("Add e.txt"), titles.join(", "));
  for (const [f, text] of [["d.txt", "dee\n"], ["e.txt", "eee\n"], ["b.txt", "from bob\n"]]) {
    const r = await read(await api(hub, `/alice/talk/resolve/main/${f}`, { token: ALICE }));
    assert.equal(r.text, text, f);
  }

  // Conflict: both sides change the same line of a.txt.
  const c = await post(BOB, D("alice/talk"), { title: "Change a.txt", pullRequest: true });
  const cnum = c.json.num;
  assert.equal((await commit(hub, BOB, "alice/talk", [fileOp("a.txt", "line one\nline 2 (bob)\n")], { rev: `refs/pr/${cnum}` })).status, 200);
  assert.equal((await commit(hub, ALICE, "alice/talk", [fileOp("a.txt", "line one\nline 2 (alice)\n")])).status, 200);
  expectStatus(await post(BOB, D("alice/talk", `/${cnum}/status`), { status: "open" }), 200, "open");
  const before = await headSha(hub, "alice/talk", ALICE);
  const refused = expectStatus(await post(ALICE, D("alice/talk", `/${cnum}/merge`)), 409, "conflicting merge");
  assert.match(refused.json.error, /conflict/i);
  assert.equal(await headSha(hub, "alice/talk", ALICE), before, "main unchanged");
  d = await details("alice/talk", cnum);
  assert.equal(d.status, "open");
  assert.deepEqual(d.filesWithConflicts, ["a.txt"]);
});

test("bad input: clear status and message, nothing changed", async () => {
  const snapshot = async () => JSON.stringify(await details("alice/talk", 1));
  const before = await snapshot();
  const countBefore = (await get(ALICE, D("alice/talk"))).json.count;

  expectStatus(await post(ALICE, D("alice/talk", "/99/comment"), { comment: "hello?" }), 404, "comment on a missing discussion");
  expectStatus(await get(ALICE, D("alice/talk", "/99")), 404, "details of a missing discussion");
  expectStatus(await post(ALICE, D("alice/talk", "/abc/comment"), { comment: "x" }), 400, "non-numeric number");
  const big = expectStatus(await post(ALICE, D("alice/talk", "/1/comment"), { comment: "x".repeat(1 << 20) }), 400, "1 MB comment");
  assert.match(big.json.error, /too long.*at most 65536/);
  expectStatus(await post(ALICE, D("alice/talk", "/1/comment"), { comment: "   " }), 400, "blank comment");
  const st = expectStatus(await post(ALICE, D("alice/talk", "/1/status"), { status: "reopened" }), 400, "unknown status");
  assert.match(st.json.error, /Invalid status 'reopened'/);
  expectStatus(await post(ALICE, D("alice/talk", "/1/title"), { title: "" }), 400, "empty title on rename");
  expectStatus(await post(ALICE, D("alice/talk", "/1/title"), { title: "x".repeat(201) }), 400, "201-char title");
  expectStatus(await post(ALICE, D("alice/talk", "/1/merge")), 400, "merge a discussion");
  expectStatus(await post(ALICE, D("alice/talk", "/1/comment/000000000000000000000000/edit"), { content: "x" }), 404, "edit a missing comment");
  expectStatus(await post(ALICE, D("alice/talk", "/1/comment"), "not json"), 400, "malformed JSON");
  expectStatus(await post(undefined, D("alice/talk", "/1/comment"), { comment: "anon" }), 401, "anonymous comment");
  expectStatus(await post(RITA, D("alice/talk", "/1/comment"), { comment: "read token" }), 403, "read-only token comments");
  const empty = expectStatus(await post(ALICE, D("alice/talk"), { title: "", description: "x" }), 400, "empty title");
  assert.match(empty.json.error, /title/);

  // A closed pull request cannot be merged.
  const pr = (await post(BOB, D("alice/talk"), { title: "Closed PR", pullRequest: true })).json.num;
  expectStatus(await post(BOB, D("alice/talk", `/${pr}/status`), { status: "closed" }), 200, "close PR");
  const mainBefore = await headSha(hub, "alice/talk", ALICE);
  expectStatus(await post(ALICE, D("alice/talk", `/${pr}/merge`)), 400, "merge a closed PR");
  assert.equal(await headSha(hub, "alice/talk", ALICE), mainBefore);

  assert.equal(await snapshot(), before, "discussion #1 unchanged");
  assert.equal((await get(ALICE, D("alice/talk"))).json.count, countBefore + 1, "only the closed PR was added");
});

test("private repos: their discussions are invisible to others (404 signed in, 401 anonymous)", async () => {
  const own = expectStatus(await post(ALICE, D("alice/secret"), { title: "Private talk" }), 200, "owner opens");
  assert.equal(own.json.num, 1);
  for (const [token, status] of [[BOB, 404], [undefined, 401]]) {
    expectStatus(await get(token, D("alice/secret")), status, "list");
    expectStatus(await get(token, D("alice/secret", "/1")), status, "details");
    expectStatus(await post(token, D("alice/secret", "/1/comment"), { comment: "peek" }), status, "comment");
    expectStatus(await post(token, D("alice/secret"), { title: "Let me in" }), status, "create");
  }
  assert.equal((await get(ALICE, D("alice/secret"))).json.count, 1);
});

test("listing: newest first, ?p= pages of 50, filters by type, status and author", async () => {
  await createRepo(hub, ALICE, "alice/busy");
  for (let i = 1; i <= 53; i++) {
    const who = i % 2 ? BOB : CAROL;
    expectStatus(await post(who, D("alice/busy"), { title: `Topic ${i}`, pullRequest: i % 10 === 0 }), 200, `create ${i}`);
  }
  expectStatus(await post(ALICE, D("alice/busy", "/1/status"), { status: "closed" }), 200, "close #1");
  const p0 = (await get(ALICE, D("alice/busy"))).json;
  assert.equal(p0.count, 53);
  assert.equal(p0.start, 0);
  assert.equal(p0.discussions.length, 50);
  assert.equal(p0.discussions[0].num, 53, "newest first");
  assert.deepEqual(p0.discussions[0].repo, { name: "alice/busy", type: "model" });
  const p1 = (await get(ALICE, D("alice/busy", "?p=1"))).json;
  assert.equal(p1.start, 50);
  assert.deepEqual(p1.discussions.map((d) => d.num), [3, 2, 1]);
  const prs = (await get(ALICE, D("alice/busy", "?type=pull_request"))).json;
  assert.deepEqual(prs.discussions.map((d) => [d.num, d.isPullRequest, d.status]), [[50, true, "draft"], [40, true, "draft"], [30, true, "draft"], [20, true, "draft"], [10, true, "draft"]]);
  assert.equal((await get(ALICE, D("alice/busy", "?type=discussion"))).json.count, 48);
  const closed = (await get(ALICE, D("alice/busy", "?status=closed"))).json;
  assert.deepEqual(closed.discussions.map((d) => d.num), [1]);
  assert.equal((await get(ALICE, D("alice/busy", "?status=open"))).json.count, 52, "open includes drafts");
  const carol = (await get(ALICE, D("alice/busy", "?author=carol&type=discussion"))).json;
  assert.ok(carol.discussions.every((d) => d.author.name === "carol" && !d.isPullRequest));
  assert.equal(carol.count, 21); // 26 even topics, 5 of them PRs
  expectStatus(await get(ALICE, D("alice/busy", "?status=merged")), 400, "unknown status filter");
  expectStatus(await get(ALICE, D("alice/busy", "?type=issues")), 400, "unknown type filter");
  expectStatus(await get(ALICE, D("alice/busy", "?p=-1")), 400, "negative page");
});

test("concurrent posts: every comment lands, numbers stay unique", async () => {
  await createRepo(hub, ALICE, "alice/crowd");
  const made = await Promise.all(
    Array.from({ length: 12 }, (_, i) => post(i % 2 ? BOB : CAROL, D("alice/crowd"), { title: `Parallel ${i}`, pullRequest: i % 3 === 0 })),
  );
  for (const r of made) expectStatus(r, 200, "parallel create");
  assert.deepEqual(made.map((r) => r.json.num).sort((a, b) => a - b), Array.from({ length: 12 }, (_, i) => i + 1));
  const said = await Promise.all(Array.from({ length: 20 }, (_, i) => post(ALICE, D("alice/crowd", "/1/comment"), { comment: `c${i}` })));
  for (const r of said) expectStatus(r, 200, "parallel comment");
  const d = await details("alice/crowd", 1);
  assert.deepEqual(d.events.map((e) => e.data.latest.raw).sort(), Array.from({ length: 20 }, (_, i) => `c${i}`).sort());
});

test("discussions survive a restart", async () => {
  const before = await details("alice/talk", 1);
  const newest = (await get(ALICE, D("alice/talk"))).json.discussions[0].num;
  await hub.stop();
  hub = await startLocalhub({ users, dataDir });
  assert.deepEqual(await details("alice/talk", 1), before);
  const next = expectStatus(await post(BOB, D("alice/talk"), { title: "After restart" }), 200, "create");
  assert.equal(next.json.num, newest + 1, "numbering continues");
});
