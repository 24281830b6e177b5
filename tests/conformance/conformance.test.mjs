// Conformance: the official @huggingface/hub client (pinned in package.json) against localhub.
// Every call passes hubUrl and accessToken explicitly, and useXet: false on commits (protocol §12).
// The checks run in order and build on each other (one localhub for the whole file).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";

import {
  whoAmI,
  createRepo,
  uploadFiles,
  listFiles,
  pathsInfo,
  fileDownloadInfo,
  downloadFile,
  listCommits,
  createBranch,
  deleteFile,
  modelInfo,
  repoExists,
  fileExists,
  commit,
  snapshotDownload,
  datasetInfo,
  listModels,
  HubApiError,
} from "@huggingface/hub";
import fs from "node:fs";
import os from "node:os";
import nodePath from "node:path";

import { startLocalhub, readLog, waitForLog } from "../harness/localhub.mjs";

const ALICE = "hf_alice_conformance_write_token";
const BOB = "hf_bob_conformance_write_token";
const MIB = 1024 * 1024;
const MULTIPART_CHUNK = 8 * MIB; // localhub default --multipart-chunk

let hub;
let hubUrl;

before(async () => {
  hub = await startLocalhub({ users: [`alice:${ALICE}:write`, `bob:${BOB}:write`] });
  hubUrl = hub.url;
});
after(async () => {
  if (hub) await hub.stop();
});

// ---------------------------------------------------------------------------------------------
// helpers

const sha256 = (buf) => crypto.createHash("sha256").update(buf).digest("hex");
const gitBlobSha1 = (buf) =>
  crypto.createHash("sha1").update(`blob ${buf.length}\0`).update(buf).digest("hex");
const lfsPointer = (buf) =>
  `version https://git-lfs.github.com/spec/v1\noid sha256:${sha256(buf)}\nsize ${buf.length}\n`;
