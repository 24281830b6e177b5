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
let bigFile, bigSha;

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
  bigFile = path.join(work, "big.bin");
  sh(`head -c ${128 * MiB} /dev/urandom > ${bigFile}`);
  bigSha = sha256File(bigFile);
  await client.createRepo("alice/big");
  await client.commit("alice/big", [{ path: "big.bin", file: bigFile, lfs: true }], { summary: "big" });
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

test("--cache-size 32M: reading a 128 MiB file keeps the cache within the budget, and evicted bytes read right again", async () => {
  const cacheDir = path.join(work, "cache-small");
  const m = mountHubfs(hub.url, { token: TOKEN, cacheDir, args: ["--cache-size", "32M"] });
  const blobBytes = () => Number(sh(`du -s --block-size=1 ${cacheDir}/blobs`).split("\t")[0]);
  try {
    const f = `${m.mountpoint}/models/alice/big/big.bin`;
    assert.equal(sha256File(f), bigSha);
    await settleLog(hub.logFile);
    await sleep(1000);  // eviction runs after the chunks are written
    const used = blobBytes();
    assert.ok(used <= 40 * MiB, `the cache holds ${used} bytes for a 32 MiB budget`);
    // The file's start was evicted first (least recently used): read again, from the Hub, right.
    const since = readLog(hub.logFile).length;
    const fd = fs.openSync(f, "r");
    const head = Buffer.alloc(4 * MiB);
    assert.equal(fs.readSync(fd, head, 0, head.length, 0), head.length);
    fs.closeSync(fd);
    const local = fs.openSync(bigFile, "r");
    const want = Buffer.alloc(4 * MiB);
    fs.readSync(local, want, 0, want.length, 0);
    fs.closeSync(local);
    assert.ok(head.equals(want), "the evicted start of the file reads right");
    await settleLog(hub.logFile);
    assert.ok(readLog(hub.logFile).slice(since).some((r) => r.host === "blob"), "it came from the Hub again: it had been evicted");
    assert.equal(sha256File(f), bigSha, "a second full read through the small cache is right");
    await settleLog(hub.logFile);
    await sleep(1000);
    assert.ok(blobBytes() <= 40 * MiB, `after a second read the cache holds ${blobBytes()} bytes`);
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
