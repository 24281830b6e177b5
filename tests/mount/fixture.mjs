// Mount tests' fixtures: repositories filled through localhub's HTTP API (the same calls the
// official clients make), and hubfs mounts that are always unmounted, even when a test fails.
import { execFileSync, spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Worker } from "node:worker_threads";
import { repoRoot } from "../harness/localhub.mjs";

export const hubfsBin = process.env.HUBFS_BIN || path.join(repoRoot, "build", "src", "hubfs", "hubfs");

export function sha256(data) {
  return crypto.createHash("sha256").update(data).digest("hex");
}

export function sha256File(file) {
  return blocking(300000, () => {
    const h = crypto.createHash("sha256");
    const fd = fs.openSync(file, "r");
    const buf = Buffer.alloc(8 << 20);
    let n;
    while ((n = fs.readSync(fd, buf, 0, buf.length, null)) > 0) h.update(buf.subarray(0, n));
    fs.closeSync(fd);
    return h.digest("hex");
  });
}

// ---------------------------------------------------------------------------------------------
// The watchdog. A synchronous call into a hung mount (fs.readFileSync, execFileSync of a
// program that reads it) blocks node's main thread: no per-test timeout fires and no exit
// handler runs. A worker thread watches the main thread's heartbeat; once it has been blocked
// longer than allowed (DEFAULT_BLOCK_MS, or what blocking() declared for the call), the worker
// kills this process's hubfs daemons. The kernel then fails the pending FUSE requests
// (ENOTCONN), the blocked call returns with an error, the test fails at once and the clean-up
// (unmount, exit handlers) runs.
// ---------------------------------------------------------------------------------------------

const DEFAULT_BLOCK_MS = Number(process.env.HUBFS_TEST_BLOCK_MS) || 90000;  // the env: to try the watchdog quickly
const beat = new Float64Array(new SharedArrayBuffer(16));  // [0] last heartbeat (ms), [1] allowed block (ms)
let watchdog = null;

function startWatchdog() {
  if (watchdog) return;
  beat[0] = Date.now();
  beat[1] = DEFAULT_BLOCK_MS;
  setInterval(() => (beat[0] = Date.now()), 250).unref();
  watchdog = new Worker(
    `const { workerData, parentPort } = require("node:worker_threads");
     const fs = require("node:fs");
     const beat = workerData.beat;
     const daemons = new Map();  // pid -> mountpoint
     parentPort.on("message", (m) => (m.add ? daemons.set(m.pid, m.mountpoint) : daemons.delete(m.pid)));
     setInterval(() => {
       const blocked = Date.now() - beat[0];
       if (blocked <= beat[1] || daemons.size === 0) return;
       for (const [pid, mp] of daemons) {
         // Written with a direct syscall: the worker's console goes through the blocked thread.
         fs.writeSync(2, "watchdog: the test's main thread is blocked for " + Math.round(blocked / 1000) +
           " s (allowed " + Math.round(beat[1] / 1000) + " s): killing hubfs " + pid + " of " + mp + "\\n");
         try { process.kill(pid, "SIGKILL"); } catch {}
       }
       daemons.clear();
     }, 1000);`,
    { eval: true, workerData: { beat } },
  );
  watchdog.unref();
}

/**
 * Runs fn (synchronous, may block on the mount) allowing the main thread to be blocked for
 * `ms` (plus a margin) before the watchdog kills the mounts. Calls with their own timeout
 * (execFileSync's) declare it here, so the watchdog only steps in when that timeout cannot.
 */
export function blocking(ms, fn) {
  const before = beat[1];
  beat[1] = Math.max(before, ms + 15000);
  try {
    return fn();
  } finally {
    beat[1] = before;
    beat[0] = Date.now();
  }
}

