// The read path on a real FUSE mount against a running localhub: what a user sees with ls,
// stat, cat, cp, find, du and diff, every revision form, and what it costs in requests.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { startLocalhub } from "../harness/localhub.mjs";
import { HubClient, filesOf, mountHubfs, readLog, sh, sha256File } from "./fixture.mjs";

const TOKEN = "hf_alice_token";
let hub, client, src, work, mount, bigFile, bigSha;
const REPO = "alice/tiny";

function makeSource(dir) {
  fs.mkdirSync(path.join(dir, "nested/a/b"), { recursive: true });
  fs.mkdirSync(path.join(dir, "many"));
  fs.mkdirSync(path.join(dir, "data"));
  fs.writeFileSync(path.join(dir, "README.md"), "# tiny\n\nA test repository.\n");
  fs.writeFileSync(path.join(dir, "config.json"), JSON.stringify({ hidden_size: 8 }, null, 2) + "\n");
  fs.writeFileSync(path.join(dir, "nested/a/b/deep.txt"), "three folders down\n");
  fs.writeFileSync(path.join(dir, "data/empty.txt"), "");
  fs.writeFileSync(path.join(dir, "weights.bin"), Buffer.from(Array.from({ length: 3 << 20 }, (_, i) => (i * 7919) % 251)));
  for (let i = 0; i < 2500; i++) fs.writeFileSync(path.join(dir, "many", `f${String(i).padStart(4, "0")}.txt`), `file ${i}\n`);
}

before(async () => {
  hub = await startLocalhub({ users: [`alice:${TOKEN}:write`, "bob:hf_bob_token:read"] });
  client = new HubClient(hub.url, TOKEN);
  work = fs.mkdtempSync(path.join(os.tmpdir(), "hubfs-read-"));
  src = path.join(work, "src");
  makeSource(src);
  await client.createRepo(REPO);
  // The Hub's initial commit adds .gitattributes; mirror it so diff -r compares like with like.
  const attrs = await (await fetch(`${hub.url}/${REPO}/resolve/main/.gitattributes`)).arrayBuffer();
  fs.writeFileSync(path.join(src, ".gitattributes"), Buffer.from(attrs));
  await client.commit(REPO, filesOf(src).filter((f) => f.path !== ".gitattributes"), { summary: "add files" });
  // A 1 GiB LFS file, for request counting and crash tests.
  bigFile = path.join(work, "big.bin");
  sh(`head -c 1073741824 /dev/urandom > ${bigFile}`);
  bigSha = sha256File(bigFile);
  await client.createRepo("alice/big");
  await client.commit("alice/big", [{ path: "big.bin", file: bigFile, lfs: true }], { summary: "big" });
  mount = mountHubfs(hub.url, { token: TOKEN });
});

