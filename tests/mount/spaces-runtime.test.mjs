// A Space's runtime as files (/spaces-runtime/<ns>/<name>/), on a real mount against localhub;
// every action is checked on the Hub side through its HTTP API.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { api, read } from "../harness/hubapi.mjs";
import { startLocalhub } from "../harness/localhub.mjs";
import { HubClient, hubfsBin, mountHubfs, withMountedHub, writeTo } from "./fixture.mjs";

const ALICE = "hf_alice_token";
const BOB = "hf_bob_token";
const SPACE = "alice/demo";
const SECRET = "sup3r-s3cret-value-4711";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** GET /api/spaces/alice/demo/<what> on the Hub, as alice. */
async function hubSide(hub, what) {
  const r = await read(api(hub, `/api/spaces/${SPACE}/${what}`, { token: ALICE }));
  assert.equal(r.status, 200, r.text);
  return r.json;
}

const runtimeOf = (dir) => JSON.parse(fs.readFileSync(path.join(dir, "runtime.json"), "utf8"));

/** Reads runtime.json until its stage is `stage`; returns the stages seen on the way. */
async function waitStage(dir, stage, ms = 20000) {
  const seen = [];
  const end = Date.now() + ms;
  for (;;) {
    const s = runtimeOf(dir).stage;
    if (seen.at(-1) !== s) seen.push(s);
    if (s === stage) return seen;
    if (Date.now() > end) assert.fail(`stages ${seen.join(" -> ")}, never ${stage}`);
    await sleep(100);
  }
}

async function withMount(fn) {
  const hub = await startLocalhub({ users: [`alice:${ALICE}:write`, `bob:${BOB}:write`], args: ["--space-build-seconds", "1"] });
  return withMountedHub(hub, async () => {
    await new HubClient(hub.url, ALICE).createRepo(SPACE, { type: "space" });
    return mountHubfs(hub.url, { token: ALICE });
  }, (m) => fn({ hub, m, dir: path.join(m.mountpoint, "spaces-runtime", SPACE) }));
}

