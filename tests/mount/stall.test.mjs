// A slow, stalled or absent Hub never wedges the mount (issue 11; issue 9 item 5). The Hub is
// stalled with SIGSTOP on localhub (it still accepts connections and never answers, like a
// stuck proxy), taken down with SIGTERM and restarted on the same data and port. Every call
// into the mount runs in a child process with a timeout, so a hang fails fast and cleanly.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { readLog, startLocalhub } from "../harness/localhub.mjs";
import { HubClient, alive, hubfsBin, isMounted, mountHubfs, pollUntil, sh, sha256, sha256File, sleep } from "./fixture.mjs";

const TOKEN = "hf_alice_token";
const STALL = 3;  // --stall-timeout and --connect-timeout of every mount here, in seconds
const FAST = ["--stall-timeout", String(STALL), "--connect-timeout", String(STALL)];
const NFILES = 32;
let work;

// STALL_KEEP_LOGS=DIR keeps each mount's log there (they go with the mount otherwise).
function keepLog(m, name) {
  if (process.env.STALL_KEEP_LOGS) fs.copyFileSync(m.logFile, path.join(process.env.STALL_KEEP_LOGS, `${name}.log`));
}

/** Runs `cmd` in bash with a timeout; returns {status, ms, stdout, stderr}. */
function run(cmd, timeoutS = 10) {
  const t0 = Date.now();
  const r = spawnSync("timeout", ["-s", "KILL", String(timeoutS), "bash", "-c", cmd], { encoding: "utf8" });
  return { status: r.status, ms: Date.now() - t0, stdout: r.stdout, stderr: r.stderr };
}

/** The same, in the background: a promise of {status, ms, stderr}. */
function runAsync(cmd, timeoutS) {
  const t0 = Date.now();
  const child = spawn("timeout", ["-s", "KILL", String(timeoutS), "bash", "-c", cmd], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  // "close", not "exit": stderr is complete only then.
  return new Promise((resolve) => child.on("close", (code) => resolve({ status: code, ms: Date.now() - t0, stderr })));
}

function freeze(hub) {
  process.kill(hub.child.pid, "SIGSTOP");
}
function thaw(hub) {
  try {
    process.kill(hub.child.pid, "SIGCONT");
  } catch {}
}

const fileData = (i) => Buffer.from(`file ${i}\n`.repeat(2000 + i));

before(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "hubfs-stall-"));
});
after(() => fs.rmSync(work, { recursive: true, force: true }));

/** A Hub with alice/r: config.json, NFILES small files in data/, a 24 MiB LFS file. */
async function startHub(opts = {}) {
  const hub = await startLocalhub({ users: [`alice:${TOKEN}:write`], ...opts });
  return hub;
}
async function fillRepo(hub) {
  const client = new HubClient(hub.url, TOKEN);
  await client.createRepo("alice/r");
  const files = [{ path: "config.json", data: Buffer.from('{"model_type": "stall"}\n') }];
  for (let i = 0; i < NFILES; i++) files.push({ path: `data/f${String(i).padStart(2, "0")}.txt`, data: fileData(i) });
  const big = path.join(work, "big.bin");
  if (!fs.existsSync(big)) sh(`head -c ${24 << 20} /dev/urandom > ${big}`);
  files.push({ path: "big.bin", file: big, lfs: true });
  await client.commit("alice/r", files);
  return { client, big, bigSha: sha256File(big) };
}

