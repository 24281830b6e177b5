// The read path on a real FUSE mount against a running localhub: what a user sees with ls,
// stat, cat, cp, find, du and diff, every revision form, and what it costs in requests.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { settleLog, startLocalhub } from "../harness/localhub.mjs";
import { HubClient, blocking, filesOf, mountHubfs, readLog, sh, sha256, sha256File } from "./fixture.mjs";

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

/** [start, end] (inclusive) of a logged `bytes=a-b` / `bytes=a-` range of a file of `size` bytes. */
function rangeOf(r, size) {
  const m = /^bytes=(\d+)-(\d*)$/.exec(r.range);
  assert.ok(m, `a blob GET without a single range: ${JSON.stringify(r)}`);
  return [Number(m[1]), m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1)];
}

/** A program run in the background: {child, done (true once it exited), result: {status, stdout, stderr}}. */
function background(cmd, args) {
  const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], timeout: 300000 });
  const run = { child, done: false };
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  run.result = new Promise((resolve) =>
    child.on("close", (status, signal) => {
      run.done = true;
      resolve({ status, signal, stdout, stderr });
    }),
  );
  return run;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

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
  test("tag, old full sha, old short sha and refs/pr/N read the bytes of their commit after main moved on; dev and main their own", async () => {
    const REVS = "alice/revs";
    const v1 = { "config.json": Buffer.from('{"hidden_size": 8}\n'), "weights.bin": crypto.randomBytes(3 << 20) };
    const v2 = { "config.json": Buffer.from('{"hidden_size": 16}\n'), "weights.bin": crypto.randomBytes(3 << 20) };
    const prConfig = Buffer.from('{"hidden_size": 32}\n');
    const devConfig = Buffer.from('{"hidden_size": 64}\n');
    const asFiles = (v) => Object.entries(v).map(([p, data]) => ({ path: p, data, lfs: p.endsWith(".bin") }));
    await client.createRepo(REVS);
    const first = (await client.commit(REVS, asFiles(v1), { summary: "v1" })).commitOid;
    await client.json("POST", `/api/models/${REVS}/tag/main`, { tag: "v1" });
    await client.json("POST", `/api/models/${REVS}/branch/dev`, {});
    await client.commit(REVS, [{ path: "config.json", data: devConfig }], { revision: "dev", summary: "dev" });
    // main moves on after the tag: every name but main and dev must still read v1's bytes.
    const second = (await client.commit(REVS, asFiles(v2), { summary: "v2" })).commitOid;
    assert.notEqual(second, first);
    const pr = await client.commit(REVS, [{ path: "config.json", data: prConfig }], { createPr: true, summary: "pr" });
    assert.match(pr.pullRequestUrl, /\/discussions\/1$/);

    const base = `${mount.mountpoint}/models/alice`;
    const read = (rev, p) => fs.readFileSync(`${base}/revs@${rev}/${p}`);
    const expect = {
      v1: v1,
      [first]: v1,
      [first.slice(0, 7)]: v1,
      [first.slice(0, 12)]: v1,
      main: v2,
      [second.slice(0, 10)]: v2,
      dev: { "config.json": devConfig, "weights.bin": v1["weights.bin"] },
      "refs%2Fpr%2F1": { "config.json": prConfig, "weights.bin": v2["weights.bin"] },
    };
    for (const [rev, files] of Object.entries(expect))
      for (const [p, want] of Object.entries(files))
        assert.equal(sha256(read(rev, p)), sha256(want), `${p} at ${rev}`);
    assert.deepEqual(fs.readFileSync(`${base}/revs/config.json`), v2["config.json"], "no @REV: the default branch");
    assert.equal(sh(`getfattr --only-values -n user.hub.commit ${base}/revs@v1`), first);
    assert.equal(sh(`getfattr --only-values -n user.hub.commit ${base}/revs@${first.slice(0, 7)}/config.json`), first);
  });

  test("datasets/ and spaces/ read the bytes of their repositories, at a tag and at the head", async () => {
    const cases = [
      ["dataset", "alice/ds", "data/train.csv", true],
      ["space", "alice/sp", "app.py", false],
    ];
    for (const [type, id, p, lfs] of cases) {
      const old = lfs ? crypto.randomBytes(2 << 20) : Buffer.from(`print("old ${type}")\n`);
      const now = lfs ? crypto.randomBytes(2 << 20) : Buffer.from(`print("new ${type}")\n`);
      await client.createRepo(id, { type });
      await client.commit(id, [{ path: p, data: old, lfs }], { type, summary: "old" });
      await client.json("POST", `/api/${type}s/${id}/tag/main`, { tag: "v1" });
      await client.commit(id, [{ path: p, data: now, lfs }], { type, summary: "new" });
      const dir = `${mount.mountpoint}/${type}s/${id}`;
      assert.equal(sha256(fs.readFileSync(`${dir}@v1/${p}`)), sha256(old), `${type} ${id}@v1/${p}`);
      assert.equal(sha256(fs.readFileSync(`${dir}/${p}`)), sha256(now), `${type} ${id}/${p}`);
    }
    assert.ok(fs.readdirSync(`${mount.mountpoint}/datasets/alice`).includes("ds"));
    assert.ok(fs.readdirSync(`${mount.mountpoint}/spaces/alice`).includes("sp"));
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
  test("head -c 100 of a 1 GiB file costs at most 2 blob requests", async () => {
    const since = readLog(hub.logFile).length;
    const head = sh(`head -c 100 ${mount.mountpoint}/models/alice/big/big.bin | od -An -tx1 | tr -d ' \\n'`);
    assert.equal(head, fs.readFileSync(bigFile).subarray(0, 100).toString("hex"));
    await settleLog(hub.logFile);  // background prefetches count too
    const blobs = blobRequests(since);
    assert.ok(blobs.length <= 2, `blob requests: ${JSON.stringify(blobs)}`);
    const bytes = blobs.reduce((n, r) => n + r.bytes, 0);
    assert.ok(bytes <= 8 << 20, `fetched ${bytes} bytes for 100`);
  });

  test("ls -l of a 2,500-file folder costs at most 4 requests", async () => {
    const m = mountHubfs(hub.url, { token: TOKEN });
    try {
      const since = (await settleLog(hub.logFile)).length;
      const lines = sh(`ls -l ${m.mountpoint}/models/${REPO}/many | wc -l`);
      assert.equal(Number(lines.trim()), 2501);  // "total" + 2,500 entries
      const reqs = (await settleLog(hub.logFile)).slice(since);
      assert.ok(reqs.length <= 4, `requests: ${reqs.map((r) => r.path).join(", ")}`);
    } finally {
      m.unmount();
    }
  });

  test("a second full read of a file costs no request", async () => {
    // A mount of its own whose branch names stay resolved for the whole test: a revision's
    // expiry (revalidated in the background, options.test.mjs) must not land between the reads.
    const m = mountHubfs(hub.url, { token: TOKEN, args: ["--revision-ttl", "3600"] });
    try {
      const f = `${m.mountpoint}/models/${REPO}/weights.bin`;
      sha256File(f);
      const since = (await settleLog(hub.logFile)).length;
      assert.equal(sha256File(f), sha256File(path.join(src, "weights.bin")));
      const reqs = (await settleLog(hub.logFile)).slice(since);
      assert.deepEqual(reqs.map((r) => `${r.method} ${r.path}`), []);
    } finally {
      m.unmount();
    }
  });

  test("after a remount on the same cache, a full read of an LFS file costs no blob request (the disk cache, not the page cache)", async () => {
    const cacheDir = path.join(work, "cache-remount");
    const f = (m) => `${m.mountpoint}/models/${REPO}/weights.bin`;
    const want = sha256File(path.join(src, "weights.bin"));
    let m = mountHubfs(hub.url, { token: TOKEN, cacheDir });
    try {
      const since = (await settleLog(hub.logFile)).length;
      assert.equal(sha256File(f(m)), want);
      await settleLog(hub.logFile);
      assert.ok(blobRequests(since).length > 0, "the first read fetched from the storage host");
    } finally {
      m.unmount();
    }
    m = mountHubfs(hub.url, { token: TOKEN, cacheDir });
    try {
      const since = (await settleLog(hub.logFile)).length;
      assert.equal(sha256File(f(m)), want);
      await settleLog(hub.logFile);
      assert.deepEqual(blobRequests(since), [], "no byte of the file came over the network again");
    } finally {
      m.unmount();
    }
  });

  test("two readers started together fetch each byte range of a 1 GiB file once, and both read the right bytes", async () => {
    // A mount of its own: nothing of big.bin is cached yet, so every byte must come once.
    const m = mountHubfs(hub.url, { token: TOKEN });
    try {
      const f = `${m.mountpoint}/models/alice/big/big.bin`;
      const size = fs.statSync(f).size;
      const since = (await settleLog(hub.logFile)).length;
      // O_DIRECT: each reader's reads reach hubfs (through the page cache the kernel would
      // merge the two readers into one stream, and hubfs's sharing of a fetch would go untested).
      const reader = () => background("bash", ["-c", `set -o pipefail; dd if='${f}' iflag=direct bs=1M status=none | sha256sum`]);
      const readers = [reader(), reader()];
      // Concurrent: once 128 MiB have come from the storage host, both are still reading.
      for (let i = 0; i < 1200 && !readers.some((r) => r.done); i++) {
        if (blobRequests(since).reduce((n, r) => n + r.bytes, 0) >= 128 << 20) break;
        await sleep(50);
      }
      assert.deepEqual(readers.map((r) => r.done), [false, false], "both readers run at the same time");
      const results = await Promise.all(readers.map((r) => r.result));
      for (const r of results) {
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stdout.split(" ")[0], bigSha);
      }
      await settleLog(hub.logFile);
      const ranges = blobRequests(since).filter((r) => r.method === "GET").map((r) => rangeOf(r, size)).sort((a, b) => a[0] - b[0]);
      let next = 0;
      for (const [a, b] of ranges) {
        assert.ok(a >= next, `bytes ${a}-${b} fetched again (already had up to ${next - 1})`);
        next = b + 1;
      }
      const total = ranges.reduce((n, [a, b]) => n + (b - a + 1), 0);
      assert.equal(total, size, "every byte fetched exactly once");
    } finally {
      m.unmount();
    }
  });

  test("reads at random offsets across chunk boundaries return the source's bytes", () => {
    const f = `${mount.mountpoint}/models/alice/big/big.bin`;
    const MiB = 1 << 20;
    let seed = 14;
    const rand = (n) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
    const local = fs.openSync(bigFile, "r");
    blocking(120000, () => {
      const fd = fs.openSync(f, "r");
      try {
        for (let i = 0; i < 200; i++) {
          // Around a chunk boundary (1 MiB chunks), spanning it, sometimes several chunks long.
          const boundary = (1 + rand(1023)) * MiB;
          const start = boundary - 1 - rand(4096);
          const len = i % 10 === 0 ? 3 * MiB + rand(MiB) : 2 + rand(256 * 1024);
          const got = Buffer.alloc(len);
          const want = Buffer.alloc(len);
          let n = 0;
          while (n < len) {
            const k = fs.readSync(fd, got, n, len - n, start + n);
            if (k === 0) break;
            n += k;
          }
          fs.readSync(local, want, 0, len, start);
          assert.equal(n, len, `read of ${len} bytes at ${start}`);
          assert.ok(got.equals(want), `bytes ${start}..${start + len - 1} differ from the source`);
        }
      } finally {
        fs.closeSync(fd);
        fs.closeSync(local);
      }
    });
  });

  test("the token never reaches the storage host: every blob-host request of every mount came without Authorization", async () => {
    const log = await settleLog(hub.logFile);
    const blob = log.filter((r) => r.host === "blob");
    assert.ok(blob.length > 10, "the storage host served this file's reads");
    assert.deepEqual(blob.filter((r) => r.auth), [], "blob-host requests carrying an Authorization header");
    assert.ok(log.some((r) => r.host === "api" && r.auth), "API requests do carry the token (the log field works)");
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
