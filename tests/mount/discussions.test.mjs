// Discussions and pull requests as files (/discussions/<type>/<ns>/<name>/), on a real mount
// against localhub; every action is checked on the Hub side through its HTTP API.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { api, read } from "../harness/hubapi.mjs";
import { startLocalhub } from "../harness/localhub.mjs";
import { HubClient, hubfsBin, mountHubfs, withMountedHub, writeTo } from "./fixture.mjs";

const ALICE = "hf_alice_token";
const RITA = "hf_rita_token";  // may only read
const BOB = "hf_bob_token";    // writes his own repositories, not alice's
const CAROL = "hf_carol_token";
const REPO = "alice/talk";

/** Details of a discussion, from the Hub. */
async function details(hub, num) {
  const r = await read(api(hub, `/api/models/${REPO}/discussions/${num}`, { token: ALICE }));
  assert.equal(r.status, 200, r.text);
  return JSON.parse(r.text);
}

async function withMount(token, fn) {
  const hub = await startLocalhub({ users: [`alice:${ALICE}:write`, `rita:${RITA}:read`, `bob:${BOB}:write`, `carol:${CAROL}:write`] });
  const client = new HubClient(hub.url, ALICE);
  return withMountedHub(hub, async () => {
    await client.createRepo(REPO);
    await client.commit(REPO, [{ path: "README.md", data: Buffer.from("# talk\n") }], { summary: "seed" });
    return mountHubfs(hub.url, { token, args: ["--revision-ttl", "1"] });
  }, (m) => fn({ hub, client, m, dir: path.join(m.mountpoint, "discussions", "models", REPO) }));
}

