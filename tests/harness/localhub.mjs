// Test harness: start a private localhub for one test file and stop it again.
//
//   import { startLocalhub, readLog } from "../harness/localhub.mjs";
//   const hub = await startLocalhub({ users: ["alice:hf_alice:write"], args: ["--latency-ms", "5"] });
//   ... fetch(`${hub.url}/api/whoami-v2`) ...
//   await hub.stop();
//
// Every instance gets a fresh temporary --data directory and --port 0; the URL is taken from
// the line `localhub listening on http://HOST:PORT` that localhub prints on stdout. Instances
// still running when the Node process exits (a test failed before its after() hook, an
// uncaught exception, SIGINT/SIGTERM) are killed by exit handlers.
//
// Environment: LOCALHUB_BIN (default: <repo>/build/tools/localhub/localhub).

import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, "..", "..");
export const localhubBin =
  process.env.LOCALHUB_BIN || path.join(repoRoot, "build", "tools", "localhub", "localhub");

const running = new Set();

function killAllSync() {
  for (const inst of running) {
    try {
      inst.child.kill("SIGKILL");
    } catch {
      /* already gone */
    }
    try {
      fs.rmSync(inst.workDir, { recursive: true, force: true });
    } catch {
      /* best effort */
    }
  }
  running.clear();
}

let handlersInstalled = false;
function installExitHandlers() {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on("exit", killAllSync);
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) {
    process.once(sig, () => {
      killAllSync();
      process.kill(process.pid, sig);
    });
  }
}

/**
 * Start localhub.
 * @param {object} [opts]
 * @param {string[]} [opts.users]  NAME:TOKEN[:role] entries, each passed as --user
 * @param {string[]} [opts.orgs]   ORG:MEMBERS entries, each passed as --org
 * @param {boolean} [opts.log]     pass --log <temp dir>/requests.log (default true)
 * @param {string[]} [opts.args]   extra command line arguments
 * @param {string} [opts.dataDir]  use this --data directory (kept on stop(), e.g. to restart
 *                                 localhub on the same data); default: a fresh one, removed
 * @param {number} [opts.timeoutMs] how long to wait for the listening line (default 15000)
 * @returns {Promise<{url: string, host: string, port: number, logFile: string|null,
 *   dataDir: string, child: import("node:child_process").ChildProcess,
 *   stderr: () => string, stop: () => Promise<void>}>}
 */
export async function startLocalhub(opts = {}) {
  installExitHandlers();
  if (!fs.existsSync(localhubBin)) {
    throw new Error(`localhub binary not found at ${localhubBin} (set LOCALHUB_BIN or build it)`);
  }
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "localhub-test-"));
  const dataDir = opts.dataDir ?? path.join(workDir, "data");
  const logFile = opts.log === false ? null : path.join(workDir, "requests.log");
  const args = ["--data", dataDir, "--port", "0"];
  for (const u of opts.users ?? []) args.push("--user", u);
  for (const o of opts.orgs ?? []) args.push("--org", o);
  if (logFile) args.push("--log", logFile);
  args.push(...(opts.args ?? []));

  const child = spawn(localhubBin, args, { stdio: ["ignore", "pipe", "pipe"] });
  const inst = { child, workDir };
  running.add(inst);

  let stdout = "";
  let stderr = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (d) => {
    stderr += d;
    if (stderr.length > 1 << 20) stderr = stderr.slice(-(1 << 19));
  });
  child.stdout.setEncoding("utf8");

  const timeoutMs = opts.timeoutMs ?? 15000;
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));

  let url;
  try {
    url = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new Error(
            `localhub did not print its listening line within ${timeoutMs} ms\n` +
              `command: ${localhubBin} ${args.join(" ")}\nstdout: ${stdout}\nstderr: ${stderr}`,
          ),
        );
      }, timeoutMs);
      child.once("error", (e) => {
        clearTimeout(timer);
        reject(new Error(`cannot start localhub (${localhubBin}): ${e.message}`));
      });
      child.stdout.on("data", (d) => {
        stdout += d;
        const m = /^localhub listening on (http:\/\/\S+?)\/?\r?$/m.exec(stdout);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
      exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(
          new Error(
            `localhub exited (code ${code}, signal ${signal}) before listening\n` +
              `command: ${localhubBin} ${args.join(" ")}\nstdout: ${stdout}\nstderr: ${stderr}`,
          ),
        );
      });
    });
  } catch (e) {
    child.kill("SIGKILL");
    running.delete(inst);
    fs.rmSync(workDir, { recursive: true, force: true });
    throw e;
  }
  // Keep draining stdout so the child never blocks on a full pipe.
  child.stdout.on("data", () => {});

  const u = new URL(url);
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const t = setTimeout(() => child.kill("SIGKILL"), 3000);
      await exited;
      clearTimeout(t);
    }
    running.delete(inst);
    fs.rmSync(workDir, { recursive: true, force: true });
  };

  return {
    url,
    host: u.hostname,
    port: Number(u.port),
    logFile,
    dataDir,
    child,
    stderr: () => stderr,
    stop,
  };
}

