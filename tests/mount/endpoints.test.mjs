// Inference Endpoints as files (/endpoints/<ns>/), on a real mount against localhub serving the
// Endpoints API under --endpoints-prefix (hubfs is pointed at it by HF_INFERENCE_ENDPOINTS_URL);
// every action is checked on the API side over HTTP.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { api, read } from "../harness/hubapi.mjs";
import { startLocalhub } from "../harness/localhub.mjs";
import { HubClient, mountHubfs, withMountedHub, writeTo } from "./fixture.mjs";

const ALICE = "hf_alice_token";
const PREFIX = "/ie/v2";
const HIDDEN = "endpoint-s3cret-9917";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The endpoint as the API describes it (null when it does not exist). */
async function apiSide(hub, name = "") {
  const r = await read(api(hub, `${PREFIX}/endpoint/alice${name ? "/" + name : ""}`, { token: ALICE }));
  if (r.status === 404) return null;
  assert.equal(r.status, 200, r.text);
  return r.json;
}

const statusOf = (dir, name) => JSON.parse(fs.readFileSync(path.join(dir, name, "status.json"), "utf8"));

/** Reads status.json until its status is `state`; returns the states seen on the way. */
async function waitState(dir, name, state, ms = 20000) {
  const seen = [];
  const end = Date.now() + ms;
  for (;;) {
    const s = statusOf(dir, name).status;
    if (seen.at(-1) !== s) seen.push(s);
    if (s === state) return seen;
    if (Date.now() > end) assert.fail(`${name}: states ${seen.join(" -> ")}, never ${state}`);
    await sleep(100);
  }
}

async function withMount(fn) {
  const hub = await startLocalhub({ users: [`alice:${ALICE}:write`], args: ["--endpoints-prefix", PREFIX, "--endpoint-step-seconds", "1"] });
  return withMountedHub(hub, async () => {
    const client = new HubClient(hub.url, ALICE);
    await client.createRepo("alice/tiny-model");
    await client.createRepo("alice/other-model");
    return mountHubfs(hub.url, { token: ALICE, extraEnv: { HF_INFERENCE_ENDPOINTS_URL: hub.url + PREFIX } });
  }, (m) => fn({ hub, m, dir: path.join(m.mountpoint, "endpoints", "alice") }));
}

const spec = {
  name: "tiny",
  repository: "alice/tiny-model",
  accelerator: "cpu",
  min_replica: 0,
  scale_to_zero_timeout: 15,
  secrets: { HIDDEN_KEY: HIDDEN },
};