export class HubClient {
  constructor(url, token) {
    this.url = url;
    this.token = token;
  }
  headers(extra = {}) {
    return { Authorization: `Bearer ${this.token}`, ...extra };
  }
  async json(method, p, body) {
    const send = () =>
      fetch(`${this.url}${p}`, {
        method,
        headers: this.headers({ "Content-Type": "application/json" }),
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    // A kept-alive connection localhub closed while the test hashed a large file (its idle
    // timeout) fails before the request is sent: send it once more, on a new connection.
    const res = await send().catch((e) => {
      if (e?.cause?.code !== "UND_ERR_SOCKET") throw e;
      return send();
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : null;
  }
  // opts.type: "model" (default), "dataset" or "space".
  async createRepo(id, opts = {}) {
    const [ns, name] = id.split("/");
    const body = { name, organization: ns, private: !!opts.private };
    if (opts.type && opts.type !== "model") body.type = opts.type;
    return this.json("POST", "/api/repos/create", body);
  }
  // files: [{path, data: Buffer, lfs?: bool}] or [{path, file: localPath, lfs: true}]; ops: deletions.
  async commit(id, files, { summary = "commit", revision = "main", createPr = false, deletions = [], type = "model" } = {}) {
    const prefix = type === "model" ? "" : `${type}s/`;
    const lines = [JSON.stringify({ key: "header", value: { summary } })];
    for (const f of files) {
      if (f.lfs) {
        const oid = f.file ? sha256File(f.file) : sha256(f.data);
        const size = f.file ? fs.statSync(f.file).size : f.data.length;
        const batch = await this.json("POST", `/${prefix}${id}.git/info/lfs/objects/batch`, {
          operation: "upload",
          transfers: ["basic"],
          objects: [{ oid, size }],
          hash_algo: "sha256",
        });
        const action = batch.objects[0].actions?.upload;
        if (action) {
          const body = f.file ? fs.readFileSync(f.file) : f.data;
          const put = await fetch(action.href, { method: "PUT", body });
          if (!put.ok) throw new Error(`LFS upload of ${f.path}: ${put.status} ${await put.text()}`);
        }
        lines.push(JSON.stringify({ key: "lfsFile", value: { path: f.path, algo: "sha256", oid, size } }));
      } else {
        lines.push(JSON.stringify({ key: "file", value: { path: f.path, content: f.data.toString("base64"), encoding: "base64" } }));
      }
    }
    for (const d of deletions) lines.push(JSON.stringify({ key: "deletedFile", value: { path: d } }));
    const q = createPr ? "?create_pr=1" : "";
    const res = await fetch(`${this.url}/api/${type}s/${id}/commit/${encodeURIComponent(revision)}${q}`, {
      method: "POST",
      headers: this.headers({ "Content-Type": "application/x-ndjson" }),
      body: lines.join("\n"),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`commit to ${id}: ${res.status} ${text}`);
    return JSON.parse(text);
  }
  async info(id, rev) {
    return this.json("GET", `/api/models/${id}${rev ? `/revision/${encodeURIComponent(rev)}` : ""}`);
  }
}

// Writes every file of `dir` (recursively) as commit entries; big or binary ones go to LFS.
export function filesOf(dir, prefix = "") {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, e.name);
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...filesOf(full, rel));
    else {
      const data = fs.readFileSync(full);
      out.push({ path: rel, data, lfs: data.length > 1 << 20 || data.includes(0) });
    }
  }
  return out;
}

const mounted = new Set();
// Work folders of mounts killed with kill9(): a test may remount on the cache inside one, so
// they go when the test file ends, after every mount is gone.
const crashedWork = new Set();
function unmountSync(mp) {
  spawnSync("fusermount3", ["-u", "-z", mp], { stdio: "ignore", timeout: 30000 });
}

export function isMounted(mountpoint) {
  return fs.readFileSync("/proc/self/mountinfo", "utf8").split("\n").some((l) => l.split(" ")[4] === mountpoint);
}

/** Whether a process exists (EPERM: it does, owned by someone else). */
export function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code !== "ESRCH";
  }
}
process.on("exit", () => {
  for (const m of mounted) {
    unmountSync(m.mountpoint);
    try {
      process.kill(m.pid, "SIGKILL");
    } catch {}
  }
  for (const work of crashedWork) fs.rmSync(work, { recursive: true, force: true });
});

