// What the metadata of a new mount costs in requests, from localhub's log (counts and order,
// never timings): the first byte of a file waits for one metadata request (no namespace lookup
// for the token's own namespace; a repository's commit and its files in one answer; its branches
// asked at the same time; another's namespace asked as a repository and as a namespace at
// once), `ls -lR` makes the requests of `find` and none per file, and the
// answers of a first look stay what they were (unknown names ENOENT, tags read-only).
import assert from "node:assert/strict";
import fs from "node:fs";
import { after, before, test } from "node:test";
import { settleLog, startLocalhub } from "../harness/localhub.mjs";
import { HubClient, mountHubfs, readLog, sh } from "./fixture.mjs";

const TOKEN = "hf_alice_token";
const FILES = 300;
let hub, client;

before(async () => {
  // A latency large against the daemon's own work: requests sent together overlap in the log.
  hub = await startLocalhub({ users: [`alice:${TOKEN}:write`, "bob:hf_bob_token:write"], args: ["--latency-ms", "100"] });
  client = new HubClient(hub.url, TOKEN);
  await client.createRepo("alice/files");
  const tree = [{ path: "weights.bin", data: Buffer.alloc(2 << 20, 7), lfs: true }];
  for (let i = 0; i < FILES; i++) tree.push({ path: `d${i % 3}/f${i}.txt`, data: Buffer.from(`file ${i}\n`) });
  await client.commit("alice/files", tree);
  await client.json("POST", "/api/models/alice/files/tag/main", { tag: "v1" });
  const bob = new HubClient(hub.url, "hf_bob_token");
  await bob.createRepo("bob/other");
  await bob.commit("bob/other", [{ path: "a.txt", data: Buffer.from("a\n") }]);
});

after(async () => {
  await hub?.stop();
});

// The requests a command made on a new mount (the mount's own start-up, whoami, excluded).
async function requestsOf(run) {
  const m = mountHubfs(hub.url, { token: TOKEN });
  try {
    const since = (await settleLog(hub.logFile)).length;
    run(m.mountpoint);
    await settleLog(hub.logFile);
    return readLog(hub.logFile).slice(since).filter((r) => !r.path.startsWith("/api/whoami"));
  } finally {
    m.unmount();
  }
}

const start = (r) => r.ts - r.ms / 1000;
const show = (reqs) => reqs.map((r) => `${r.method} ${r.path} ${r.range}`).join("\n");

test("the first byte of a file through a new mount waits for one metadata request, not four", async () => {
  const reqs = await requestsOf((mnt) => {
    const fd = fs.openSync(`${mnt}/models/alice/files/weights.bin`, "r");
    try {
      const buf = Buffer.alloc(1);
      assert.equal(fs.readSync(fd, buf, 0, 1, 0), 1);
      assert.equal(buf[0], 7);
    } finally {
      fs.closeSync(fd);
    }
  });
  const first = reqs.findIndex((r) => r.path.includes("/resolve/"));
  assert.ok(first > 0, `no resolve request of the file:\n${show(reqs)}`);
  const before = reqs.slice(0, first);
  // The namespace is the token's own: not asked for as a repository.
  assert.ok(!before.some((r) => /^\/api\/models\/alice(\?|$)/.test(r.path)), `namespace looked up:\n${show(before)}`);
  // The commit and its files in one answer: no listing of the commit after its resolution.
  assert.ok(!before.some((r) => /\/revision\/[0-9a-f]{40}/.test(r.path)), `listing asked separately:\n${show(before)}`);
  const info = before.filter((r) => !r.path.endsWith("/refs"));
  assert.equal(info.length, 1, `repository requests before the file's:\n${show(before)}`);
  assert.ok(before.length <= 2, `metadata requests before the file's:\n${show(before)}`);
  // What went before the file's request went out together: each started before any answered.
  const firstAnswer = Math.min(...before.map((r) => r.ts));
  for (const r of before) assert.ok(start(r) < firstAnswer, `sent after another was answered:\n${show(before)}`);
});

test("another user's namespace is asked for as a repository and as a namespace at once", async () => {
  const reqs = await requestsOf((mnt) => assert.equal(fs.readFileSync(`${mnt}/models/bob/other/a.txt`, "utf8"), "a\n"));
  const asRepo = reqs.find((r) => /^\/api\/models\/bob(\?|$)/.test(r.path));
  const asNamespace = reqs.find((r) => /^\/api\/models\?.*author=bob/.test(r.path));
  assert.ok(asRepo && asNamespace, `both lookups of bob:\n${show(reqs)}`);
  assert.ok(start(asNamespace) < asRepo.ts && start(asRepo) < asNamespace.ts, `one after the other:\n${show(reqs)}`);
  const first = reqs.findIndex((r) => r.path.includes("/resolve/"));
  assert.ok(first > 0 && first <= 4, `requests before the file's:\n${show(reqs.slice(0, first))}`);
});

test("ls -lR of a tree makes the requests of find, none per file", async () => {
  const dir = (mnt) => `${mnt}/models/alice/files`;
  let listed = "";
  const find = await requestsOf((mnt) => sh(`find ${dir(mnt)} > /dev/null`));
  const ls = await requestsOf((mnt) => {
    listed = sh(`ls -lR ${dir(mnt)}`);
  });
  assert.equal((listed.match(/^-r/gm) ?? []).length, FILES + 1, "every file listed with its attributes");
  assert.equal(ls.length, find.length, `ls -lR:\n${show(ls)}\nfind:\n${show(find)}`);
  assert.ok(ls.length <= 2, `ls -lR of ${FILES} files:\n${show(ls)}`);
});

test("a first look answers as before: unknown names are ENOENT, a tag is read-only, another's namespace is found", async () => {
  const m = mountHubfs(hub.url, { token: TOKEN });
  try {
    const models = `${m.mountpoint}/models`;
    assert.throws(() => fs.statSync(`${models}/alice/nope`), (e) => e.code === "ENOENT");
    assert.throws(() => fs.statSync(`${models}/alice/files@nope`), (e) => e.code === "ENOENT");
    assert.throws(() => fs.statSync(`${models}/typo-ns`), (e) => e.code === "ENOENT");
    // Modes come from the branches asked for with the repository's first look.
    assert.equal(fs.statSync(`${models}/alice/files/d0/f0.txt`).mode & 0o222, 0o200, "a branch's file is writable");
    assert.equal(fs.statSync(`${models}/alice/files@v1/d0/f0.txt`).mode & 0o222, 0, "a tag's file is read-only");
    assert.equal(fs.readFileSync(`${models}/bob/other/a.txt`, "utf8"), "a\n");
    // Only user.hub.* attributes exist; the ones `ls -l` asks for are answered without them.
    // A repository looked up before it existed (its branches asked for with it) and then made
    // by mkdir is writable at once.
    assert.throws(() => fs.statSync(`${models}/alice/fresh`), (e) => e.code === "ENOENT");
    fs.mkdirSync(`${models}/alice/fresh`);
    assert.equal(fs.statSync(`${models}/alice/fresh`).mode & 0o200, 0o200, "a repository made by mkdir is writable");
    const xattr = (name) => sh(`python3 -c 'import os,sys; print(os.getxattr(sys.argv[1], sys.argv[2]).decode())' ${models}/alice/files/d0/f0.txt ${name} 2>&1 || true`).trim();
    assert.match(xattr("user.hub.oid"), /^[0-9a-f]{40}$/);
    assert.match(xattr("security.selinux"), /Operation not supported/);
  } finally {
    m.unmount();
  }
});
