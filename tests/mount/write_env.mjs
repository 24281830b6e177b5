// The write tests' environment: a localhub with a seeded repository and a hubfs mount per test,
// always torn down, and the Hub-side checks every write test verifies through (commit list,
// tree listing, resolve downloads), never only through the mount.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { allPages, api, headSha, read } from "../harness/hubapi.mjs";
import { readLog, startLocalhub } from "../harness/localhub.mjs";
import { HubClient, blocking, hubfsBin, isMounted, mountHubfs, sh, sha256 } from "./fixture.mjs";
// ---------------------------------------------------------------------------------------------
// Users, repository, seed content
// ---------------------------------------------------------------------------------------------

export const TOKEN = "hf_alice_token";
export const READER_TOKEN = "hf_reader_token";
export const USERS = [`alice:${TOKEN}:write`, `reader:${READER_TOKEN}:read`];
export const REPO = "alice/w";
export const CONTROL = ".hubfs-commit";
export const MiB = 1 << 20;

let bigSeed;  // 24 MiB of random bytes, stored as LFS in the seeded repository
export function bigSeedData() {
  bigSeed ??= crypto.randomBytes(24 * MiB);
  return bigSeed;
}

// The repository most tests start from: text files at the root and in folders, and one LFS file.
export function seedFiles() {
  return [
    { path: "a.txt", data: Buffer.from("0123456789abcdef\n") },
    { path: "b.txt", data: Buffer.from("bravo\n") },
    { path: "c.txt", data: Buffer.from("charlie\n") },
    { path: "dir/x.txt", data: Buffer.from("x in dir\n") },
    { path: "dir/sub/y.txt", data: Buffer.from("y in dir/sub\n") },
    { path: "gone.txt", data: Buffer.from("to be deleted\n") },
    { path: "gonedir/1.txt", data: Buffer.from("one\n") },
    { path: "gonedir/deeper/2.txt", data: Buffer.from("two\n") },
    { path: "big.bin", data: bigSeedData(), lfs: true },
  ];
}

// ---------------------------------------------------------------------------------------------
// Small generic helpers
// ---------------------------------------------------------------------------------------------

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const q = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;  // shell quoting
export const slug = (s) => s.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "").slice(0, 60);

/** Polls fn until it returns a truthy value; returns it, or the last value after the deadline. */
export async function pollUntil(fn, { timeoutMs = 20000, intervalMs = 250 } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v || Date.now() > deadline) return v;
    await sleep(intervalMs);
  }
}

/** Writes `size` random bytes to `file` in 8 MiB pieces; returns their sha256. */
export function randomFile(file, size) {
  const h = crypto.createHash("sha256");
  const fd = fs.openSync(file, "w");
  try {
    for (let off = 0; off < size; off += 8 * MiB) {
      const piece = crypto.randomBytes(Math.min(8 * MiB, size - off));
      h.update(piece);
      fs.writeSync(fd, piece);
    }
  } finally {
    fs.closeSync(fd);
  }
  return h.digest("hex");
}

export { isMounted };

// ---------------------------------------------------------------------------------------------
// The Hub side: what localhub's HTTP API says (every verification goes through these)
// ---------------------------------------------------------------------------------------------

export const encPath = (p) => p.split("/").map(encodeURIComponent).join("/");

export async function getJson(hub, p, token = TOKEN) {
  const r = await read(api(hub, p, { token }));
  if (r.status !== 200) throw new Error(`GET ${p}: ${r.status} ${r.text.slice(0, 300)}`);
  return r;
}

/** {total, list}: the commit count of a revision (X-Total-Count) and its newest commits. */
export async function hubCommits(hub, repo = REPO, rev = "main") {
  const r = await getJson(hub, `/api/models/${repo}/commits/${encodeURIComponent(rev)}`);
  return { total: Number(r.headers.get("x-total-count")), list: r.json };
}

export async function hubHead(hub, repo = REPO, rev = "main") {
  return headSha(hub, repo, TOKEN, rev);
}

/** Map path → tree entry of every file of a revision (recursive listing, all pages). */
export async function hubTree(hub, repo = REPO, rev = "main", dir = "") {
  const p = `/api/models/${repo}/tree/${encodeURIComponent(rev)}${dir ? `/${encPath(dir)}` : ""}?recursive=1`;
  const { items } = await allPages(hub, p, TOKEN);
  return new Map(items.filter((e) => e.type === "file").map((e) => [e.path, e]));
}

export async function hubRefs(hub, repo = REPO) {
  return (await getJson(hub, `/api/models/${repo}/refs?include_prs=1`)).json;
}