// Where hubfs registers its mounts (src/hubfs/mount_registry.cpp), for any user.
function registryDir() {
  if (process.getuid() === 0) return "/run/hubfs";
  if (process.env.XDG_RUNTIME_DIR) return path.join(process.env.XDG_RUNTIME_DIR, "hubfs");
  return `/tmp/hubfs-${process.getuid()}`;
}

function ownerPid(mountpoint) {
  const dir = registryDir();
  if (!fs.existsSync(dir)) return 0;
  for (const f of fs.readdirSync(dir)) {
    try {
      const r = JSON.parse(fs.readFileSync(path.join(dir, f), "utf8"));
      if (r.mountpoint === mountpoint) return r.pid;
    } catch {}
  }
  return 0;
}

/**
 * Mounts hubfs in the background (as a user would) and returns {mountpoint, cacheDir, unmount}.
 * `fstab`: a list of `key=value` options; the mount is then made in the form mount(8) uses for
 * fstab entries, `hubfs hub MOUNTPOINT -o OPTIONS` (endpoint, cache and log options included).
 */
// extraEnv: more environment for the hubfs process (e.g. HF_INFERENCE_ENDPOINTS_URL).
export function mountHubfs(hubUrl, { token, args = [], cacheDir, fstab, extraEnv = {} } = {}) {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "hubfs-mount-"));
  const mountpoint = path.join(work, "mnt");
  fs.mkdirSync(mountpoint);
  cacheDir = cacheDir || path.join(work, "cache");
  const fullArgs = fstab
    ? ["hub", mountpoint, "-o", [`endpoint=${hubUrl}`, `cache_dir=${cacheDir}`, `log_file=${path.join(work, "hubfs.log")}`, "log_level=debug", ...fstab].join(",")]
    : ["mount", mountpoint, "--endpoint", hubUrl, "--cache-dir", cacheDir, "--log-file", path.join(work, "hubfs.log"), "--log-level", "debug", ...args];
  const env = { ...process.env, ...extraEnv, HF_TOKEN: token ?? "", HF_HOME: path.join(work, "hfhome") };
  if (!token) delete env.HF_TOKEN;
  startWatchdog();
  const r = blocking(90000, () => spawnSync(hubfsBin, fullArgs, { env, encoding: "utf8", timeout: 90000 }));
  if (r.status !== 0) {
    fs.rmSync(work, { recursive: true, force: true });
    const err = new Error(`hubfs mount failed (${r.status}): ${r.stderr}`);
    err.stderr = r.stderr;
    throw err;
  }
  const m = { mountpoint, pid: ownerPid(mountpoint) };
  if (!(m.pid > 0)) {
    // Never signal pid 0 later (that is the test runner's whole process group).
    unmountSync(mountpoint);
    throw new Error(`hubfs mounted ${mountpoint} but registered no process in ${registryDir()}`);
  }
  mounted.add(m);
  watchdog.postMessage({ add: true, pid: m.pid, mountpoint });
  const forget = () => {
    mounted.delete(m);
    watchdog.postMessage({ add: false, pid: m.pid });
  };
  return {
    mountpoint,
    cacheDir,
    logFile: path.join(work, "hubfs.log"),
    pid: m.pid,
    /**
     * `hubfs unmount` (bounded by `timeout` seconds). Its exit status must be `status` (0 unless
     * a test expects the unmount to refuse): otherwise this throws, after the fallback
     * (fusermount3 -u -z, SIGKILL of the daemon) has cleaned up. Returns {status, stderr}.
     */
    unmount({ timeout = 60, status = 0 } = {}) {
      if (!mounted.has(m)) return { status: 0, stderr: "" };
      let u = { status: 0, stderr: "" };
      if (isMounted(mountpoint)) {
        u = blocking(timeout * 1000 + 30000, () =>
          spawnSync(hubfsBin, ["unmount", mountpoint, "--timeout", String(timeout)], { encoding: "utf8", timeout: timeout * 1000 + 30000 }),
        );
      }
      const failed = u.status !== status;
      if (failed || isMounted(mountpoint)) unmountSync(mountpoint);
      forget();
      // A daemon that outlives its unmount is stopped; it has had its chance to commit.
      for (let i = 0; i < 100 && alive(m.pid); i++) spawnSync("sleep", ["0.05"]);
      if (alive(m.pid)) process.kill(m.pid, "SIGKILL");
      fs.rmSync(work, { recursive: true, force: true });
      if (failed) {
        const why = u.error ? u.error.message : `exit status ${u.status}, signal ${u.signal}`;
        throw new Error(`hubfs unmount ${mountpoint}: ${why} (expected exit ${status})\n${u.stderr ?? ""}`);
      }
      return { status: u.status, stderr: u.stderr };
    },
    // For crash tests: kill -9 the daemon, then clear the dead mount.
    kill9() {
      try {
        process.kill(m.pid, "SIGKILL");
      } catch {}
      unmountSync(mountpoint);
      forget();
      crashedWork.add(work);
    },
  };
}