after(async () => {
  mount?.unmount();
  await hub?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

function blobRequests(since) {
  return readLog(hub.logFile).slice(since).filter((r) => r.host === "blob");
}

describe("browsing a repository", () => {
  test("diff -r against the source folder finds no difference", () => {
    sh(`diff -r ${src} ${mount.mountpoint}/models/${REPO}`);
  });

  test("ls -lR, find and du see every file with its exact size", () => {
    const root = `${mount.mountpoint}/models/${REPO}`;
    const found = sh(`cd ${root} && find . -type f | sort`).trim().split("\n");
    const expected = sh(`cd ${src} && find . -type f | sort`).trim().split("\n");
    assert.deepEqual(found, expected);
    const lsOut = sh(`ls -lR ${root}`);
    // A branch is writable (0644); a commit sha is not (0444).
    assert.match(lsOut, /-rw-r--r-- .* 3145728 .* weights\.bin/);
    assert.match(sh(`stat -c '%s %A' ${root}/config.json`), /^\d+ -rw-r--r--/);
    const sha = sh(`getfattr --only-values -n user.hub.commit ${root}/config.json`).trim();
    assert.match(sh(`stat -c '%s %A' ${root}@${sha}/config.json`), /^\d+ -r--r--r--/);
    const du = Number(sh(`du -sb ${root}`).split("\t")[0]);
    assert.ok(du >= 3145728, `du says ${du}`);
  });

  test("cp -r copies byte-equal files", () => {
    const dest = path.join(work, "copy");
    sh(`cp -r ${mount.mountpoint}/models/${REPO} ${dest}`);
    sh(`diff -r ${src} ${dest}`);
  });

  test("an LFS file reads byte-equal, and its attributes say where it comes from", () => {
    const f = `${mount.mountpoint}/models/${REPO}/weights.bin`;
    assert.equal(sha256File(f), sha256File(path.join(src, "weights.bin")));
    const attrs = sh(`getfattr -d --absolute-names ${f}`);
    assert.match(attrs, /user\.hub\.lfs\.sha256="[0-9a-f]{64}"/);
    assert.match(attrs, /user\.hub\.commit="[0-9a-f]{40}"/);
    assert.match(attrs, /user\.hub\.url=".*\/resolve\/[0-9a-f]{40}\/weights\.bin"/);
    assert.match(attrs, /user\.hub\.cached="3145728"/);
  });

  test("ls of a namespace lists its repositories", () => {
    const names = fs.readdirSync(`${mount.mountpoint}/models/alice`).sort();
    assert.deepEqual(names, ["big", "tiny"]);
  });
});

describe("revisions", () => {
  test("branch, tag, full sha, short sha and refs/pr/N all name the right commit", async () => {
    const first = (await client.info(REPO)).sha;
    await client.json("POST", `/api/models/${REPO}/tag/${first}`, { tag: "v1" });
    await client.json("POST", `/api/models/${REPO}/branch/dev`, {});
    await client.commit(REPO, [{ path: "dev-only.txt", data: Buffer.from("dev\n") }], { revision: "dev", summary: "dev" });
    const pr = await client.commit(REPO, [{ path: "pr-only.txt", data: Buffer.from("pr\n") }], { createPr: true, summary: "pr" });
    assert.match(pr.pullRequestUrl, /\/discussions\/1$/);
    const base = `${mount.mountpoint}/models/alice`;
    const has = (dir, name) => fs.readdirSync(`${base}/${dir}`).includes(name);
    assert.ok(has("tiny@dev", "dev-only.txt"));
    assert.ok(!has("tiny@v1", "dev-only.txt") && has("tiny@v1", "config.json"));
    assert.ok(has(`tiny@${first}`, "config.json"));
    assert.ok(has(`tiny@${first.slice(0, 10)}`, "config.json"));
    assert.ok(has("tiny@refs%2Fpr%2F1", "pr-only.txt"));
    assert.equal(sh(`getfattr --only-values -n user.hub.commit ${base}/tiny@v1`), first);
  });

  test("single-repo mode mounts one repository at the root", () => {
    const m = mountHubfs(hub.url, { token: TOKEN, args: ["--repo", `model/${REPO}`] });
    try {
      sh(`diff -r ${src} ${m.mountpoint}`);
    } finally {
      m.unmount();
    }
  });
});

describe("what it costs", () => {
  test("head -c 100 of a 1 GiB file costs at most 2 blob requests", () => {
    const since = readLog(hub.logFile).length;
    const head = sh(`head -c 100 ${mount.mountpoint}/models/alice/big/big.bin | od -An -tx1 | tr -d ' \\n'`);
    assert.equal(head, fs.readFileSync(bigFile).subarray(0, 100).toString("hex"));
    const blobs = blobRequests(since);
    assert.ok(blobs.length <= 2, `blob requests: ${JSON.stringify(blobs)}`);
    const bytes = blobs.reduce((n, r) => n + r.bytes, 0);
    assert.ok(bytes <= 8 << 20, `fetched ${bytes} bytes for 100`);
  });

  test("ls -l of a 2,500-file folder costs at most 4 requests", () => {
    const m = mountHubfs(hub.url, { token: TOKEN });
    try {
      const since = readLog(hub.logFile).length;
      const lines = sh(`ls -l ${m.mountpoint}/models/${REPO}/many | wc -l`);
      assert.equal(Number(lines.trim()), 2501);  // "total" + 2,500 entries
      const reqs = readLog(hub.logFile).slice(since);
      assert.ok(reqs.length <= 4, `requests: ${reqs.map((r) => r.path).join(", ")}`);
    } finally {
      m.unmount();
    }
  });

  test("a second full read of a file costs no request", () => {
    const f = `${mount.mountpoint}/models/${REPO}/weights.bin`;
    sha256File(f);
    const since = readLog(hub.logFile).length;
    assert.equal(sha256File(f), sha256File(path.join(src, "weights.bin")));
    assert.equal(readLog(hub.logFile).length - since, 0);
  });

  test("two readers of one file at once fetch each chunk once, and a full read is right", async () => {
    const f = `${mount.mountpoint}/models/alice/big/big.bin`;
    const since = readLog(hub.logFile).length;
    const [a, b] = await Promise.all([
      new Promise((res) => res(sh(`sha256sum ${f} | cut -d' ' -f1`).trim())),
      new Promise((res) => setTimeout(() => res(sh(`sha256sum ${f} | cut -d' ' -f1`).trim()), 10)),
    ]);
    assert.equal(a, bigSha);
    assert.equal(b, bigSha);
    // Every byte of the file came over the network at most once.
    const fetched = blobRequests(since).reduce((n, r) => n + r.bytes, 0);
    assert.ok(fetched <= 1073741824, `fetched ${fetched} bytes for a 1 GiB file read twice`);
  });
});

describe("errors", () => {
  test("missing repo, revision and file are ENOENT; a private repo without a token too", async () => {
    const base = `${mount.mountpoint}/models/alice`;
    assert.throws(() => fs.statSync(`${base}/nope`), { code: "ENOENT" });
    assert.throws(() => fs.statSync(`${base}/tiny@no-such-branch`), { code: "ENOENT" });
    assert.throws(() => fs.statSync(`${base}/tiny/no-such-file`), { code: "ENOENT" });
    await client.createRepo("alice/secret", { private: true });
    const anon = mountHubfs(hub.url, {});
    try {
      assert.throws(() => fs.readdirSync(`${anon.mountpoint}/models/alice/secret`), /ENOENT|EACCES/);
      assert.ok(fs.readdirSync(`${mount.mountpoint}/models/alice/secret`).includes(".gitattributes"));
    } finally {
      anon.unmount();
    }
  });

  test("a malformed path is ENOENT, not a crash", () => {
    assert.throws(() => fs.statSync(`${mount.mountpoint}/models/alice/tiny@`), { code: "ENOENT" });
    assert.throws(() => fs.statSync(`${mount.mountpoint}/nothing-here`), { code: "ENOENT" });
    assert.throws(() => fs.statSync(`${mount.mountpoint}/models/al ice/x`), { code: "ENOENT" });
  });

  test("start-up errors are one clear line and a non-zero exit", () => {
    assert.throws(() => mountHubfs(hub.url, { token: "hf_wrong" }), /token was refused/);
    assert.throws(() => mountHubfs("http://127.0.0.1:1", {}), /cannot use/);
  });
});