export function resolveUrl(hub, repo, rev, p) {
  return `${hub.url}/${repo}/resolve/${encodeURIComponent(rev)}/${encPath(p)}`;
}

/** The bytes of a file at a revision (through resolve, following the LFS redirect), or null on 404. */
export async function hubFile(hub, p, { repo = REPO, rev = "main", token = TOKEN } = {}) {
  const res = await fetch(resolveUrl(hub, repo, rev, p), { headers: { Authorization: `Bearer ${token}` } });
  const body = Buffer.from(await res.arrayBuffer());
  if (res.status === 404) return null;
  if (res.status !== 200) throw new Error(`resolve ${rev}/${p}: ${res.status} ${body.toString().slice(0, 300)}`);
  return body;
}

/** sha256 and size of a (large) file at a revision, streamed; null on 404. */
export async function hubFileSha(hub, p, { repo = REPO, rev = "main" } = {}) {
  const res = await fetch(resolveUrl(hub, repo, rev, p), { headers: { Authorization: `Bearer ${TOKEN}` } });
  if (res.status !== 200) {
    const text = await res.text();
    if (res.status === 404) return null;
    throw new Error(`resolve ${rev}/${p}: ${res.status} ${text.slice(0, 300)}`);
  }
  const h = crypto.createHash("sha256");
  let size = 0;
  for await (const chunk of res.body) {
    h.update(chunk);
    size += chunk.length;
  }
  return { sha: h.digest("hex"), size };
}

/**
 * Asserts the Hub's files at `rev`: each key of `expected` maps to its content (string or
 * Buffer), or to null for "must not exist".
 */
export async function assertHubFiles(hub, expected, { repo = REPO, rev = "main" } = {}) {
  for (const [p, want] of Object.entries(expected)) {
    const got = await hubFile(hub, p, { repo, rev });
    if (want === null) {
      assert.equal(got, null, `${p} must not exist on the Hub at ${rev}`);
    } else {
      assert.ok(got !== null, `${p} must exist on the Hub at ${rev}`);
      const w = Buffer.isBuffer(want) ? want : Buffer.from(want);
      if (w.length > 4096) assert.equal(sha256(got), sha256(w), `sha256 of ${p} on the Hub at ${rev}`);
      else assert.equal(got.toString("latin1"), w.toString("latin1"), `content of ${p} on the Hub at ${rev}`);
    }
  }
}

/** Requests in localhub's log that upload LFS bytes: batch calls and blob-host PUT/POST. */
export function lfsUploadRequests(hub, since) {
  return readLog(hub.logFile)
    .slice(since)
    .filter((r) => /\/info\/lfs\/objects\/batch$/.test(r.path.split("?")[0]) || (r.host === "blob" && r.method !== "GET" && r.method !== "HEAD"));
}

// ---------------------------------------------------------------------------------------------
// The mount side: fsync, the control file
// ---------------------------------------------------------------------------------------------

/**
 * assert.throws matcher for an errno. Node (libuv) has no name for some errnos, ESTALE among
 * them: err.code is then "Unknown system error -116", so the number is compared.
 */
export function isErrno(name) {
  return (e) => {
    if (e?.code === name || e?.errno === -os.constants.errno[name]) return true;
    throw new assert.AssertionError({ message: `expected ${name}, got ${e?.code} (errno ${e?.errno}): ${e?.message}` });
  };
}

