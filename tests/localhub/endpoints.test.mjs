// Inference Endpoints (protocol §9) as localhub keeps them under --endpoints-prefix: pending ->
// initializing -> running, paused, scaledToZero, failed for a model that does not exist, update
// restarts, delete, catalog, bad input, access rules, state across a restart.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { startLocalhub } from "../harness/localhub.mjs";
import { api, read, describe, createRepo } from "../harness/hubapi.mjs";

const ALICE = "hf_alice_ie_write";
const BOB = "hf_bob_ie_write";
const RITA = "hf_rita_ie_read";
const users = [`alice:${ALICE}:write`, `bob:${BOB}:write`, `rita:${RITA}:read`];
const orgs = ["acme:alice,rita"];
const PREFIX = "/ie/v2";
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "localhub-endpoints-"));
const args = ["--endpoints-prefix", PREFIX, "--endpoint-step-seconds", "1"];
let hub;

before(async () => {
  hub = await startLocalhub({ users, orgs, dataDir, args });
  await createRepo(hub, ALICE, "alice/tiny-model");
});
after(async () => {
  await hub?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const spec = (name, repository = "alice/tiny-model") => ({
  accountId: null,
  name,
  type: "protected",
  compute: { accelerator: "cpu", instanceSize: "x1", instanceType: "intel-spr", scaling: { minReplica: 0, maxReplica: 1, scaleToZeroTimeout: 15 } },
  model: { repository, framework: "pytorch", revision: "main", task: "text-generation", image: { huggingface: {} } },
  provider: { vendor: "aws", region: "us-east-1" },
});
const ep = (p, opts = {}) => read(api(hub, `${PREFIX}/endpoint/${p}`, { token: ALICE, ...opts }));
async function states(name, until, ms = 15000) {
  const seen = [];
  const end = Date.now() + ms;
  for (;;) {
    const r = await ep(`alice/${name}`);
    assert.equal(r.status, 200, describe(r));
    const s = r.json.status.state;
    if (seen.at(-1) !== s) seen.push(s);
    if (s === until) return { seen, endpoint: r.json };
    if (Date.now() > end) assert.fail(`${name}: states ${seen.join(" -> ")}, never ${until}`);
    await sleep(100);
  }
}

test("create: pending -> initializing -> running, with a URL once running", async () => {
  const r = await ep("alice", { body: spec("tiny") });
  assert.equal(r.status, 200, describe(r, "create"));
  assert.equal(r.json.name, "tiny");
  assert.equal(r.json.status.state, "pending");
  const { seen, endpoint } = await states("tiny", "running");
  assert.deepEqual(seen.filter((s) => s !== "pending"), ["initializing", "running"]);
  assert.match(endpoint.status.url, /^http:\/\//);
  assert.equal(endpoint.model.repository, "alice/tiny-model");
  const list = await ep("alice");
  assert.deepEqual(list.json.items.map((e) => e.name), ["tiny"]);
});

test("pause, resume, scale to zero, update restarts, delete", async () => {
  await states("tiny", "running");
  assert.equal((await ep("alice/tiny/pause", { method: "POST" })).json.status.state, "paused");
  await sleep(1200);
  assert.equal((await ep("alice/tiny")).json.status.state, "paused", "stays paused");
  assert.equal((await ep("alice/tiny/scale-to-zero", { method: "POST" })).status, 400, "only a running endpoint scales to zero");
  assert.equal((await ep("alice/tiny/resume", { method: "POST" })).json.status.state, "pending");
  await states("tiny", "running");
  const again = await ep("alice/tiny/resume", { method: "POST" });
  assert.equal(again.status, 400);
  assert.match(again.json.error, /already running/);
  assert.equal((await ep("alice/tiny/scale-to-zero", { method: "POST" })).json.status.state, "scaledToZero");
  await ep("alice/tiny/resume", { method: "POST" });

  const u = await ep("alice/tiny", { method: "PUT", body: { compute: { instanceSize: "x4", scaling: { maxReplica: 3 } } } });
  assert.equal(u.status, 200, describe(u, "update"));
  assert.equal(u.json.status.state, "updating");
  assert.equal(u.json.compute.instanceSize, "x4");
  assert.equal(u.json.compute.scaling.maxReplica, 3);
  assert.equal(u.json.compute.instanceType, "intel-spr", "a partial update keeps the rest");
  await states("tiny", "running");

  assert.equal((await ep("alice/tiny", { method: "DELETE" })).status, 200);
  assert.equal((await ep("alice/tiny")).status, 404);
});

test("a spec whose model does not exist fails; an update to a real model recovers it", async () => {
  assert.equal((await ep("alice", { body: spec("ghost", "alice/no-such-model") })).status, 200);
  const { endpoint } = await states("ghost", "failed");
  assert.match(endpoint.status.message, /alice\/no-such-model/);
  await ep("alice/ghost", { method: "PUT", body: { model: { repository: "alice/tiny-model" } } });
  await states("ghost", "running");
});

test("bad input: 400 with nothing created; 409 for a taken name; access rules", async () => {
  const bad = [
    ["malformed JSON", '{"name": "x", '],
    ["no compute", { ...spec("x"), compute: undefined }],
    ["no model repository", { ...spec("x"), model: { framework: "pytorch" } }],
    ["bad name", spec("Not_Valid")],
    ["bad type", { ...spec("x"), type: "open" }],
    ["bad scaling", { ...spec("x"), compute: { ...spec("x").compute, scaling: { minReplica: 3, maxReplica: 1 } } }],
  ];
  for (const [what, body] of bad) {
    const r = await ep("alice", { body, headers: { "Content-Type": "application/json" } });
    assert.equal(r.status, 400, describe(r, what));
    assert.equal(typeof r.json?.error, "string");
  }
  assert.ok(!(await ep("alice")).json.items.some((e) => e.name === "x"));
  assert.equal((await ep("alice", { body: spec("dup") })).status, 200);
  assert.equal((await ep("alice", { body: spec("dup") })).status, 409);
  assert.equal((await ep("alice/dup", { method: "PUT", body: { name: "renamed" } })).status, 400);
  assert.equal((await ep("alice/dup", { method: "PUT", body: "{oops" , headers: { "Content-Type": "application/json" } })).status, 400);

  assert.equal((await ep("alice", { token: "" })).status, 401);
  assert.equal((await ep("alice", { token: BOB })).status, 403);
  assert.equal((await ep("acme", { token: RITA })).status, 403, "read token");
  assert.equal((await ep("acme", { body: spec("team") })).status, 200, "org member");
});

test("catalog lists public models and deploys one; endpoints survive a restart", async () => {
  const list = await read(api(hub, "/endpoints-catalog/api/catalog/repo-list", { token: ALICE }));
  assert.equal(list.status, 200);
  assert.ok(list.json.models.some((m) => m.repoId === "alice/tiny-model"));
  const d = await read(api(hub, "/endpoints-catalog/api/catalog/deploy", { token: ALICE, body: { namespace: "alice", repoId: "alice/tiny-model", endpointName: "from-catalog" } }));
  assert.equal(d.status, 200, describe(d, "deploy"));
  assert.equal(d.json.endpoint.name, "from-catalog");
  assert.equal((await read(api(hub, "/endpoints-catalog/api/catalog/deploy", { token: BOB, body: { namespace: "alice", repoId: "alice/tiny-model" } }))).status, 403);

  await hub.stop();
  hub = await startLocalhub({ users, orgs, dataDir, args });
  const names = (await ep("alice")).json.items.map((e) => e.name).sort();
  assert.deepEqual(names, ["dup", "from-catalog", "ghost"]);
});