/**
 * Runs fn(m) on the mount `mount()` makes (after any set-up it does on the Hub), then unmounts
 * it (as `hubfs unmount` does, so staged changes and log streams end) and stops the Hub, even
 * when fn fails; a failure's message gets the tail of the hubfs log.
 */
export async function withMountedHub(hub, mount, fn) {
  let m;
  try {
    m = await mount();
    await fn(m);
  } catch (e) {
    if (m && fs.existsSync(m.logFile)) e.message += `\nhubfs log (tail):\n${fs.readFileSync(m.logFile, "utf8").split("\n").slice(-30).join("\n")}`;
    throw e;
  } finally {
    if (m) {
      spawnSync(hubfsBin, ["unmount", m.mountpoint, "--timeout", "20"], { stdio: "ignore", timeout: 40000 });
      m.unmount();
    }
    await hub.stop();
  }
}

/** Writes text to a control file as `echo ... > FILE` does; returns "" or the errno name. */
export function writeTo(file, text) {
  try {
    fs.writeFileSync(file, text);
    return "";
  } catch (e) {
    return e.code;
  }
}

/**
 * For a mount a test made itself (not through mountHubfs): the watchdog and the exit handlers
 * take care of its daemon too. Returns forget(), to call once it is unmounted.
 */
export function watchMount(mountpoint) {
  startWatchdog();
  const m = { mountpoint, pid: ownerPid(mountpoint) };
  if (!(m.pid > 0)) throw new Error(`no hubfs process registered for ${mountpoint}`);
  mounted.add(m);
  watchdog.postMessage({ add: true, pid: m.pid, mountpoint });
  return () => {
    mounted.delete(m);
    watchdog.postMessage({ add: false, pid: m.pid });
  };
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Calls fn (sync or async) until it gives a truthy value or timeoutMs passes; a throw counts as
 *  "not yet". Returns the value, or undefined at the deadline. */
export async function pollUntil(fn, timeoutMs = 30000, intervalMs = 250) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch {}
    if (Date.now() > deadline) return undefined;
    await sleep(intervalMs);
  }
}

/** bash -c CMD, bounded (default 120 s, opts.timeout to change): a hung mount fails the call. */
export function sh(cmd, opts = {}) {
  const timeout = opts.timeout ?? 120000;
  return blocking(timeout, () => execFileSync("bash", ["-c", cmd], { encoding: "utf8", maxBuffer: 256 << 20, ...opts, timeout }));
}

export function readLog(file) {
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
}