/** fsync on a directory fd (commits every staged change of the branch). Throws with err.code. */
export function fsyncDir(dir) {
  const fd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** coreutils `sync FILE`: fsync of that file. */
export function syncFile(file) {
  blocking(300000, () => execFileSync("sync", [file], { stdio: ["ignore", "ignore", "pipe"], timeout: 300000 }));
}

/** Parses `cat .hubfs-commit`: {text, fields: {key: value}, changes: ["add PATH SIZE", ...]}. */
export function readControl(branchDir) {
  const text = sh(`cat ${q(path.join(branchDir, CONTROL))}`);
  const fields = {};
  const changes = [];
  for (const line of text.split("\n")) {
    if (line.startsWith("  ")) changes.push(line.trim());
    else {
      const m = /^([a-z_]+):\s?(.*)$/.exec(line);
      if (m) fields[m[1]] = m[2].trim();
    }
  }
  return { text, fields, changes };
}

/** One `echo COMMAND > .hubfs-commit` (one write = one command). Throws if the write fails. */
export function control(branchDir, command) {
  sh(`echo ${q(command)} > ${q(path.join(branchDir, CONTROL))}`);
}

// ---------------------------------------------------------------------------------------------
// Per-test environment: a localhub with a seeded repository and a mount, always torn down
// ---------------------------------------------------------------------------------------------

export function hubfsUnmount(m) {
  // Bounded (pending commits that can never succeed must not stall the run); the fixture's
  // unmount throws if `hubfs unmount` fails, after it has cleaned up.
  try {
    m.unmount({ timeout: 20 });
  } finally {
    const work = path.dirname(m.mountpoint);
    if (!isMounted(m.mountpoint)) fs.rmSync(work, { recursive: true, force: true });  // after kill9()
  }
}

export function keepLogs(name, env) {
  const dir = path.join(os.tmpdir(), "hubfs-write-test-logs", slug(name));
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  env.mounts.forEach((m, i) => {
    for (const [src, dst] of [
      [m.logFile, `hubfs-${i}.log`],
      [path.join(m.cacheDir, "hubfs.log"), `hubfs-${i}-cache.log`],
    ])
      if (fs.existsSync(src)) fs.copyFileSync(src, path.join(dir, dst));
  });
  env.hubs.forEach((h, i) => {
    if (h.logFile && fs.existsSync(h.logFile)) fs.copyFileSync(h.logFile, path.join(dir, `localhub-${i}-requests.log`));
    fs.writeFileSync(path.join(dir, `localhub-${i}-stderr.log`), h.stderr());
  });
  return dir;
}

/**
 * Runs fn(env) with a fresh localhub (users alice:write and reader:read, data kept in env.work
 * so it can be restarted), REPO created and seeded with `files`, and one mount. env offers:
 *   hub, client, mount, root (the main branch folder of REPO in the mount), work,
 *   mountHub(opts) for more mounts, startHub(opts) to (re)start localhub on env.dataDir.
 */
export async function withEnv(name, opts, fn) {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "hubfs-write-"));
  const env = { work, dataDir: path.join(work, "hubdata"), mounts: [], hubs: [] };
  let failed = false;
  env.startHub = async (o = {}) => {
    const hub = await startLocalhub({ users: USERS, dataDir: env.dataDir, ...o });
    env.hubs.push(hub);
    env.hub = hub;
    return hub;
  };
  env.mountHub = (o = {}) => {
    const m = mountHubfs(env.hub.url, { token: TOKEN, ...o });
    env.mounts.push(m);
    return m;
  };
  env.branchDir = (m, rev, repo = REPO) => path.join(m.mountpoint, "models", rev ? `${repo}@${rev}` : repo);
  try {
    await env.startHub({ args: opts.hubArgs ?? [] });
    env.client = new HubClient(env.hub.url, TOKEN);
    await env.client.createRepo(REPO);
    const files = opts.files === undefined ? seedFiles() : opts.files;
    if (files.length) await env.client.commit(REPO, files, { summary: "seed" });
    env.cacheDir = path.join(work, "cache");
    env.mount = env.mountHub({ token: opts.token ?? TOKEN, args: opts.mountArgs ?? [], cacheDir: env.cacheDir });
    env.root = env.branchDir(env.mount);
    await fn(env);
    // Whatever the test did, no request of the mount carried the token to the storage host
    // (LFS upload PUTs, downloads): localhub logs whether an Authorization header came.
    const toStorage = env.hubs.flatMap((h) => readLog(h.logFile).filter((r) => r.host === "blob" && r.auth).map((r) => `${r.method} ${r.path.split("?")[0]}`));
    assert.deepEqual(toStorage, [], "requests to the storage host carrying an Authorization header");
  } catch (e) {
    failed = true;
    try {
      const dir = keepLogs(name, env);
      if (e && typeof e === "object") e.message = `${e.message}\n(hubfs and localhub logs kept in ${dir})`;
    } catch {}
    throw e;
  } finally {
    // Every mount is cleaned up; a failed `hubfs unmount` fails the test (after the clean-up),
    // unless the test failed already (its own error says more).
    const unmountErrors = [];
    for (const m of env.mounts.reverse()) {
      try {
        hubfsUnmount(m);
      } catch (e) {
        unmountErrors.push(e);
      }
    }
    for (const h of env.hubs) await h.stop();
    fs.rmSync(work, { recursive: true, force: true });
    if (unmountErrors.length && !failed) throw unmountErrors[0];
  }
}

/** test() whose body fn(env, t) runs inside withEnv; the test name names the kept logs. */
export function mountTest(name, opts, fn, timeout = 180000) {
  test(name, { timeout }, (t) => withEnv(name, opts, (env) => fn(env, t)));
}

/** SIGKILL of a localhub, waiting until it is gone (its port is free again). */
export async function killHub(hub) {
  if (hub.child.exitCode === null && hub.child.signalCode === null) {
    const gone = new Promise((r) => hub.child.once("exit", r));
    hub.child.kill("SIGKILL");
    await gone;
  }
}