test("a stalled Hub: cached files, known listings and stat answer at once; uncached reads end in EIO, then work once the Hub resumes", async (t) => {
  const hub = await startHub();
  await fillRepo(hub);
  const m = mountHubfs(hub.url, { token: TOKEN, args: [...FAST, "--revision-ttl", "1"] });
  const dir = `${m.mountpoint}/models/alice/r`;
  try {
    assert.equal(run(`cat ${dir}/config.json`).stdout, '{"model_type": "stall"}\n');
    assert.equal(run(`ls ${dir}/data | wc -l`).stdout.trim(), String(NFILES));
    freeze(hub);
    await sleep(1500);  // past the revision TTL: the branch must not wait for the Hub either
    // The first look at the branch after its TTL, with the Hub stalled: the known commit answers.
    const first = run(`cat ${dir}/config.json`, 20);
    assert.equal(first.status, 0, first.stderr);
    assert.ok(first.ms < 3000, `the first read after the TTL took ${first.ms} ms`);
    t.diagnostic(`first cached read after the TTL: ${first.ms} ms`);
    const reads = [];
    for (let i = 0; i < NFILES; i++) reads.push(runAsync(`cat ${dir}/data/f${String(i).padStart(2, "0")}.txt > /dev/null`, 120));
    await sleep(1000);
    // While every uncached read waits on the stalled Hub:
    for (const cmd of [`cat ${dir}/config.json`, `ls ${dir}/data`, `stat ${dir}/data/f05.txt`, `ls -l ${dir}`]) {
      const r = run(cmd, 20);
      assert.equal(r.status, 0, `${cmd}: ${r.stderr}`);
      assert.ok(r.ms < 3000, `${cmd} answered in ${r.ms} ms while fetches were stuck`);
      t.diagnostic(`${cmd.split(" ")[0]} ${cmd.split("/").pop()}: ${r.ms} ms`);
    }
    // `hubfs status` says what is stuck: the host, taken as down or with requests in flight.
    const st = run(`${hubfsBin} status`, 20);
    assert.equal(st.status, 0, st.stderr);
    assert.match(st.stdout, /(down: |in flight .*)http:\/\/127\.0\.0\.1:\d+/, st.stdout);
    const results = await Promise.all(reads);
    for (const r of results) {
      assert.notEqual(r.status, 137, "an uncached read hung (killed by the test's timeout)");
      assert.notEqual(r.status, 0, "an uncached read cannot succeed while the Hub is stalled");
      assert.match(r.stderr, /Input\/output error/, JSON.stringify(r));
      assert.ok(r.ms < 60000, `an uncached read took ${r.ms} ms to fail`);
    }
    t.diagnostic(`uncached reads failed after ${Math.min(...results.map((r) => r.ms))}-${Math.max(...results.map((r) => r.ms))} ms`);
    const log = fs.readFileSync(m.logFile, "utf8");
    assert.match(log, /127\.0\.0\.1:\d+/, "the log names the host");
    thaw(hub);
    // The breaker lets a probe through within seconds; then every file reads right.
    for (let i = 0; i < NFILES; i++) {
      const f = `${dir}/data/f${String(i).padStart(2, "0")}.txt`;
      const ok = await pollUntil(() => {
        const r = run(`sha256sum ${f}`, 30);
        return r.status === 0 && r.stdout.split(" ")[0] === sha256(fileData(i));
      }, 30000);
      assert.ok(ok, `${f} reads right after the Hub resumed`);
    }
  } finally {
    thaw(hub);
    keepLog(m, "stalled");
    m.unmount();
    await hub.stop();
  }
});