describe("Inference Endpoints as files", () => {
  test("create, pause, resume, scale to zero, update and rm -r: each state in status.json and on the API", { timeout: 180000 }, async () => {
    await withMount(async ({ hub, m, dir }) => {
      assert.deepEqual(fs.readdirSync(dir), ["new"]);
      assert.equal(writeTo(path.join(dir, "new"), JSON.stringify(spec) + "\n"), "");
      assert.equal((await apiSide(hub, "tiny")).model.repository, "alice/tiny-model");
      assert.match(fs.readFileSync(path.join(dir, "new"), "utf8"), /last created: tiny/);
      assert.deepEqual(fs.readdirSync(dir).sort(), ["new", "tiny"]);
      assert.deepEqual(fs.readdirSync(path.join(dir, "tiny")).sort(), ["pause", "resume", "scale-to-zero", "status.json", "update"]);
      const seen = await waitState(dir, "tiny", "running");
      assert.deepEqual(seen.filter((s) => s !== "pending"), ["initializing", "running"], `seen ${seen}`);
      assert.match(statusOf(dir, "tiny").url, /^http:\/\//);

      assert.equal(writeTo(path.join(dir, "tiny", "pause"), "\n"), "");
      assert.equal(statusOf(dir, "tiny").status, "paused");
      assert.equal((await apiSide(hub, "tiny")).status.state, "paused");
      assert.equal(writeTo(path.join(dir, "tiny", "scale-to-zero"), "\n"), "EINVAL", "a paused endpoint does not scale to zero");
      assert.equal(writeTo(path.join(dir, "tiny", "resume"), "\n"), "");
      await waitState(dir, "tiny", "running");
      assert.equal(writeTo(path.join(dir, "tiny", "scale-to-zero"), "\n"), "");
      assert.equal(statusOf(dir, "tiny").status, "scaledToZero");
      assert.equal((await apiSide(hub, "tiny")).status.state, "scaledToZero");

      assert.equal(writeTo(path.join(dir, "tiny", "update"), JSON.stringify({ repository: "alice/other-model", max_replica: 2 })), "");
      assert.equal(statusOf(dir, "tiny").status, "updating");
      assert.equal((await apiSide(hub, "tiny")).model.repository, "alice/other-model");
      await waitState(dir, "tiny", "running");
      const st = statusOf(dir, "tiny");
      assert.equal(st.repository, "alice/other-model");
      assert.equal(st.compute.scaling.maxReplica, 2);
      assert.ok(!JSON.stringify(st).includes(HIDDEN), "no secret value in status.json");
      assert.ok(!fs.readFileSync(m.logFile, "utf8").includes(HIDDEN), "no secret value in the log");

      const rm = spawnSync("rm", ["-r", path.join(dir, "tiny")], { encoding: "utf8", timeout: 60000 });
      assert.equal(rm.status, 0, rm.stderr);
      assert.equal(await apiSide(hub, "tiny"), null, "deleted on the API");
      assert.deepEqual(fs.readdirSync(dir), ["new"]);
      assert.throws(() => fs.readFileSync(path.join(dir, "tiny", "status.json")), (e) => e.code === "ENOENT");
    });
  });

  test("bad input: malformed or incomplete specs are EINVAL and create nothing; a taken name is EEXIST", { timeout: 120000 }, async () => {
    await withMount(async ({ hub, dir }) => {
      const bad = [
        ["malformed JSON", '{"name": "x", '],
        ["not an object", "[1]"],
        ["no name", JSON.stringify({ repository: "alice/tiny-model" })],
        ["no repository", JSON.stringify({ name: "x" })],
        ["a bad name", JSON.stringify({ name: "Not_Valid", repository: "alice/tiny-model" })],
        ["a typo", JSON.stringify({ name: "x", repository: "alice/tiny-model", acelerator: "cpu" })],
        ["a wrong type", JSON.stringify({ name: "x", repository: "alice/tiny-model", min_replica: "one" })],
        ["refused by the API", JSON.stringify({ name: "x", repository: "alice/tiny-model", type: "open" })],
      ];
      for (const [what, text] of bad) assert.equal(writeTo(path.join(dir, "new"), text), "EINVAL", what);
      assert.deepEqual((await apiSide(hub)).items, [], "nothing was created");
      assert.deepEqual(fs.readdirSync(dir), ["new"]);

      assert.equal(writeTo(path.join(dir, "new"), JSON.stringify(spec)), "");
      assert.equal(writeTo(path.join(dir, "new"), JSON.stringify(spec)), "EEXIST", "a taken name");
      const before = await apiSide(hub, "tiny");
      assert.equal(writeTo(path.join(dir, "tiny", "update"), "{oops"), "EINVAL");
      assert.equal(writeTo(path.join(dir, "tiny", "update"), "{}"), "EINVAL", "nothing to update");
      assert.equal(writeTo(path.join(dir, "tiny", "update"), JSON.stringify({ name: "renamed" })), "EINVAL");
      assert.equal(writeTo(path.join(dir, "tiny", "status.json"), "{}"), "EACCES", "status.json is read-only");
      assert.throws(() => fs.readFileSync(path.join(dir, "tiny", "update")), (e) => e.code === "EACCES", "update is write-only");
      const after = await apiSide(hub, "tiny");
      assert.deepEqual(after.model, before.model, "the model is unchanged");
      assert.deepEqual(after.compute, before.compute, "the compute is unchanged");
    });
  });
});