/**
 * Parse the --log file: one JSON object per line. Lines that are not JSON make it throw
 * (the log format is part of localhub's contract).
 */
/** The blob GETs of the log since entry `since`, as [first, last] byte ranges of a file of `size` bytes. */
export function blobRanges(logFile, since, size) {
  return readLog(logFile)
    .slice(since)
    .filter((r) => r.host === "blob")
    .map((r) => {
      const m = /^bytes=(\d+)-(\d*)$/.exec(r.range);
      if (!m) throw new Error(`a blob GET without a single range: ${JSON.stringify(r)}`);
      return [Number(m[1]), m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1)];
    });
}

export function readLog(logFile) {
  if (!logFile || !fs.existsSync(logFile)) return [];
  const text = fs.readFileSync(logFile, "utf8");
  return text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l, i) => {
      try {
        return JSON.parse(l);
      } catch {
        throw new Error(`request log line ${i + 1} is not JSON: ${l}`);
      }
    });
}

/**
 * Wait until the log holds at least `count` lines matching `pred` (the log line is written
 * after the response, so it may lag the client by a moment).
 */
export async function waitForLog(logFile, pred = () => true, count = 1, timeoutMs = 3000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const lines = readLog(logFile).filter(pred);
    if (lines.length >= count || Date.now() > deadline) return lines;
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * Waits until localhub has logged `method` on `url`'s path and query: it logs a request after
 * its handler has returned, so whatever the handler does (or undoes) is done by then, however
 * loaded the machine. Throws if that does not happen within `timeoutMs`.
 */
export async function waitForHandled(hub, method, url, timeoutMs = 30000) {
  const target = url.pathname + url.search;
  const lines = await waitForLog(hub.logFile, (l) => l.method === method && l.path === target, 1, timeoutMs);
  if (!lines.length) throw new Error(`localhub did not finish ${method} ${url.pathname} within ${timeoutMs} ms`);
}

/**
 * Waits until the log has taken no new line for `quietMs` (hubfs prefetches in the background,
 * and localhub logs a request once its body is sent): counts read after this include the late
 * requests. Returns the lines; throws if the log never settles within `timeoutMs`.
 */
export async function settleLog(logFile, { quietMs = 1500, timeoutMs = 30000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let lines = readLog(logFile);
  let since = Date.now();
  for (;;) {
    await new Promise((r) => setTimeout(r, 100));
    const now = readLog(logFile);
    if (now.length !== lines.length) {
      lines = now;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) {
      return lines;
    }
    if (Date.now() > deadline) throw new Error(`the request log of ${logFile} did not settle within ${timeoutMs} ms`);
  }
}

/**
 * node:test helper: start one localhub for the whole file (before) and stop it (after).
 * Returns a holder object whose fields are filled in by the before hook.
 */
export function useLocalhub(testApi, opts = {}) {
  const holder = {};
  testApi.before(async () => {
    Object.assign(holder, await startLocalhub(opts));
  });
  testApi.after(async () => {
    if (holder.stop) await holder.stop();
  });
  return holder;
}