test("a stalled Hub: cold lookups and listings hold no FUSE thread; cached files, known listings and stat answer at once; the cold ones end in EIO, then list right", async (t) => {
  const hub = await startHub();
  const { client } = await fillRepo(hub);
  // Commits this mount never saw: each `r@SHA` is a name to resolve and a tree to list.
  const NCOLD = 32, NSTAT = 24;  // more stats than the mount's 16 FUSE threads
  const KILLED = NCOLD + NSTAT;    // one more, for a caller killed while its lookup waits
  const shas = [];
  for (let i = 0; i <= KILLED; i++) {
    const c = await client.commit("alice/r", [{ path: `cold/c${i}.txt`, data: Buffer.from(`cold ${i}\n`) }], { summary: `cold ${i}` });
    shas.push(c.commitOid);
  }
  // main moves on: the commits above are all older than what the mount lists below.
  await client.commit("alice/r", [{ path: "head.txt", data: Buffer.from("head\n") }], { summary: "head" });
  // A long stall timeout: a cold request that held a FUSE thread would hold it this long.
  const m = mountHubfs(hub.url, { token: TOKEN, args: ["--stall-timeout", "8", "--connect-timeout", "8"] });
  const dir = `${m.mountpoint}/models/alice/r`;
  const at = (i) => `${m.mountpoint}/models/alice/r@${shas[i]}`;
  try {
    assert.equal(run(`cat ${dir}/config.json`).stdout, '{"model_type": "stall"}\n');
    assert.equal(run(`ls ${dir}/data | wc -l`).stdout.trim(), String(NFILES));
    // Each commit's name is known, none of its folders: the cold lookups below happen in
    // distinct folders (the kernel serialises lookups within one folder).
    const known = run(`for s in ${shas.join(" ")}; do stat -c %n ${m.mountpoint}/models/alice/r@$s || exit 1; done`, 60);
    assert.equal(known.status, 0, known.stderr);
    freeze(hub);
    const cold = [];
    for (let i = 0; i < NCOLD; i++) cold.push(runAsync(`ls ${at(i)}/cold`, 120));
    for (let i = NCOLD; i < NCOLD + NSTAT; i++) cold.push(runAsync(`stat ${at(i)}/config.json`, 120));
    const victim = spawn("ls", [`${at(KILLED)}/cold`], { stdio: "ignore" });
    const exited = new Promise((r) => victim.on("exit", () => r(Date.now())));
    await sleep(1500);
    for (const cmd of [`cat ${dir}/config.json`, `ls ${dir}/data`, `stat ${dir}/data/f05.txt`, `ls -l ${dir}`]) {
      const r = run(cmd, 30);
      assert.equal(r.status, 0, `${cmd}: ${r.stderr}`);
      t.diagnostic(`${cmd.split(" ")[0]} ${cmd.split("/").pop()}: ${r.ms} ms`);
      assert.ok(r.ms < 2000, `${cmd} answered in ${r.ms} ms while cold lookups and listings were stuck`);
    }
    // A caller killed while its lookup waits for the Hub exits at once (EINTR), not when the fetch ends.
    const killedAt = Date.now();
    victim.kill("SIGKILL");
    const gone = await Promise.race([exited, sleep(20000).then(() => 0)]);
    assert.ok(gone, "the killed caller exited");
    t.diagnostic(`killed caller exited after ${gone - killedAt} ms`);
    assert.ok(gone - killedAt < 2000, `the killed caller took ${gone - killedAt} ms to exit`);
    const results = await Promise.all(cold);
    results.forEach((r, i) => r.status === 0 && t.diagnostic(`#${i} succeeded after ${r.ms} ms`));
    for (const r of results) {
      assert.notEqual(r.status, 137, "a cold lookup or listing hung (killed by the test's timeout)");
      assert.notEqual(r.status, 0, "a cold listing cannot succeed while the Hub is stalled");
      assert.match(r.stderr, /Input\/output error/, JSON.stringify(r));
      assert.ok(r.ms < 60000, `a cold lookup or listing took ${r.ms} ms to fail`);
    }
    t.diagnostic(`cold lookups and listings failed after ${Math.min(...results.map((r) => r.ms))}-${Math.max(...results.map((r) => r.ms))} ms`);
    thaw(hub);
    for (const i of [0, NCOLD - 1, NCOLD, NCOLD + NSTAT - 1]) {
      const ok = await pollUntil(() => {
        const r = run(`ls ${at(i)}/cold`, 30);
        return r.status === 0 && r.stdout.trim().split("\n").length === i + 1 && r.stdout.includes(`c${i}.txt`);
      }, 30000);
      assert.ok(ok, `r@${shas[i]}/cold lists right after the Hub resumed`);
    }
    for (let i = 0; i < NCOLD + NSTAT; i++) {
      const r = run(`cat ${at(i)}/cold/c${i}.txt`, 30);
      assert.equal(r.stdout, `cold ${i}\n`, `r@${shas[i]}/cold/c${i}.txt: ${r.stderr}`);
    }
  } finally {
    thaw(hub);
    keepLog(m, "cold");
    m.unmount();
    await hub.stop();
  }
});

