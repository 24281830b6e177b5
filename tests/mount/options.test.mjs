// Mount options, each proven by what it changes in the mount: --repo TYPE/NS/NAME@REV,
// --token-file, --uid/--gid, the fstab form (`hubfs hub MOUNTPOINT -o ...`), --cache-size
// (the cache stays within it, bytes stay right after eviction) and --revision-ttl (an upstream
// commit shows once the branch name expires). `hubfs status` is covered by everyday.test.mjs.
import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { readLog, settleLog, startLocalhub } from "../harness/localhub.mjs";
import { HubClient, mountHubfs, sh, sha256, sha256File } from "./fixture.mjs";

const TOKEN = "hf_alice_token";
const MiB = 1 << 20;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let hub, client, work, tokenFile;
const v1 = { "config.json": Buffer.from('{"version": 1}\n'), "weights.bin": crypto.randomBytes(2 * MiB) };
const v2 = { "config.json": Buffer.from('{"version": 2}\n'), "weights.bin": crypto.randomBytes(2 * MiB) };
const asFiles = (v) => Object.entries(v).map(([p, data]) => ({ path: p, data, lfs: p.endsWith(".bin") }));

before(async () => {
  hub = await startLocalhub({ users: [`alice:${TOKEN}:write`] });
  client = new HubClient(hub.url, TOKEN);
  work = fs.mkdtempSync(path.join(os.tmpdir(), "hubfs-options-"));
  tokenFile = path.join(work, "token");
  fs.writeFileSync(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
  // A private repository whose main moved on after the tag v1.
  await client.createRepo("alice/secret", { private: true });
  await client.commit("alice/secret", asFiles(v1), { summary: "v1" });
  await client.json("POST", "/api/models/alice/secret/tag/main", { tag: "v1" });
  await client.commit("alice/secret", asFiles(v2), { summary: "v2" });
});

after(async () => {
  await hub?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

/** The mount root shows v1 of alice/secret, read with the token file's token, owned by 4321:4322. */
async function assertSecretAtV1(m) {
  const since = (await settleLog(hub.logFile)).length;
  for (const [p, want] of Object.entries(v1)) assert.equal(sha256(fs.readFileSync(path.join(m.mountpoint, p))), sha256(want), `${p} at v1`);
  assert.deepEqual(fs.readdirSync(m.mountpoint).sort(), [".gitattributes", "config.json", "weights.bin"]);
  for (const p of ["", "config.json", "weights.bin"]) {
    const st = fs.statSync(path.join(m.mountpoint, p));
    assert.deepEqual([st.uid, st.gid], [4321, 4322], `owner of /${p}`);
  }
  const api = readLog(hub.logFile).slice(since).filter((r) => r.host === "api");
  assert.ok(api.length > 0 && api.every((r) => r.auth), "the mount's API requests carry the token from the file");
}

test("--repo model/NS/NAME@TAG, --token-file and --uid/--gid: a private repository's tag at the mount's root, owned as asked", async () => {
  // No HF_TOKEN and an empty HF_HOME: the token can only come from the file.
  const m = mountHubfs(hub.url, { args: ["--repo", "model/alice/secret@v1", "--token-file", tokenFile, "--uid", "4321", "--gid", "4322"] });
  try {
    await assertSecretAtV1(m);
  } finally {
    m.unmount();
  }
  assert.throws(() => mountHubfs(hub.url, { args: ["--repo", "model/alice/secret@v1"] }), /hubfs mount failed/, "without the token the private repository is not there");
});

test("the fstab form, hubfs hub MOUNTPOINT -o repo=...,token_file=...,uid=...,gid=...: the same mount", async () => {
  const m = mountHubfs(hub.url, { fstab: ["repo=model/alice/secret@v1", `token_file=${tokenFile}`, "uid=4321", "gid=4322"] });
  try {
    await assertSecretAtV1(m);
  } finally {
    m.unmount();
  }
});

test("--cache-size 24M: files read one after another are evicted least recently used first, the cache stays within the budget, evicted bytes read right again", async () => {
  // The cache evicts whole contents, never one in use or used in the last 5 s (cache.hpp's
  // evict_grace): three 16 MiB files, read 6 s apart, each evict the one before.
  const files = ["a.bin", "b.bin", "c.bin"].map((p) => ({ path: p, data: crypto.randomBytes(16 * MiB), lfs: true }));
  await client.createRepo("alice/evict");
  await client.commit("alice/evict", files, { summary: "three files" });
  const cacheDir = path.join(work, "cache-small");
  let m = mountHubfs(hub.url, { token: TOKEN, cacheDir, args: ["--cache-size", "24M"] });
  const blobBytes = () => Number(sh(`du -s --block-size=1 ${cacheDir}/data/blobs`).split("\t")[0]);
  const at = (p) => `${m.mountpoint}/models/alice/evict/${p}`;
  try {
    for (const [i, f] of files.entries()) {
      if (i > 0) await sleep(6000);
      assert.equal(sha256File(at(f.path)), sha256(f.data), f.path);
      await settleLog(hub.logFile);
    }
    const used = blobBytes();
    assert.ok(used <= 24 * MiB, `the cache holds ${used} bytes for a 24 MiB budget`);
  } finally {
    m.unmount();
  }
  // A new mount (no page cache) on the same cache: a.bin went (least recently used), c.bin stayed.
  m = mountHubfs(hub.url, { token: TOKEN, cacheDir, args: ["--cache-size", "24M"] });
  try {
    const fetching = async (p, data) => {
      const since = (await settleLog(hub.logFile)).length;
      assert.equal(sha256File(at(p)), sha256(data), p);
      await settleLog(hub.logFile);
      return readLog(hub.logFile).slice(since).filter((r) => r.host === "blob").reduce((n, r) => n + r.bytes, 0);
    };
    assert.equal(await fetching("c.bin", files[2].data), 0, "c.bin, the most recent, was kept");
    assert.equal(await fetching("a.bin", files[0].data), 16 * MiB, "a.bin had been evicted: it came from the Hub again, whole, and right");
  } finally {
    m.unmount();
  }
});

test("--revision-ttl 2: a commit made upstream shows in the branch folder once the name expires", async () => {
  await client.createRepo("alice/moving");
  await client.commit("alice/moving", [{ path: "state.txt", data: Buffer.from("before\n") }], { summary: "before" });
  const m = mountHubfs(hub.url, { token: TOKEN, args: ["--revision-ttl", "2"] });
  try {
    const f = `${m.mountpoint}/models/alice/moving/state.txt`;
    assert.equal(fs.readFileSync(f, "utf8"), "before\n");
    await client.commit("alice/moving", [{ path: "state.txt", data: Buffer.from("after, upstream\n") }, { path: "new.txt", data: Buffer.from("new\n") }], { summary: "after" });
    let seen = "";
    for (let i = 0; i < 40 && seen !== "after, upstream\n"; i++) {
      await sleep(250);
      seen = fs.readFileSync(f, "utf8");
    }
    assert.equal(seen, "after, upstream\n", "the upstream commit shows within 10 s with a 2 s TTL");
    assert.ok(fs.readdirSync(`${m.mountpoint}/models/alice/moving`).includes("new.txt"));
  } finally {
    m.unmount();
  }
});