describe("discussions as files", () => {
  test("open a discussion with new, comment, close, reopen and rename it: thread.md, index and the Hub agree", { timeout: 120000 }, async () => {
    await withMount(ALICE, async ({ hub, m, dir }) => {
      assert.deepEqual(fs.readdirSync(path.join(m.mountpoint, "discussions")).sort(), ["datasets", "models", "spaces"]);
      assert.deepEqual(fs.readdirSync(dir).sort(), ["index", "new", "new-pr"]);
      assert.equal(writeTo(path.join(dir, "new"), "Typo in README\n\nline 1 says talk\n"), "");
      assert.match(fs.readFileSync(path.join(dir, "new"), "utf8"), /last opened: 1/);
      const d1 = await details(hub, 1);
      assert.equal(d1.title, "Typo in README");
      assert.equal(d1.isPullRequest, false);
      assert.match(fs.readFileSync(path.join(dir, "index"), "utf8"), /^1\tdiscussion\topen\talice\tTypo in README$/m);
      assert.ok(fs.readdirSync(dir).includes("1"));

      assert.equal(writeTo(path.join(dir, "1", "comment"), "fixed in the next commit\n"), "");
      assert.equal(writeTo(path.join(dir, "1", "status"), "closed\n"), "");
      assert.equal(fs.readFileSync(path.join(dir, "1", "status"), "utf8"), "closed\n");
      assert.equal(writeTo(path.join(dir, "1", "status"), "open\n"), "");
      assert.equal(writeTo(path.join(dir, "1", "title"), "Typo in the README\n"), "");
      // A comment edited and one hidden through the API show so in the thread.
      const posted = await read(api(hub, `/api/models/${REPO}/discussions/1/comment`, { token: ALICE, body: { comment: "wrong place" } }));
      const hiddenId = JSON.parse(posted.text).newMessage.id;
      const firstId = (await details(hub, 1)).events[0].id;
      for (const [what, body] of [[`${firstId}/edit`, { content: "line 1 says talk, not walk" }], [`${hiddenId}/hide`, undefined]]) {
        const r = await read(api(hub, `/api/models/${REPO}/discussions/1/comment/${what}`, { token: ALICE, method: "POST", body }));
        assert.equal(r.status, 200, r.text);
      }
      const thread = fs.readFileSync(path.join(dir, "1", "thread.md"), "utf8");
      assert.match(thread, /\(edited\):\n\nline 1 says talk, not walk/);
      assert.match(thread, /_a comment by alice was hidden_/);
      assert.doesNotMatch(thread, /wrong place/);
      assert.match(thread, /^# Typo in the README/);
      assert.match(thread, /\*\*alice\*\* commented .*:\n\nfixed in the next commit/);
      assert.match(thread, /changed the status to closed/);
      assert.match(thread, /changed the status to open/);
      assert.match(thread, /renamed it from "Typo in README" to "Typo in the README"/);
      const after = await details(hub, 1);
      assert.equal(after.status, "open");
      assert.equal(after.title, "Typo in the README");
      assert.deepEqual(after.events.map((e) => e.type), ["comment", "comment", "status-change", "status-change", "title-change", "comment"]);
    });
  });

  test("a pull request: new-pr, its files written into @refs%2Fpr%2FN and synced, diff, open, merge; the merged file reads on main", { timeout: 120000 }, async () => {
    await withMount(ALICE, async ({ hub, m, dir }) => {
      assert.equal(writeTo(path.join(dir, "new-pr"), "Add notes\n\nnotes for the model\n"), "");
      assert.match(fs.readFileSync(path.join(dir, "new-pr"), "utf8"), /last opened: 1/);
      assert.equal(fs.readFileSync(path.join(dir, "1", "status"), "utf8"), "draft\n");
      // The author writes the pull request's files through its revision folder, and syncs.
      const prDir = path.join(m.mountpoint, "models", `${REPO}@refs%2Fpr%2F1`);
      fs.writeFileSync(path.join(prDir, "NOTES.md"), "notes\n");
      fs.writeFileSync(path.join(prDir, ".hubfs-commit"), "message Add NOTES.md\n");
      const sync = spawnSync("sync", [prDir], { encoding: "utf8", timeout: 60000 });
      assert.equal(sync.status, 0, sync.stderr);
      assert.match(fs.readFileSync(path.join(dir, "1", "diff"), "utf8"), /NOTES\.md/);
      assert.match(fs.readFileSync(path.join(dir, "1", "thread.md"), "utf8"), /added commit [0-9a-f]{7}: Add NOTES\.md/);
      assert.equal(writeTo(path.join(dir, "1", "status"), "open\n"), "");
      assert.equal(writeTo(path.join(dir, "1", "merge"), "\n"), "");
      assert.equal((await details(hub, 1)).status, "merged");
      assert.equal(fs.readFileSync(path.join(dir, "1", "status"), "utf8"), "merged\n");
      const notes = path.join(m.mountpoint, "models", REPO, "NOTES.md");
      const deadline = Date.now() + 10000;
      while (!fs.existsSync(notes) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
      assert.equal(fs.readFileSync(notes, "utf8"), "notes\n", "the merged file on main");
    });
  });

  test("bad input: a clear errno, nothing changed on the Hub", { timeout: 120000 }, async () => {
    await withMount(ALICE, async ({ hub, dir }) => {
      assert.equal(writeTo(path.join(dir, "new"), "First\n"), "");
      const before = JSON.stringify(await details(hub, 1));
      assert.equal(writeTo(path.join(dir, "99", "comment"), "hello?\n"), "ENOENT", "comment on a missing discussion");
      assert.equal(writeTo(path.join(dir, "new"), "\n\nno title\n"), "EINVAL", "an empty title");
      assert.equal(writeTo(path.join(dir, "1", "status"), "reopened\n"), "EINVAL", "a status that does not exist");
      assert.equal(writeTo(path.join(dir, "1", "comment"), "x".repeat(1 << 20)), "EINVAL", "a 1 MB comment");
      assert.equal(writeTo(path.join(dir, "1", "merge"), "\n"), "EINVAL", "merge of a discussion");
      assert.equal(writeTo(path.join(dir, "1", "thread.md"), "x"), "EACCES", "thread.md is read-only");
      assert.throws(() => fs.readFileSync(path.join(dir, "1", "comment")), (e) => e.code === "EACCES", "comment is write-only");
      assert.equal(JSON.stringify(await details(hub, 1)), before, "discussion #1 unchanged");
      const list = await read(api(hub, `/api/models/${REPO}/discussions`, { token: ALICE }));
      assert.equal(JSON.parse(list.text).count, 1, "no discussion was opened by the bad input");
      assert.equal(writeTo(path.join(dir, "new-pr"), "Closed PR\n"), "");
      assert.equal(writeTo(path.join(dir, "2", "status"), "closed\n"), "");
      assert.equal(writeTo(path.join(dir, "2", "merge"), "\n"), "EINVAL", "merge of a closed pull request");
      assert.equal((await details(hub, 2)).status, "closed", "still closed, not merged");
    });
  });

  test("a read-only token reads threads; the read-only mount refuses every action (EROFS)", { timeout: 120000 }, async () => {
    await withMount(RITA, async ({ hub, dir }) => {
      const r = await read(api(hub, `/api/models/${REPO}/discussions`, { token: ALICE, method: "POST", body: { title: "Asked by alice", description: "?" } }));
      assert.equal(r.status, 200, r.text);
      assert.match(fs.readFileSync(path.join(dir, "1", "thread.md"), "utf8"), /# Asked by alice/);
      assert.equal(writeTo(path.join(dir, "1", "comment"), "me too\n"), "EROFS", "a read-only mount refuses writes");
      assert.equal((await details(hub, 1)).events.length, 1, "nothing posted");
    });
  });

  test("a pull request's author writes into @refs%2Fpr%2FN and sync commits there; someone else gets EROFS, main stays EACCES", { timeout: 120000 }, async () => {
    await withMount(BOB, async ({ hub, m }) => {
      const opened = await read(api(hub, `/api/models/${REPO}/discussions`, { token: BOB, body: { title: "Bob's fix", description: "a fix", pullRequest: true } }));
      assert.equal(opened.status, 200, opened.text);
      const num = JSON.parse(opened.text).num;
      const pr = path.join(m.mountpoint, "models", `${REPO}@refs%2Fpr%2F${num}`);
      assert.equal(fs.readFileSync(path.join(pr, "README.md"), "utf8"), "# talk\n");
      assert.equal(writeTo(path.join(m.mountpoint, "models", REPO, "bob.txt"), "no\n"), "EACCES", "bob may not write main");
      assert.equal(writeTo(path.join(pr, "fix.txt"), "the fix\n"), "");
      const sync = spawnSync("sync", [pr], { encoding: "utf8", timeout: 60000 });
      assert.equal(sync.status, 0, sync.stderr);
      const file = await read(api(hub, `/${REPO}/resolve/${encodeURIComponent(`refs/pr/${num}`)}/fix.txt`, { token: ALICE }));
      assert.equal(file.text, "the fix\n", "the file is on the pull request's ref");
      const d = await details(hub, num);
      assert.ok(d.events.some((e) => e.type === "commit"), "the commit shows in the thread");
      const main = await read(api(hub, `/${REPO}/resolve/main/fix.txt`, { token: ALICE }));
      assert.equal(main.status, 404, "main is untouched");

      const carol = mountHubfs(hub.url, { token: CAROL });
      try {
        const other = path.join(carol.mountpoint, "models", `${REPO}@refs%2Fpr%2F${num}`);
        assert.equal(writeTo(path.join(other, "carol.txt"), "x\n"), "EROFS", "someone else's pull request");
      } finally {
        spawnSync(hubfsBin, ["unmount", carol.mountpoint, "--timeout", "20"], { stdio: "ignore", timeout: 40000 });
        carol.unmount();
      }
    });
  });
});