test("a stalled Hub: changes, opens for writing and fsyncs that need it hold no FUSE thread; cached files answer at once; each ends within the bound", async (t) => {
  const hub = await startHub();
  const { client } = await fillRepo(hub);
  // Repositories the mount has listed but never written to: a first change asks the Hub whether
  // the token may write and which refs are branches.
  const NREPOS = 24, NAPPEND = 8;  // more waiting changes than the mount's 16 FUSE threads
  for (let i = 0; i < NREPOS; i++) await client.createRepo(`alice/w${i}`);
  // A long stall timeout: a change that held a FUSE thread would hold it this long.
  const m = mountHubfs(hub.url, { token: TOKEN, args: ["--stall-timeout", "8", "--connect-timeout", "8"] });
  const dir = `${m.mountpoint}/models/alice/r`;
  try {
    assert.equal(run(`cat ${dir}/config.json`).stdout, '{"model_type": "stall"}\n');
    assert.equal(run(`ls ${dir}/data | wc -l`).stdout.trim(), String(NFILES));
    const listed = run(`for i in $(seq 0 ${NREPOS - 1}); do ls -a ${m.mountpoint}/models/alice/w$i >/dev/null || exit 1; done`, 60);
    assert.equal(listed.status, 0, listed.stderr);
    // alice/r is known writable (a first change asked the Hub): appends there wait only for the
    // bytes of the file they change, which were never read.
    assert.equal(run(`echo warm > ${dir}/warm.txt`).status, 0);
    freeze(hub);
    const waiting = [];
    for (let i = 0; i < NREPOS; i++) waiting.push(runAsync(`echo new > ${m.mountpoint}/models/alice/w${i}/new.txt`, 120));
    for (let i = 0; i < NAPPEND; i++) waiting.push(runAsync(`echo more >> ${dir}/data/f${String(i).padStart(2, "0")}.txt`, 120));
    waiting.push(runAsync(`sync ${dir}/warm.txt`, 120));
    await sleep(1500);
    for (const cmd of [`cat ${dir}/config.json`, `ls ${dir}/data`, `stat ${dir}/data/f05.txt`, `cat ${dir}/warm.txt`, `echo local > ${dir}/other.txt`]) {
      const r = run(cmd, 30);
      assert.equal(r.status, 0, `${cmd}: ${r.stderr}`);
      t.diagnostic(`${cmd.split(" ")[0]} ${cmd.split("/").pop()}: ${r.ms} ms`);
      assert.ok(r.ms < 2000, `${cmd} answered in ${r.ms} ms while changes waited for the Hub`);
    }
    const results = await Promise.all(waiting);
    for (const r of results) {
      assert.notEqual(r.status, 137, "a change hung (killed by the test's timeout)");
      assert.ok(r.ms < 90000, `a change took ${r.ms} ms to end`);
    }
    t.diagnostic(`the waiting changes ended after ${Math.min(...results.map((r) => r.ms))}-${Math.max(...results.map((r) => r.ms))} ms`);
    thaw(hub);
    // Once the Hub answers, the same changes work.
    const ok = await pollUntil(() => run(`echo new > ${m.mountpoint}/models/alice/w0/new.txt && sync ${m.mountpoint}/models/alice/w0/new.txt`, 60).status === 0, 60000);
    assert.ok(ok, "a change in a new repository works once the Hub resumed");
    const res = await fetch(`${hub.url}/alice/w0/resolve/main/new.txt`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    assert.equal(await res.text(), "new\n");
  } finally {
    thaw(hub);
    keepLog(m, "changes");
    m.unmount();
    await hub.stop();
  }
});

test("a reader killed while its read waits on a stalled fetch exits at once; unmount works while fetches are stuck", async (t) => {
  const hub = await startHub();
  await fillRepo(hub);
  // The default stall timeout (30 s): only the interrupt can free the reader quickly.
  const m = mountHubfs(hub.url, { token: TOKEN });
  const dir = `${m.mountpoint}/models/alice/r`;
  try {
    assert.equal(run(`ls ${dir}/data | wc -l`).stdout.trim(), String(NFILES));
    freeze(hub);
    const child = spawn("cat", [`${dir}/data/f07.txt`], { stdio: "ignore" });
    const exited = new Promise((r) => child.on("exit", () => r(Date.now())));
    await sleep(1500);
    const killedAt = Date.now();
    child.kill("SIGKILL");
    const gone = await Promise.race([exited, sleep(10000).then(() => 0)]);
    assert.ok(gone, "the killed reader exited");
    assert.ok(gone - killedAt < 5000, `the killed reader took ${gone - killedAt} ms to exit`);
    // Ctrl-C on a reader of another uncached file, too.
    const c2 = spawn("cat", [`${dir}/data/f08.txt`], { stdio: "ignore" });
    const e2 = new Promise((r) => c2.on("exit", () => r(Date.now())));
    await sleep(1000);
    const intAt = Date.now();
    c2.kill("SIGINT");
    const g2 = await Promise.race([e2, sleep(10000).then(() => 0)]);
    assert.ok(g2 && g2 - intAt < 5000, "an interrupted reader exited at once");
    // Unmount while the fetches are still stuck.
    const t0 = Date.now();
    const u = spawnSync(hubfsBin, ["unmount", m.mountpoint], { encoding: "utf8", timeout: 60000 });
    const took = Date.now() - t0;
    t.diagnostic(`killed reader exited after ${gone - killedAt} ms, interrupted one after ${g2 - intAt} ms, unmount took ${took} ms`);
    if (u.status === 0) {
      assert.ok(took < 20000, `unmount took ${took} ms`);
      const st = run(`stat ${m.mountpoint}`, 10);
      assert.equal(st.status, 0, `the mount point is usable after unmount: ${st.stderr}`);
      assert.doesNotMatch(st.stderr, /Transport endpoint is not connected/);
      assert.ok(!fs.readFileSync("/proc/self/mountinfo", "utf8").includes(m.mountpoint), "unmounted");
    } else {
      assert.fail(`hubfs unmount failed: ${u.stderr}`);
    }
  } finally {
    thaw(hub);
    keepLog(m, "killed");
    m.unmount();
    await hub.stop();
  }
});

test("a body that stops mid-way resumes from the last byte received, and the bytes are right", async () => {
  // 2 MiB/s per connection: the 24 MiB file takes seconds, so the stall lands mid-body.
  const hub = await startHub({ args: ["--bandwidth", String(2 << 20)] });
  const { bigSha } = await fillRepo(hub);
  const m = mountHubfs(hub.url, { token: TOKEN, args: FAST });
  const file = `${m.mountpoint}/models/alice/r/big.bin`;
  try {
    const reading = runAsync(`sha256sum ${file} > ${work}/big.sum`, 120);
    await sleep(1500);
    freeze(hub);
    await sleep((STALL + 2) * 1000);  // the transfers in flight time out and resume meanwhile
    thaw(hub);
    const r = await reading;
    assert.equal(r.status, 0, `read failed: ${r.stderr}`);
    assert.equal(fs.readFileSync(`${work}/big.sum`, "utf8").split(" ")[0], bigSha);
    // A resumed request starts where the bytes stopped, not at a chunk boundary.
    const resumed = readLog(hub.logFile).filter((e) => {
      const mm = /^bytes=(\d+)-/.exec(e.range || "");
      return mm && Number(mm[1]) % (1 << 20) !== 0;
    });
    assert.ok(resumed.length > 0, "a ranged request resumed mid-chunk");
  } finally {
    thaw(hub);
    keepLog(m, "midbody");
    m.unmount();
    await hub.stop();
  }
});

test("fsync with a stalled Hub answers EIO within the bound, keeps the changes and commits them once the Hub answers", async (t) => {
  const hub = await startHub();
  const { client } = await fillRepo(hub);
  const m = mountHubfs(hub.url, { token: TOKEN, args: [...FAST, "--revision-ttl", "1"] });
  const dir = `${m.mountpoint}/models/alice/r`;
  try {
    assert.equal(run(`echo staged > ${dir}/new.txt`).status, 0);
    freeze(hub);
    await sleep(1500);  // past the TTL of the branch's refs too
    const r = run(`sync ${dir}/new.txt`, 120);
    assert.notEqual(r.status, 137, "fsync hung");
    assert.notEqual(r.status, 0, "fsync cannot succeed while the Hub is stalled");
    assert.match(r.stderr, /Input\/output error/);
    assert.ok(r.ms < 60000, `fsync took ${r.ms} ms`);
    t.diagnostic(`fsync answered EIO after ${r.ms} ms (stall timeout ${STALL} s)`);
    assert.equal(run(`cat ${dir}/new.txt`).stdout, "staged\n", "the change is kept");
    thaw(hub);
    const landed = await pollUntil(async () => {
      const res = await fetch(`${hub.url}/alice/r/resolve/main/new.txt`, { headers: { Authorization: `Bearer ${TOKEN}` } });
      return res.ok && (await res.text()) === "staged\n";
    }, 60000);
    assert.ok(landed, "the staged change reached the Hub by itself");
  } finally {
    thaw(hub);
    keepLog(m, "fsync");
    m.unmount();
    await hub.stop();
  }
});

// Ended with `hubfs unmount` (fusermount3 -u), or with a signal to the mounted process (a
// system's shutdown): the process then commits to a Hub that never answers, retrying for up to
// 600 s. libfuse's handler took a signal then and did nothing with it; after a signal the mount
// stayed in place, unserved, and anything that touched it hung through that commit.
for (const end of ["fusermount3 -u", "SIGTERM"]) {
  test(`a signal ends the commit after an unmount (${end}) against a stalled Hub: the process exits, the changes stay staged and the next mount commits them`, async (t) => {
    const hub = await startHub();
    await fillRepo(hub);
    const cacheDir = path.join(work, `signal-cache-${end.split(" ")[0]}`);  // outlives the first mount's folder
    const m = mountHubfs(hub.url, { token: TOKEN, cacheDir });
    let next;
    try {
      assert.equal(run(`echo staged > ${m.mountpoint}/models/alice/r/signalled.txt`).status, 0);
      freeze(hub);
      if (end === "SIGTERM") process.kill(m.pid, "SIGTERM");
      else assert.equal(run(`fusermount3 -u ${m.mountpoint}`).status, 0);
      assert.ok(await pollUntil(() => !isMounted(m.mountpoint), 10000), "the mount point is let go at once");
      assert.equal(run(`ls ${m.mountpoint}`).status, 0, "the mount point answers");
      await sleep(1000);
      assert.ok(alive(m.pid), "the process is committing what is staged");
      const signalled = Date.now();
      process.kill(m.pid, "SIGTERM");
      const gone = await pollUntil(() => !alive(m.pid), 30000);
      assert.ok(gone, "the process still commits 30 s after a SIGTERM");
      t.diagnostic(`the process exited ${Date.now() - signalled} ms after SIGTERM`);
      thaw(hub);
      next = mountHubfs(hub.url, { token: TOKEN, cacheDir });
      assert.equal(run(`cat ${next.mountpoint}/models/alice/r/signalled.txt`).stdout, "staged\n", "the change is still staged");
      next.unmount();  // commits it
      const res = await fetch(`${hub.url}/alice/r/resolve/main/signalled.txt`, { headers: { Authorization: `Bearer ${TOKEN}` } });
      assert.equal(res.ok && (await res.text()), "staged\n", "the next mount committed the change");
    } finally {
      thaw(hub);
      keepLog(m, `signal-${end.split(" ")[0]}`);
      try {
        m.unmount();
        next?.unmount();
      } catch (e) {
        t.diagnostic(`cleanup: ${e.message}`);  // not over the test's own failure (a passing test has unmounted both)
      }
      await hub.stop();
    }
  });
}

test("the Hub down past the TTL: the branch keeps this mount's last commit, its modes and control file; sync answers EIO; the changes commit by themselves once the Hub is back", async (t) => {
  const dataDir = path.join(work, "down-data");
  let hub = await startHub({ dataDir });
  await fillRepo(hub);
  const port = hub.port;
  const m = mountHubfs(hub.url, { token: TOKEN, args: [...FAST, "--revision-ttl", "1"] });
  const dir = `${m.mountpoint}/models/alice/r`;
  try {
    assert.equal(run(`echo one > ${dir}/mine.txt && sync ${dir}/mine.txt`).status, 0);
    assert.equal(run(`cat ${dir}/mine.txt`).stdout, "one\n");
    assert.equal(run(`cat ${dir}/config.json && ls -l ${dir}`).status, 0);
    await hub.stop();  // connections refused from now on
    await sleep(2500);  // past the revision TTL (and the refs' TTL)
    let r = run(`cat ${dir}/mine.txt`);
    assert.equal(r.stdout, "one\n", `the file this mount committed is still there: ${r.stderr}`);
    r = run(`cat ${dir}/config.json`);
    assert.equal(r.status, 0);
    assert.ok(r.ms < 1500, `a cached read took ${r.ms} ms with the Hub down`);
    t.diagnostic(`cached read with the Hub down: ${r.ms} ms`);
    r = run(`ls ${dir}`);
    assert.ok(r.ms < 1500, `a known listing took ${r.ms} ms with the Hub down`);
    assert.match(r.stdout, /mine\.txt/);
    assert.equal(run(`stat -c %a ${dir}`).stdout.trim(), "755", "the branch keeps writable modes");
    assert.equal(run(`stat -c %a ${dir}/mine.txt`).stdout.trim(), "644");
    r = run(`cat ${dir}/.hubfs-commit`);
    assert.equal(r.status, 0, `the control file reads: ${r.stderr}`);
    assert.match(r.stdout, /branch: main/);
    assert.equal(run(`echo two > ${dir}/later.txt`).status, 0);
    r = run(`sync ${dir}`, 120);
    assert.notEqual(r.status, 0, "sync of a folder must not answer 0 for changes it did not commit");
    r = run(`sync ${dir}/later.txt`, 120);
    assert.notEqual(r.status, 0, "sync of a file must not answer 0 for changes it did not commit");
    hub = await startHub({ dataDir, args: ["--port", String(port)] });
    const back = Date.now();
    const client = new HubClient(hub.url, TOKEN);
    const landed = await pollUntil(async () => {
      const res = await fetch(`${hub.url}/alice/r/resolve/main/later.txt`, { headers: { Authorization: `Bearer ${TOKEN}` } });
      return res.ok && (await res.text()) === "two\n";
    }, 90000);
    assert.ok(landed, "the staged change reached the Hub by itself once it was back");
    t.diagnostic(`the staged change reached the Hub ${Date.now() - back} ms after it was back`);
    assert.ok((await client.info("alice/r")).sha);
  } finally {
    keepLog(m, "down");
    m.unmount();
    await hub.stop();
  }
});

test("unmount works while another registered mount is half torn down (its path answers ENOTCONN)", async () => {
  const hub = await startHub();
  const dead = mountHubfs(hub.url, {});
  const m = mountHubfs(hub.url, {});
  const record = path.join("/run/hubfs", `${process.pid}.json`);
  try {
    process.kill(dead.pid, "SIGKILL");  // leaves a dead FUSE mount: stat answers ENOTCONN
    await sleep(300);
    assert.match(run(`stat ${dead.mountpoint}/x`).stderr, /Transport endpoint is not connected/);
    // A live process registered on a path inside it, as a mount being torn down looks.
    fs.writeFileSync(record, JSON.stringify({ pid: process.pid, mountpoint: `${dead.mountpoint}/x`, endpoint: hub.url, cache_dir: "", repo: "" }));
    const u = spawnSync(hubfsBin, ["unmount", m.mountpoint], { encoding: "utf8", timeout: 60000 });
    assert.equal(u.status, 0, `hubfs unmount: ${u.stderr}`);
    const st = spawnSync(hubfsBin, ["status"], { encoding: "utf8", timeout: 60000 });
    assert.equal(st.status, 0, `hubfs status: ${st.stderr}`);
  } finally {
    fs.rmSync(record, { force: true });
    m.unmount();
    dead.kill9();
    dead.unmount();
    await hub.stop();
  }
});