describe("Spaces runtime as files", () => {
  test("restart and pause: runtime.json goes BUILDING -> RUNNING, then PAUSED, as the Hub says", { timeout: 120000 }, async () => {
    await withMount(async ({ hub, m, dir }) => {
      assert.ok(fs.readdirSync(path.join(m.mountpoint, "spaces-runtime")).includes("alice"));
      assert.deepEqual(fs.readdirSync(path.join(m.mountpoint, "spaces-runtime", "alice")), ["demo"]);
      assert.deepEqual(fs.readdirSync(dir).sort(),
        ["hardware", "pause", "restart", "runtime.json", "secrets", "sleep-time", "storage", "variables"]);
      await waitStage(dir, "RUNNING");
      assert.equal(runtimeOf(dir).hardware.current, "cpu-basic");
      assert.equal(writeTo(path.join(dir, "restart"), "\n"), "");
      assert.equal(runtimeOf(dir).stage, "BUILDING", "the restart shows at once");
      assert.deepEqual(await waitStage(dir, "RUNNING"), ["BUILDING", "RUNNING"]);
      assert.equal((await hubSide(hub, "runtime")).stage, "RUNNING");
      assert.equal(writeTo(path.join(dir, "pause"), "\n"), "");
      assert.equal(runtimeOf(dir).stage, "PAUSED");
      assert.equal((await hubSide(hub, "runtime")).stage, "PAUSED");
      assert.equal(runtimeOf(dir).hardware.current, null, "a paused Space runs on nothing");
      assert.equal(writeTo(path.join(dir, "runtime.json"), "{}"), "EACCES", "runtime.json is read-only");
      assert.throws(() => fs.readFileSync(path.join(dir, "restart")), (e) => e.code === "EACCES", "restart is write-only");
      assert.throws(() => fs.readdirSync(path.join(m.mountpoint, "spaces-runtime", "alice", "missing")), (e) => e.code === "ENOENT");
    });
  });

  test("hardware, sleep-time, storage: a known flavor is requested, an unknown one is EINVAL and changes nothing", { timeout: 120000 }, async () => {
    await withMount(async ({ hub, m, dir }) => {
      assert.equal(writeTo(path.join(dir, "hardware"), "t4-small\n"), "");
      assert.equal((await hubSide(hub, "runtime")).hardware.requested, "t4-small");
      assert.equal(fs.readFileSync(path.join(dir, "hardware"), "utf8"), "t4-small\n");
      assert.equal(runtimeOf(dir).hardware.requested, "t4-small");
      assert.equal(writeTo(path.join(dir, "hardware"), "quantum-xl\n"), "EINVAL", "an unknown flavor");
      assert.equal((await hubSide(hub, "runtime")).hardware.requested, "t4-small", "nothing changed");
      assert.match(fs.readFileSync(m.logFile, "utf8"), /quantum-xl/, "the Hub's message is in the log");
      assert.equal(writeTo(path.join(dir, "sleep-time"), "3600\n"), "");
      assert.equal((await hubSide(hub, "runtime")).gcTimeout, 3600);
      assert.equal(fs.readFileSync(path.join(dir, "sleep-time"), "utf8"), "3600\n");
      assert.equal(writeTo(path.join(dir, "sleep-time"), "soon\n"), "EINVAL");
      assert.equal(writeTo(path.join(dir, "storage"), "medium\n"), "");
      assert.equal((await hubSide(hub, "runtime")).storage, "medium");
      assert.equal(writeTo(path.join(dir, "storage"), "huge\n"), "EINVAL", "an unknown tier");
      assert.equal(writeTo(path.join(dir, "storage"), "none\n"), "");
      assert.equal((await hubSide(hub, "runtime")).storage ?? null, null);
      assert.equal(fs.readFileSync(path.join(dir, "storage"), "utf8"), "none\n");
    });
  });

  test("a secret is set but never read back nor logged; a variable reads back; rm deletes both on the Hub", { timeout: 120000 }, async () => {
    await withMount(async ({ hub, m, dir }) => {
      const secret = path.join(dir, "secrets", "API_KEY");
      const variable = path.join(dir, "variables", "MODE");
      assert.equal(writeTo(secret, `${SECRET}\n`), "");
      assert.deepEqual(Object.keys(await hubSide(hub, "secrets")), ["API_KEY"]);
      assert.throws(() => fs.readFileSync(secret), (e) => e.code === "EACCES", "a secret is write-only");
      assert.deepEqual(fs.readdirSync(path.join(dir, "secrets")), ["API_KEY"]);
      assert.equal(writeTo(variable, "fast\n"), "");
      assert.equal((await hubSide(hub, "variables")).MODE.value, "fast");
      assert.equal(fs.readFileSync(variable, "utf8"), "fast\n");
      assert.deepEqual(fs.readdirSync(path.join(dir, "variables")), ["MODE"]);
      assert.throws(() => fs.readFileSync(path.join(dir, "variables", "UNSET")), (e) => e.code === "ENOENT");

      fs.unlinkSync(secret);
      fs.unlinkSync(variable);
      assert.deepEqual(await hubSide(hub, "secrets"), {}, "the secret is gone from the Hub");
      assert.equal((await hubSide(hub, "variables")).MODE, undefined, "the variable is gone from the Hub");
      assert.deepEqual(fs.readdirSync(path.join(dir, "secrets")), []);
      assert.deepEqual(fs.readdirSync(path.join(dir, "variables")), []);

      const status = spawnSync(hubfsBin, ["status"], { encoding: "utf8", timeout: 30000 });
      assert.ok(!(status.stdout + status.stderr).includes(SECRET), "not in hubfs status");
      assert.ok(!fs.readFileSync(m.logFile, "utf8").includes(SECRET), "not in the log");
    });
  });

  test("someone who may not manage the Space gets EACCES and the Hub's message is logged", { timeout: 120000 }, async () => {
    const hub = await startLocalhub({ users: [`alice:${ALICE}:write`, `bob:${BOB}:write`], args: ["--space-build-seconds", "1"] });
    let m;
    try {
      await new HubClient(hub.url, ALICE).createRepo(SPACE, { type: "space" });
      m = mountHubfs(hub.url, { token: BOB });
      const dir = path.join(m.mountpoint, "spaces-runtime", SPACE);
      assert.equal(runtimeOf(dir).stage !== undefined, true, "bob may read the runtime of a public Space");
      assert.equal(writeTo(path.join(dir, "pause"), "\n"), "EACCES");
      assert.equal(writeTo(path.join(dir, "secrets", "X"), "v\n"), "EACCES");
      assert.notEqual((await hubSide(hub, "runtime")).stage, "PAUSED");
      assert.deepEqual(await hubSide(hub, "secrets"), {});
    } finally {
      if (m) {
        spawnSync(hubfsBin, ["unmount", m.mountpoint, "--timeout", "20"], { stdio: "ignore", timeout: 40000 });
        m.unmount();
      }
      await hub.stop();
    }
  });

  test("a stalled Space runtime call holds only its own reader: the rest of the mount answers", { timeout: 180000 }, async () => {
    // Only the runtime route stalls, and only once armed (SIGUSR1): the walk to it is done before.
    const hub = await startLocalhub({
      users: [`alice:${ALICE}:write`],
      args: ["--space-build-seconds", "1", "--fault", "stall=1,armed=0", "--fault-paths", "^/api/spaces/alice/demo/runtime"],
    });
    await withMountedHub(hub, async () => {
      const client = new HubClient(hub.url, ALICE);
      await client.createRepo(SPACE, { type: "space" });
      await client.createRepo("alice/m");
      await client.commit("alice/m", [{ path: "README.md", data: Buffer.from("# m\n") }], { summary: "seed" });
      return mountHubfs(hub.url, { token: ALICE, args: ["--stall-timeout", "3", "--connect-timeout", "3"] });
    }, async (m) => {
      const dir = path.join(m.mountpoint, "spaces-runtime", SPACE);
      assert.ok(runtimeOf(dir).stage, "answers before the stall");
      process.kill(hub.child.pid, "SIGUSR1");
      const t0 = Date.now();
      const child = spawn("timeout", ["-s", "KILL", "120", "cat", path.join(dir, "runtime.json")], { stdio: "ignore" });
      const stalled = new Promise((resolve) => child.on("close", (code) => resolve(code)));
      await sleep(500);
      // Meanwhile, in other processes (a hang is killed, not waited for): a file of a model, the root.
      const other = spawnSync("timeout", ["-s", "KILL", "20", "cat", path.join(m.mountpoint, "models", "alice", "m", "README.md")], { encoding: "utf8" });
      assert.equal(other.status, 0, `a model file while the runtime stalls: ${other.stderr}`);
      assert.equal(other.stdout, "# m\n");
      const root = spawnSync("timeout", ["-s", "KILL", "20", "ls", m.mountpoint], { encoding: "utf8" });
      assert.equal(root.status, 0, root.stderr);
      assert.match(root.stdout, /spaces-runtime/);
      assert.equal(child.exitCode, null, "the runtime read is still held by the stall");
      process.kill(hub.child.pid, "SIGUSR2");
      const code = await stalled;
      assert.notEqual(code, 137, `the stalled read ended by itself (after ${Date.now() - t0} ms)`);
    });
  });
});
