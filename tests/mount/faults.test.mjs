// Each stall mode of localhub's --fault (issue 11): a Hub that accepts and never answers
// (stall), stops mid-body (stall-body), answers at one byte a second (slow), or hangs up after
// a few bytes (close). For each, a read and a write through the mount, the fault armed with
// SIGUSR1 and released with SIGUSR2 (tools/localhub/README.md, "Fault injection"):
// - read: the bytes are right (sha256) or the reader gets a clean EIO within the bound; once
//   released, the bytes are right;
// - write: fsync answers EIO within the bound or commits; the change is kept, and once
//   released it is on the Hub, in exactly one commit.
// Every call into the mount runs in a child process with a timeout: a hang fails, it never wedges.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import crypto from "node:crypto";
import { describe, test } from "node:test";
import { readLog, startLocalhub } from "../harness/localhub.mjs";
import { HubClient, mountHubfs, pollUntil, sha256, sleep } from "./fixture.mjs";

const TOKEN = "hf_alice_token";
const STALL = 2;  // --stall-timeout and --connect-timeout of every mount here, in seconds
const FAST = ["--stall-timeout", String(STALL), "--connect-timeout", String(STALL)];
const BOUND_MS = 45000;  // a read or fsync that takes longer counts as wedged
const DATA = crypto.randomBytes(300 * 1024);  // not LFS: read from the API host's resolve
/** Runs `cmd` in bash with a timeout: a promise of {status, ms, stdout, stderr}. */
function run(cmd, timeoutS = 60) {
  const t0 = Date.now();
  const child = spawn("timeout", ["-s", "KILL", String(timeoutS), "bash", "-c", cmd], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "", stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  return new Promise((resolve) => child.on("close", (status) => resolve({ status, ms: Date.now() - t0, stdout, stderr })));
}

/** Sends SIGUSR1 (arm) or SIGUSR2 (release) and waits for localhub to say it took it. */
async function signal(hub, sig) {
  const said = () => (hub.stderr().match(/faults (armed|disarmed)/g) ?? []).length;
  const before = said();
  hub.child.kill(sig);
  for (let i = 0; i < 200 && said() === before; i++) await sleep(25);
  assert.ok(said() > before, `localhub did not take ${sig}`);
}

/** A Hub with alice/r (config.json, data.bin), faults of `spec` disarmed, on `paths` only. */
async function hubWith(spec, paths) {
  const hub = await startLocalhub({ users: [`alice:${TOKEN}:write`], args: ["--fault", `${spec},armed=0`, "--fault-paths", paths] });
  const client = new HubClient(hub.url, TOKEN);
  await client.createRepo("alice/r");
  await client.commit("alice/r", [
    { path: "config.json", data: Buffer.from('{"model_type": "faults"}\n') },
    { path: "data.bin", data: DATA },
  ]);
  return { hub, client };
}

function faulted(hub, mode) {
  return readLog(hub.logFile).filter((e) => e.fault === mode).length;
}

async function commitCount(hub) {
  const r = await fetch(`${hub.url}/api/models/alice/r/commits/main`, { headers: { Authorization: `Bearer ${TOKEN}` } });
  assert.ok(r.ok, `commits: ${r.status}`);
  return (await r.json()).length;
}

// The mode, the --fault spec that makes every matching answer faulty, and a short body where
// a write's answers (small JSON) must be cut too.
const MODES = [
  { mode: "stall", spec: "stall=1" },
  { mode: "stall-body", spec: "stall-body=1,stall-after=10" },
  { mode: "slow", spec: "slow=1,slow-rate=1" },
  { mode: "close", spec: "close=1,close-after=10" },
];

// The modes run side by side (each its own Hub and mount): the file stays within about 90 s.
describe("each --fault mode, read and write", { concurrency: 4 }, () => {
  for (const { mode, spec } of MODES) {
    test(`read with --fault ${mode}: right bytes or EIO within the bound, right bytes once released`, async (t) => {
      const { hub } = await hubWith(spec, "/resolve/");
      const m = mountHubfs(hub.url, { token: TOKEN, args: FAST });
      const file = `${m.mountpoint}/models/alice/r/data.bin`;
      try {
        assert.equal((await run(`ls ${m.mountpoint}/models/alice/r`)).status, 0);
        await signal(hub, "SIGUSR1");
        const r = await run(`sha256sum ${file}`, 120);
        t.diagnostic(`armed: status ${r.status} after ${r.ms} ms`);
        assert.notEqual(r.status, 137, "the read hung");
        if (r.status === 0) assert.equal(r.stdout.split(" ")[0], sha256(DATA), "bytes read under the fault are right");
        else assert.match(r.stderr, /Input\/output error/, r.stderr);
        assert.ok(r.ms < BOUND_MS, `the read took ${r.ms} ms`);
        assert.ok(faulted(hub, mode) > 0, `no ${mode} fault was injected`);
        await signal(hub, "SIGUSR2");
        const ok = await pollUntil(async () => {
          const again = await run(`sha256sum ${file}`, 30);
          return again.status === 0 && again.stdout.split(" ")[0] === sha256(DATA);
        }, 30000);
        assert.ok(ok, "the file reads right once the fault is released");
      } finally {
        m.unmount();
        await hub.stop();
      }
    });

    test(`write with --fault ${mode}: fsync commits or answers EIO within the bound; kept, and committed exactly once when released`, async (t) => {
      const { hub } = await hubWith(spec, "/(commit|preupload)/");
      const m = mountHubfs(hub.url, { token: TOKEN, args: FAST });
      const dir = `${m.mountpoint}/models/alice/r`;
      try {
        const before = await commitCount(hub);
        assert.equal((await run(`echo ${mode} > ${dir}/w.txt`)).status, 0);
        await signal(hub, "SIGUSR1");
        const r = await run(`sync ${dir}/w.txt`, 120);
        t.diagnostic(`armed: fsync status ${r.status} after ${r.ms} ms`);
        assert.notEqual(r.status, 137, "fsync hung");
        if (r.status !== 0) assert.match(r.stderr, /Input\/output error/, r.stderr);
        assert.ok(r.ms < BOUND_MS, `fsync took ${r.ms} ms`);
        assert.ok(faulted(hub, mode) > 0, `no ${mode} fault was injected`);
        assert.equal((await run(`cat ${dir}/w.txt`)).stdout, `${mode}\n`, "the change is kept");
        await signal(hub, "SIGUSR2");
        const landed = await pollUntil(async () => {
          const res = await fetch(`${hub.url}/alice/r/resolve/main/w.txt`, { headers: { Authorization: `Bearer ${TOKEN}` } });
          return res.ok && (await res.text()) === `${mode}\n`;
        }, 60000);
        assert.ok(landed, "the change reached the Hub once the fault was released");
        await sleep(3000);  // a second commit of the same change would land meanwhile
        assert.equal(await commitCount(hub), before + 1, "exactly one commit");
        assert.equal((await run(`cat ${dir}/w.txt`)).stdout, `${mode}\n`);
      } finally {
        m.unmount();
        await hub.stop();
      }
    });
  }
});
