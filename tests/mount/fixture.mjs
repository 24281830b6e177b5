// Mount tests' fixtures: repositories filled through localhub's HTTP API (the same calls the
// official clients make), and hubfs mounts that are always unmounted, even when a test fails.
import { execFileSync, spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { repoRoot } from "../harness/localhub.mjs";

export const hubfsBin = process.env.HUBFS_BIN || path.join(repoRoot, "build", "src", "hubfs", "hubfs");

export function sha256(data) {
  return crypto.createHash("sha256").update(data).digest("hex");
}

export function sha256File(file) {
  const h = crypto.createHash("sha256");
  const fd = fs.openSync(file, "r");
  const buf = Buffer.alloc(8 << 20);
  let n;
  while ((n = fs.readSync(fd, buf, 0, buf.length, null)) > 0) h.update(buf.subarray(0, n));
  fs.closeSync(fd);
  return h.digest("hex");
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
    const res = await fetch(`${this.url}${p}`, {
      method,
      headers: this.headers({ "Content-Type": "application/json" }),
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : null;
  }
  async createRepo(id, opts = {}) {
    const [ns, name] = id.split("/");
    return this.json("POST", "/api/repos/create", { name, organization: ns, private: !!opts.private });
  }
  // files: [{path, data: Buffer, lfs?: bool}] or [{path, file: localPath, lfs: true}]; ops: deletions.
  async commit(id, files, { summary = "commit", revision = "main", createPr = false, deletions = [] } = {}) {
    const lines = [JSON.stringify({ key: "header", value: { summary } })];
    for (const f of files) {
      if (f.lfs) {
        const oid = f.file ? sha256File(f.file) : sha256(f.data);
        const size = f.file ? fs.statSync(f.file).size : f.data.length;
        const batch = await this.json("POST", `/${id}.git/info/lfs/objects/batch`, {
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
    const res = await fetch(`${this.url}/api/models/${id}/commit/${encodeURIComponent(revision)}${q}`, {
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
function unmountSync(mp) {
  spawnSync("fusermount3", ["-u", "-z", mp], { stdio: "ignore" });
}
process.on("exit", () => {
  for (const m of mounted) {
    unmountSync(m.mountpoint);
    try {
      process.kill(m.pid, "SIGKILL");
    } catch {}
  }
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

/** Mounts hubfs in the background (as a user would) and returns {mountpoint, cacheDir, unmount}. */
export function mountHubfs(hubUrl, { token, args = [], cacheDir } = {}) {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "hubfs-mount-"));
  const mountpoint = path.join(work, "mnt");
  fs.mkdirSync(mountpoint);
  cacheDir = cacheDir || path.join(work, "cache");
  const fullArgs = ["mount", mountpoint, "--endpoint", hubUrl, "--cache-dir", cacheDir, "--log-file", path.join(work, "hubfs.log"), "--log-level", "debug", ...args];
  const env = { ...process.env, HF_TOKEN: token ?? "", HF_HOME: path.join(work, "hfhome") };
  if (!token) delete env.HF_TOKEN;
  const r = spawnSync(hubfsBin, fullArgs, { env, encoding: "utf8", timeout: 90000 });
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
  return {
    mountpoint,
    cacheDir,
    logFile: path.join(work, "hubfs.log"),
    pid: m.pid,
    unmount() {
      if (!mounted.has(m)) return;
      const u = spawnSync(hubfsBin, ["unmount", mountpoint], { encoding: "utf8", timeout: 60000 });
      if (u.status !== 0) unmountSync(mountpoint);
      mounted.delete(m);
      try {
        process.kill(m.pid, 0);
        process.kill(m.pid, "SIGKILL");
      } catch {}
      fs.rmSync(work, { recursive: true, force: true });
    },
    // For crash tests: kill -9 the daemon, then clear the dead mount.
    kill9() {
      try {
        process.kill(m.pid, "SIGKILL");
      } catch {}
      unmountSync(mountpoint);
      mounted.delete(m);
    },
  };
}

export function sh(cmd, opts = {}) {
  return execFileSync("bash", ["-c", cmd], { encoding: "utf8", maxBuffer: 256 << 20, ...opts });
}

export function readLog(file) {
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
}