const unquote = (etag) => etag.replace(/^W\//, "").replace(/^"(.*)"$/, "$1");

/** Expected tree entry for a file, as tree/paths-info describe it (§4.2). */
function fileEntry(path, buf, lfs) {
  if (!lfs) return { type: "file", path, size: buf.length, oid: gitBlobSha1(buf) };
  const pointer = Buffer.from(lfsPointer(buf));
  return {
    type: "file",
    path,
    size: buf.length,
    oid: gitBlobSha1(pointer),
    lfs: { oid: sha256(buf), size: buf.length, pointerSize: pointer.length },
  };
}

/** Keep only the fields the checks compare (the client passes unknown fields through). */
function pick(entry) {
  const out = { type: entry.type, path: entry.path, size: entry.size, oid: entry.oid };
  if (entry.lfs) out.lfs = { oid: entry.lfs.oid, size: entry.lfs.size, pointerSize: entry.lfs.pointerSize };
  return out;
}

const byPath = (a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

async function collect(iter) {
  const out = [];
  for await (const x of iter) out.push(x);
  return out;
}

async function expectHubError(promise, statusCode, what) {
  await assert.rejects(promise, (err) => {
    assert.ok(err instanceof HubApiError, `${what}: expected a HubApiError, got ${err?.stack ?? err}`);
    assert.equal(err.statusCode, statusCode, `${what}: status (message: ${err.message})`);
    return true;
  });
}

async function headOf(repo, accessToken = ALICE, revision = "main") {
  const res = await fetch(`${hubUrl}/api/models/${repo}/revision/${revision}`, {
    headers: { Authorization: `Bearer ${accessToken}` },
  });
  assert.equal(res.status, 200, `repo info of ${repo}@${revision}`);
  return (await res.json()).sha;
}

/** Deterministic pseudo-random bytes (fast, reproducible across runs). */
function randomBytes(n, seed) {
  const out = Buffer.allocUnsafe(n);
  let block = crypto.createHash("sha256").update(String(seed)).digest();
  for (let off = 0; off < n; ) {
    // AES-256-CTR keystream, re-keyed every 4 MiB from a sha256 chain.
    const cipher = crypto.createCipheriv("aes-256-ctr", block, Buffer.alloc(16));
    const chunk = cipher.update(Buffer.alloc(Math.min(n - off, 4 * MIB)));
    chunk.copy(out, off);
    off += chunk.length;
    block = crypto.createHash("sha256").update(block).digest();
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// fixtures

const PUBLIC = "alice/conformance-public";
const PRIVATE = "alice/conformance-private";
const MANY = "alice/conformance-many";

const files = {
  "README.md": Buffer.from("# conformance\n\nA repository written by the official client.\n"),
  "config.json": Buffer.from(JSON.stringify({ hidden_size: 64, layers: 2 }, null, 2) + "\n"),
  "nested/deeper/notes.txt": Buffer.from("line one\nline two\n"),
  // 30 MiB of random bytes: size >= 20 MiB, localhub offers multipart (4 parts of 8 MiB).
  "data/random-30MiB.dat": randomBytes(30 * MIB, "thirty"),
  // 1 MiB with NUL bytes: LFS by binary sniffing, below the multipart threshold (basic PUT).
  "data/nul-1MiB.dat": (() => {
    const b = randomBytes(MIB, "one");
    for (let i = 0; i < b.length; i += 97) b[i] = 0;
    return b;
  })(),
};
const isLfs = (p) => p.startsWith("data/");

let uploadCommit; // oid of the commit that uploaded `files` to PUBLIC
let initialCommit; // oid of the repo's first commit

// ---------------------------------------------------------------------------------------------
// checks

test("whoAmI returns the token's user", async () => {
  const me = await whoAmI({ hubUrl, accessToken: ALICE });
  assert.equal(me.type, "user");
  assert.equal(me.name, "alice");
  assert.deepEqual(me.orgs, []);
  assert.equal(me.auth.type, "access_token");
  assert.equal(me.auth.accessToken.role, "write");
  const other = await whoAmI({ hubUrl, accessToken: BOB });
  assert.equal(other.name, "bob");
  await expectHubError(whoAmI({ hubUrl, accessToken: "hf_not_a_known_token" }), 401, "whoAmI with a bad token");
});

test("createRepo public and private", async () => {
  const pub = await createRepo({ repo: PUBLIC, hubUrl, accessToken: ALICE });
  assert.equal(pub.repoUrl, `${hubUrl}/${PUBLIC}`);
  const priv = await createRepo({ repo: PRIVATE, visibility: "private", hubUrl, accessToken: ALICE });
  assert.equal(priv.repoUrl, `${hubUrl}/${PRIVATE}`);
  await createRepo({ repo: MANY, hubUrl, accessToken: ALICE });

  const pubInfo = await modelInfo({ name: PUBLIC, hubUrl, accessToken: ALICE });
  assert.equal(pubInfo.name, PUBLIC);
  assert.equal(pubInfo.private, false);
  const privInfo = await modelInfo({ name: PRIVATE, hubUrl, accessToken: ALICE });
  assert.equal(privInfo.name, PRIVATE);
  assert.equal(privInfo.private, true);

  await expectHubError(createRepo({ repo: PUBLIC, hubUrl, accessToken: ALICE }), 409, "createRepo of an existing repo");
  // bob cannot create in alice's namespace
  await expectHubError(createRepo({ repo: "alice/by-bob", hubUrl, accessToken: BOB }), 403, "createRepo in another namespace");
});

test("a new repo has one initial commit", async () => {
  const commits = await collect(listCommits({ repo: PUBLIC, hubUrl, accessToken: ALICE }));
  assert.equal(commits.length, 1);
  initialCommit = commits[0].oid;
  assert.match(initialCommit, /^[0-9a-f]{40}$/);
  assert.equal(await headOf(PUBLIC), initialCommit);
});

test("uploadFiles: small text files, a 30 MiB LFS file (multipart) and a 1 MiB NUL-byte file (basic)", async () => {
  const out = await uploadFiles({
    repo: PUBLIC,
    files: Object.entries(files).map(([path, buf]) => ({ path, content: new Blob([buf]) })),
    commitTitle: "Upload conformance files",
    hubUrl,
    accessToken: ALICE,
    useXet: false,
  });
  uploadCommit = out.commit.oid;
  assert.match(uploadCommit, /^[0-9a-f]{40}$/);
  assert.equal(out.commit.url, `${hubUrl}/${PUBLIC}/commit/${uploadCommit}`);
  assert.equal(await headOf(PUBLIC), uploadCommit);

  // The transfers, as localhub logged them.
  const big = sha256(files["data/random-30MiB.dat"]);
  const small = sha256(files["data/nul-1MiB.dat"]);
  const parts = Math.ceil(files["data/random-30MiB.dat"].length / MULTIPART_CHUNK);
  assert.equal(parts, 4);
  const log = await waitForLog(hub.logFile, (l) => l.host === "blob" && l.method === "POST", 1);
  const blob = readLog(hub.logFile).filter((l) => l.host === "blob");
  const bigPuts = blob.filter((l) => l.method === "PUT" && l.path.includes(big));
  assert.equal(bigPuts.length, parts, `multipart part PUTs: ${JSON.stringify(bigPuts)}`);
  assert.ok(bigPuts.every((l) => l.status === 200), `part PUT statuses: ${JSON.stringify(bigPuts)}`);
  const completions = blob.filter((l) => l.method === "POST" && l.path.includes(big));
  assert.equal(completions.length, 1, `multipart completion: ${JSON.stringify(log)}`);
  assert.equal(completions[0].status, 200);
  const smallPuts = blob.filter((l) => l.method === "PUT" && l.path.includes(small));
  assert.equal(smallPuts.length, 1, `basic PUT: ${JSON.stringify(blob)}`);
  assert.equal(smallPuts[0].status, 200);
  // Regular files go base64 inside the commit: nothing else reached the blob host.
  assert.equal(blob.filter((l) => l.method === "PUT").length, parts + 1);

  // The batch call happened on the API host.
  const batches = readLog(hub.logFile).filter(
    (l) => l.host === "api" && l.method === "POST" && l.path === `/${PUBLIC}.git/info/lfs/objects/batch`,
  );
  assert.equal(batches.length, 1);
  assert.equal(batches[0].status, 200);
});

test("listFiles recursive lists exactly the uploaded files", async () => {
  const entries = await collect(listFiles({ repo: PUBLIC, recursive: true, hubUrl, accessToken: ALICE }));
  const fileEntries = entries.filter((e) => e.type === "file");
  const dirs = entries.filter((e) => e.type === "directory").map((e) => e.path).sort();
  assert.deepEqual(dirs, ["data", "nested", "nested/deeper"]);
  const gitattributes = fileEntries.find((e) => e.path === ".gitattributes");
  assert.ok(gitattributes, "the initial .gitattributes is listed");
  const expected = Object.entries(files)
    .map(([p, b]) => fileEntry(p, b, isLfs(p)))
    .sort(byPath);
  assert.deepEqual(
    fileEntries.filter((e) => e.path !== ".gitattributes").map(pick).sort(byPath),
    expected,
  );
  assert.equal(entries.length, Object.keys(files).length + 1 + 3);

  // Non-recursive: one level.
  const top = await collect(listFiles({ repo: PUBLIC, hubUrl, accessToken: ALICE }));
  assert.deepEqual(
    top.map((e) => `${e.type}:${e.path}`).sort(),
    ["directory:data", "directory:nested", "file:.gitattributes", "file:README.md", "file:config.json"],
  );
  // A folder.
  const sub = await collect(listFiles({ repo: PUBLIC, path: "nested", recursive: true, hubUrl, accessToken: ALICE }));
  assert.deepEqual(sub.map((e) => `${e.type}:${e.path}`).sort(), [
    "directory:nested/deeper",
    "file:nested/deeper/notes.txt",
  ]);
});

test("listFiles on a repo of 2,600 files paginates and counts exactly", async () => {
  const DIRS = 26;
  const PER_DIR = 100;
  const all = [];
  for (let d = 0; d < DIRS; d++)
    for (let f = 0; f < PER_DIR; f++)
      all.push({ path: `dir-${String(d).padStart(2, "0")}/file-${String(f).padStart(3, "0")}.txt`, text: `${d}/${f}\n` });
  // Three commits: 1000 + 1000 + 600 files.
  for (let start = 0, n = 1; start < all.length; start += 1000, n++) {
    await uploadFiles({
      repo: MANY,
      files: all.slice(start, start + 1000).map((f) => ({ path: f.path, content: new Blob([f.text]) })),
      commitTitle: `Many files, part ${n}`,
      hubUrl,
      accessToken: ALICE,
      useXet: false,
    });
  }
  const before = readLog(hub.logFile).length;
  const entries = await collect(listFiles({ repo: MANY, recursive: true, hubUrl, accessToken: ALICE }));
  const fileEntries = entries.filter((e) => e.type === "file");
  const dirEntries = entries.filter((e) => e.type === "directory");
  assert.equal(fileEntries.length, DIRS * PER_DIR + 1); // + .gitattributes
  assert.equal(dirEntries.length, DIRS);
  assert.equal(entries.length, DIRS * PER_DIR + 1 + DIRS);
  assert.equal(new Set(entries.map((e) => e.path)).size, entries.length, "no entry listed twice");
  const want = new Map(all.map((f) => [f.path, Buffer.from(f.text)]));
  for (const e of fileEntries) {
    if (e.path === ".gitattributes") continue;
    const buf = want.get(e.path);
    assert.ok(buf, `unexpected path ${e.path}`);
    assert.equal(e.size, buf.length, e.path);
    assert.equal(e.oid, gitBlobSha1(buf), e.path);
  }
  // Pagination was exercised: 2,627 entries at 1,000 a page is at least 3 tree requests.
  await waitForLog(hub.logFile, () => true, before + 3);
  const treeGets = readLog(hub.logFile)
    .slice(before)
    .filter((l) => l.method === "GET" && l.path.startsWith(`/api/models/${MANY}/tree/`));
  assert.ok(treeGets.length >= 3, `tree pages requested: ${treeGets.length}`);
  assert.ok(treeGets.every((l) => l.status === 200));

  const commits = await collect(listCommits({ repo: MANY, hubUrl, accessToken: ALICE }));
  assert.equal(commits.length, 4); // 3 uploads + the initial commit
  assert.deepEqual(
    commits.slice(0, 3).map((c) => c.title),
    ["Many files, part 3", "Many files, part 2", "Many files, part 1"],
  );
});

test("pathsInfo returns existing paths with exact metadata and skips missing ones", async () => {
  const info = await pathsInfo({
    repo: PUBLIC,
    paths: ["config.json", "data/random-30MiB.dat", "data/nul-1MiB.dat", "does/not/exist.txt"],
    hubUrl,
    accessToken: ALICE,
  });
  assert.deepEqual(
    info.map(pick).sort(byPath),
    [
      fileEntry("config.json", files["config.json"], false),
      fileEntry("data/nul-1MiB.dat", files["data/nul-1MiB.dat"], true),
      fileEntry("data/random-30MiB.dat", files["data/random-30MiB.dat"], true),
    ].sort(byPath),
  );
  const expanded = await pathsInfo({ repo: PUBLIC, paths: ["README.md", "nested"], expand: true, hubUrl, accessToken: ALICE });
  assert.equal(expanded.length, 2);
  const readme = expanded.find((e) => e.path === "README.md");
  assert.equal(readme.type, "file");
  assert.equal(readme.lastCommit.id, uploadCommit);
  assert.equal(readme.lastCommit.title, "Upload conformance files");
  assert.ok(!Number.isNaN(readme.lastCommit.date.getTime()), "lastCommit.date parses");
  const nested = expanded.find((e) => e.path === "nested");
  assert.equal(nested.type, "directory");
});

test("fileDownloadInfo for regular, LFS and missing files", async () => {
  const reg = await fileDownloadInfo({ repo: PUBLIC, path: "config.json", hubUrl, accessToken: ALICE });
  assert.equal(reg.size, files["config.json"].length);
  assert.equal(unquote(reg.etag), gitBlobSha1(files["config.json"]));
  assert.equal(reg.xet, undefined);
  assert.equal(reg.url, `${hubUrl}/${PUBLIC}/resolve/main/config.json`);

  const lfs = await fileDownloadInfo({ repo: PUBLIC, path: "data/random-30MiB.dat", hubUrl, accessToken: ALICE });
  assert.equal(lfs.size, 30 * MIB);
  assert.equal(unquote(lfs.etag), sha256(files["data/random-30MiB.dat"]));
  assert.equal(lfs.xet, undefined);

  const pinned = await fileDownloadInfo({ repo: PUBLIC, path: "config.json", revision: uploadCommit, hubUrl, accessToken: ALICE });
  assert.equal(pinned.size, files["config.json"].length);

  assert.equal(await fileDownloadInfo({ repo: PUBLIC, path: "missing.txt", hubUrl, accessToken: ALICE }), null);
  await expectHubError(
    fileDownloadInfo({ repo: PUBLIC, path: "config.json", revision: "no-such-branch", hubUrl, accessToken: ALICE }),
    404,
    "fileDownloadInfo at an unknown revision",
  );
});

test("downloadFile whole and by range is byte-equal to the upload", async () => {
  for (const [path, buf] of Object.entries(files)) {
    const blob = await downloadFile({ repo: PUBLIC, path, hubUrl, accessToken: ALICE });
    assert.ok(blob, path);
    assert.equal(blob.size, buf.length, `${path} size`);
    const got = Buffer.from(await blob.arrayBuffer());
    assert.ok(got.equals(buf), `${path}: downloaded bytes differ (sha256 ${sha256(got)} vs ${sha256(buf)})`);
  }
  const big = files["data/random-30MiB.dat"];
  const blob = await downloadFile({ repo: PUBLIC, path: "data/random-30MiB.dat", hubUrl, accessToken: ALICE });
  for (const [a, b] of [
    [0, 1],
    [1000, 5096],
    [MULTIPART_CHUNK - 100, MULTIPART_CHUNK + 100], // across a multipart part boundary
    [big.length - 777, big.length],
  ]) {
    const got = Buffer.from(await blob.slice(a, b).arrayBuffer());
    assert.ok(got.equals(big.subarray(a, b)), `range [${a}, ${b}) differs`);
  }
  const cfg = await downloadFile({ repo: PUBLIC, path: "config.json", hubUrl, accessToken: ALICE });
  assert.equal(await cfg.slice(2, 15).text(), files["config.json"].subarray(2, 15).toString());

  // raw: the pointer of an LFS file
  const raw = await downloadFile({ repo: PUBLIC, path: "data/nul-1MiB.dat", raw: true, hubUrl, accessToken: ALICE });
  assert.equal(await raw.text(), lfsPointer(files["data/nul-1MiB.dat"]));

  assert.equal(await downloadFile({ repo: PUBLIC, path: "missing.bin", hubUrl, accessToken: ALICE }), null);
});

test("listCommits lists the history newest first", async () => {
  const commits = await collect(listCommits({ repo: PUBLIC, hubUrl, accessToken: ALICE }));
  assert.deepEqual(
    commits.map((c) => c.oid),
    [uploadCommit, initialCommit],
  );
  assert.equal(commits[0].title, "Upload conformance files");
  assert.ok(commits.every((c) => !Number.isNaN(c.date.getTime())), "dates parse");
  assert.ok(commits[0].date.getTime() >= commits[1].date.getTime());
  assert.ok(Array.isArray(commits[0].authors));
  // small pages still give the whole history
  const paged = await collect(listCommits({ repo: MANY, batchSize: 1, hubUrl, accessToken: ALICE }));
  assert.equal(paged.length, 4);
});

test("createBranch, then commits to it leave main alone", async () => {
  await createBranch({ repo: PUBLIC, branch: "dev", hubUrl, accessToken: ALICE });
  assert.equal(await headOf(PUBLIC, ALICE, "dev"), uploadCommit);
  const out = await uploadFiles({
    repo: PUBLIC,
    branch: "dev",
    files: [{ path: "dev-only.txt", content: new Blob(["dev\n"]) }],
    commitTitle: "Dev change",
    hubUrl,
    accessToken: ALICE,
    useXet: false,
  });
  assert.equal(await headOf(PUBLIC, ALICE, "dev"), out.commit.oid);
  assert.equal(await headOf(PUBLIC), uploadCommit);
  const devFiles = await collect(listFiles({ repo: PUBLIC, revision: "dev", recursive: true, hubUrl, accessToken: ALICE }));
  assert.ok(devFiles.some((e) => e.path === "dev-only.txt"));
  const mainFiles = await collect(listFiles({ repo: PUBLIC, recursive: true, hubUrl, accessToken: ALICE }));
  assert.ok(!mainFiles.some((e) => e.path === "dev-only.txt"));

  // from a given revision
  await createBranch({ repo: PUBLIC, branch: "from-initial", revision: initialCommit, hubUrl, accessToken: ALICE });
  assert.equal(await headOf(PUBLIC, ALICE, "from-initial"), initialCommit);

  await expectHubError(
    createBranch({ repo: PUBLIC, branch: "dev", hubUrl, accessToken: ALICE }),
    409,
    "createBranch of an existing branch",
  );
});

test("a commit with a stale parentCommit fails with 412 and changes nothing", async () => {
  await expectHubError(
    uploadFiles({
      repo: PUBLIC,
      files: [{ path: "stale.txt", content: new Blob(["stale\n"]) }],
      parentCommit: initialCommit,
      commitTitle: "Stale",
      hubUrl,
      accessToken: ALICE,
      useXet: false,
    }),
    412,
    "commit with a stale parentCommit",
  );
  assert.equal(await headOf(PUBLIC), uploadCommit);
  // the current head as parent works
  const ok = await uploadFiles({
    repo: PUBLIC,
    files: [{ path: "fresh.txt", content: new Blob(["fresh\n"]) }],
    parentCommit: uploadCommit,
    commitTitle: "Fresh",
    hubUrl,
    accessToken: ALICE,
    useXet: false,
  });
  assert.equal(await headOf(PUBLIC), ok.commit.oid);
  uploadCommit = ok.commit.oid;
});

test("deleteFile removes a file in a new commit", async () => {
  const out = await deleteFile({ repo: PUBLIC, path: "README.md", commitTitle: "Remove README", hubUrl, accessToken: ALICE });
  assert.equal(await headOf(PUBLIC), out.commit.oid);
  const entries = await collect(listFiles({ repo: PUBLIC, recursive: true, hubUrl, accessToken: ALICE }));
  assert.ok(!entries.some((e) => e.path === "README.md"));
  assert.ok(entries.some((e) => e.path === "config.json"));
  assert.equal(await fileDownloadInfo({ repo: PUBLIC, path: "README.md", hubUrl, accessToken: ALICE }), null);
  // the old revision still has it
  const old = await downloadFile({ repo: PUBLIC, path: "README.md", revision: uploadCommit, hubUrl, accessToken: ALICE });
  assert.ok(Buffer.from(await old.arrayBuffer()).equals(files["README.md"]));
  // deleting it again: 404
  await expectHubError(
    deleteFile({ repo: PUBLIC, path: "README.md", hubUrl, accessToken: ALICE }),
    404,
    "deleteFile of a missing file",
  );
  const commits = await collect(listCommits({ repo: PUBLIC, hubUrl, accessToken: ALICE }));
  assert.equal(commits[0].oid, out.commit.oid);
  assert.equal(commits[0].title, "Remove README");
});

test("a private repo is invisible without a token and to another user", async () => {
  const secret = Buffer.from("top secret\n");
  await uploadFiles({
    repo: PRIVATE,
    files: [{ path: "secret.txt", content: new Blob([secret]) }],
    commitTitle: "Secret",
    hubUrl,
    accessToken: ALICE,
    useXet: false,
  });
  // owner sees it
  assert.equal(await repoExists({ repo: PRIVATE, hubUrl, accessToken: ALICE }), true);
  const mine = await downloadFile({ repo: PRIVATE, path: "secret.txt", hubUrl, accessToken: ALICE });
  assert.ok(Buffer.from(await mine.arrayBuffer()).equals(secret));

  // anonymous: 401 everywhere
  assert.equal(await repoExists({ repo: PRIVATE, hubUrl }), false);
  await expectHubError(modelInfo({ name: PRIVATE, hubUrl }), 401, "anonymous modelInfo of a private repo");
  await expectHubError(collect(listFiles({ repo: PRIVATE, hubUrl })), 401, "anonymous listFiles of a private repo");
  await expectHubError(fileDownloadInfo({ repo: PRIVATE, path: "secret.txt", hubUrl }), 401, "anonymous fileDownloadInfo");
  await expectHubError(downloadFile({ repo: PRIVATE, path: "secret.txt", hubUrl }), 401, "anonymous downloadFile");

  // another user: 404, exactly like a missing repo
  assert.equal(await repoExists({ repo: PRIVATE, hubUrl, accessToken: BOB }), false);
  await expectHubError(modelInfo({ name: PRIVATE, hubUrl, accessToken: BOB }), 404, "bob's modelInfo of alice's private repo");
  await expectHubError(collect(listFiles({ repo: PRIVATE, hubUrl, accessToken: BOB })), 404, "bob's listFiles");
  await expectHubError(
    fileDownloadInfo({ repo: PRIVATE, path: "secret.txt", hubUrl, accessToken: BOB }),
    404,
    "bob's fileDownloadInfo",
  );
  await expectHubError(
    pathsInfo({ repo: PRIVATE, paths: ["secret.txt"], hubUrl, accessToken: BOB }),
    404,
    "bob's pathsInfo",
  );
  await expectHubError(
    uploadFiles({
      repo: PRIVATE,
      files: [{ path: "bob.txt", content: new Blob(["bob\n"]) }],
      hubUrl,
      accessToken: BOB,
      useXet: false,
    }),
    404,
    "bob's commit to alice's private repo",
  );
  const res = await fetch(`${hubUrl}/api/models/${PRIVATE}`, { headers: { Authorization: `Bearer ${BOB}` } });
  assert.equal(res.headers.get("x-error-code"), "RepoNotFound");
  // the public repo stays readable anonymously
  assert.equal(await repoExists({ repo: PUBLIC, hubUrl }), true);
  const pub = await downloadFile({ repo: PUBLIC, path: "config.json", hubUrl });
  assert.ok(Buffer.from(await pub.arrayBuffer()).equals(files["config.json"]));
});

test("commit with mixed operations and fileExists", async () => {
  const out = await commit({
    repo: PUBLIC,
    title: "Mixed operations",
    description: "add, replace and delete in one commit",
    operations: [
      { operation: "addOrUpdate", path: "mixed/new.txt", content: new Blob(["new\n"]) },
      { operation: "addOrUpdate", path: "config.json", content: new Blob(['{"replaced": true}\n']) },
      { operation: "delete", path: "nested/deeper/notes.txt" },
    ],
    hubUrl,
    accessToken: ALICE,
    useXet: false,
  });
  assert.equal(await headOf(PUBLIC), out.commit.oid);
  assert.equal(await fileExists({ repo: PUBLIC, path: "mixed/new.txt", hubUrl, accessToken: ALICE }), true);
  assert.equal(await fileExists({ repo: PUBLIC, path: "nested/deeper/notes.txt", hubUrl, accessToken: ALICE }), false);
  const cfg = await downloadFile({ repo: PUBLIC, path: "config.json", hubUrl, accessToken: ALICE });
  assert.equal(await cfg.text(), '{"replaced": true}\n');
  const commits = await collect(listCommits({ repo: PUBLIC, hubUrl, accessToken: ALICE }));
  assert.equal(commits[0].title, "Mixed operations");
  assert.equal(commits[0].message, "add, replace and delete in one commit");
});

test("snapshotDownload fetches every file byte-equal", async () => {
  const cacheDir = fs.mkdtempSync(nodePath.join(os.tmpdir(), "conformance-cache-"));
  try {
    const snap = await snapshotDownload({ repo: PUBLIC, cacheDir, hubUrl, accessToken: ALICE });
    const head = await headOf(PUBLIC);
    assert.ok(snap.endsWith(head), `snapshot dir ${snap} is named after the head commit`);
    const entries = await collect(listFiles({ repo: PUBLIC, recursive: true, hubUrl, accessToken: ALICE }));
    for (const e of entries.filter((x) => x.type === "file")) {
      const local = fs.readFileSync(nodePath.join(snap, e.path));
      assert.equal(local.length, e.size, e.path);
      if (files[e.path] && e.path !== "config.json") assert.ok(local.equals(files[e.path]), `${e.path} differs`);
    }
  } finally {
    fs.rmSync(cacheDir, { recursive: true, force: true });
  }
});

test("dataset repos: create, upload (regular and LFS), list, download", async () => {
  const repo = { type: "dataset", name: "alice/conformance-data" };
  const { repoUrl } = await createRepo({ repo, hubUrl, accessToken: ALICE });
  assert.equal(repoUrl, `${hubUrl}/datasets/alice/conformance-data`);
  const csv = Buffer.from("a,b\n1,2\n");
  const parquet = randomBytes(200 * 1024, "parquet"); // *.parquet is an LFS pattern
  await uploadFiles({
    repo,
    files: [
      { path: "data/train.csv", content: new Blob([csv]) },
      { path: "data/train.parquet", content: new Blob([parquet]) },
    ],
    hubUrl,
    accessToken: ALICE,
    useXet: false,
  });
  const info = await datasetInfo({ name: repo.name, hubUrl, accessToken: ALICE });
  assert.equal(info.name, repo.name);
  const entries = await collect(listFiles({ repo, recursive: true, hubUrl, accessToken: ALICE }));
  assert.deepEqual(
    entries.filter((e) => e.type === "file" && e.path !== ".gitattributes").map(pick).sort(byPath),
    [fileEntry("data/train.csv", csv, false), fileEntry("data/train.parquet", parquet, true)],
  );
  const got = await downloadFile({ repo, path: "data/train.parquet", hubUrl, accessToken: ALICE });
  assert.ok(Buffer.from(await got.arrayBuffer()).equals(parquet));
  const part = await got.slice(1000, 2000).arrayBuffer();
  assert.ok(Buffer.from(part).equals(parquet.subarray(1000, 2000)));
  // the model namespace does not see it
  assert.equal(await repoExists({ repo: repo.name, hubUrl, accessToken: ALICE }), false);
});

test("listModels lists the public repos of a user, and private ones only to their owner", async () => {
  const names = async (accessToken) => {
    const out = [];
    for await (const m of listModels({ search: { owner: "alice" }, hubUrl, accessToken })) out.push(m.name);
    return out.sort();
  };
  assert.deepEqual(await names(ALICE), [MANY, PRIVATE, PUBLIC].sort());
  assert.deepEqual(await names(BOB), [MANY, PUBLIC].sort());
  assert.deepEqual(await names(undefined), [MANY, PUBLIC].sort());
});

// @huggingface/hub has no discussion functions (2.17.5 exports none): its pull-request surface
// is commit({isPullRequest}) and commit({branch: "refs/pr/N"}). The thread they build is read
// and merged over localhub's discussions API (protocol §6) with plain fetch.
test("pull requests: isPullRequest opens one, commits on refs/pr/N join it, the merge reaches main", async () => {
  const name = "alice/conformance-prs";
  const repo = { type: "model", name };
  await createRepo({ repo, hubUrl, accessToken: ALICE });
  const weights = randomBytes(256 * 1024, "pr-weights");
  // bob may open a PR on alice's repo (read access is enough) and push to his own PR.
  const opened = await commit({
    repo,
    title: "Propose weights",
    description: "first cut",
    operations: [{ operation: "addOrUpdate", path: "weights.bin", content: new Blob([weights]) }],
    isPullRequest: true,
    hubUrl,
    accessToken: BOB,
    useXet: false,
  });
  assert.match(opened.pullRequestUrl, /\/alice\/conformance-prs\/discussions\/1$/);
  const more = await commit({
    repo,
    branch: "refs/pr/1",
    title: "Add notes",
    operations: [{ operation: "addOrUpdate", path: "notes.md", content: new Blob(["# notes\n"]) }],
    hubUrl,
    accessToken: BOB,
    useXet: false,
  });
  assert.equal(await headOf(name, BOB, "refs%2Fpr%2F1"), more.commit.oid);
  const files = (await collect(listFiles({ repo, revision: "refs/pr/1", hubUrl, accessToken: BOB }))).map((f) => f.path);
  assert.deepEqual(files.sort(), [".gitattributes", "notes.md", "weights.bin"]);
  const mainBefore = await headOf(name);
  assert.notEqual(mainBefore, more.commit.oid);

  const discussions = async (path, body, token = ALICE) => {
    const res = await fetch(`${hubUrl}/api/models/${name}/discussions${path}`, {
      method: body ? "POST" : "GET",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, json: await res.json() };
  };
  const details = await discussions("/1?diff=1");
  assert.equal(details.status, 200);
  assert.equal(details.json.title, "Propose weights");
  assert.equal(details.json.status, "draft");
  assert.equal(details.json.author.name, "bob");
  assert.deepEqual(
    details.json.events.map((e) => [e.type, e.data.oid ?? e.data.latest?.raw]),
    [["comment", "first cut"], ["commit", opened.commit.oid], ["commit", more.commit.oid]],
  );
  assert.match(details.json.diff, /^\+# notes$/m);
  assert.match(details.json.diff, /^\+oid sha256:/m, "the LFS file shows as its pointer");

  // Only writers merge: bob (the PR's author) cannot, alice (the owner) can.
  assert.equal((await discussions("/1/status", { status: "open" }, BOB)).status, 200);
  assert.equal((await discussions("/1/merge", {}, BOB)).status, 403);
  assert.equal(await headOf(name), mainBefore);
  assert.equal((await discussions("/1/merge", { comment: "merged" })).status, 200);
  assert.equal(await headOf(name), more.commit.oid, "a fast-forward");
  const got = await downloadFile({ repo, path: "weights.bin", hubUrl, accessToken: BOB });
  assert.ok(Buffer.from(await got.arrayBuffer()).equals(weights));
  const commits = await collect(listCommits({ repo, hubUrl, accessToken: BOB }));
  assert.deepEqual(commits.slice(0, 2).map((c) => c.title), ["Add notes", "Propose weights"]);
  // A commit to a merged PR is refused as the Hub does: HubApiError with the status.
  await expectHubError(
    commit({ repo, branch: "refs/pr/1", title: "late", operations: [{ operation: "addOrUpdate", path: "late.txt", content: new Blob(["x"]) }], hubUrl, accessToken: BOB, useXet: false }),
    403,
    "commit to a merged PR",
  );
});

test("the request log never contains a token", () => {
  const text = readLog(hub.logFile).map((l) => JSON.stringify(l)).join("\n");
  assert.ok(text.length > 0);
  assert.ok(!text.includes(ALICE) && !text.includes(BOB), "a token appears in the request log");
});
