// Spaces runtime (protocol §7) as localhub keeps it: stages BUILDING -> RUNNING -> SLEEPING,
// PAUSED, RUNTIME_ERROR from the marker file, hardware flavors (unknown refused), sleep time,
// storage tiers, write-only secrets, readable variables, duplicate, access rules, restart.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { startLocalhub } from "../harness/localhub.mjs";
import { api, read, describe, createRepo, ndjson, fileOp } from "../harness/hubapi.mjs";

// A commit to a Space (the harness's commit() addresses models).
const commitSpace = async (hub, token, id, ops) =>
  read(api(hub, `/api/spaces/${id}/commit/main`, { token, body: ndjson("test", ops), headers: { "Content-Type": "application/x-ndjson" } }));

const ALICE = "hf_alice_spaces_write";
const BOB = "hf_bob_spaces_write";
const RITA = "hf_rita_spaces_read";
const SECRET = "space-secret-value-5521";
const users = [`alice:${ALICE}:write`, `bob:${BOB}:write`, `rita:${RITA}:read`];
const orgs = ["acme:alice,rita"];
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "localhub-spaces-"));
const args = ["--space-build-seconds", "1"];
let hub;

before(async () => {
  hub = await startLocalhub({ users, orgs, dataDir, args });
  for (const name of ["alice/demo", "alice/broken", "acme/team"]) {
    await createRepo(hub, ALICE, name, { type: "space" });
    const r = await commitSpace(hub, ALICE, name, [fileOp("app.py", "print('hi')\n")]);
    assert.equal(r.status, 200, describe(r, "seed"));
  }
});
after(async () => {
  await hub?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const runtime = async (id, token = ALICE) => {
  const r = await read(api(hub, `/api/spaces/${id}/runtime`, { token }));
  assert.equal(r.status, 200, describe(r, "runtime"));
  return r.json;
};
async function waitStage(id, stage, ms = 15000) {
  const end = Date.now() + ms;
  for (;;) {
    const rt = await runtime(id);
    if (rt.stage === stage) return rt;
    if (Date.now() > end) assert.fail(`${id} is ${rt.stage}, not ${stage}, after ${ms} ms`);
    await sleep(100);
  }
}
const post = (p, body, token = ALICE) => read(api(hub, p, { token, method: "POST", body: body ?? {} }));
const del = (p, body, token = ALICE) => read(api(hub, p, { token, method: "DELETE", body }));

test("a Space builds, runs, restarts, pauses and sleeps after its sleep time", async () => {
  const first = await runtime("alice/demo");
  assert.ok(["BUILDING", "RUNNING"].includes(first.stage), first.stage);
  assert.equal(first.hardware.requested, "cpu-basic");
  const running = await waitStage("alice/demo", "RUNNING");
  assert.equal(running.hardware.current, "cpu-basic");

  const restarted = await post("/api/spaces/alice/demo/restart");
  assert.equal(restarted.status, 200, describe(restarted));
  assert.equal(restarted.json.stage, "BUILDING");
  await waitStage("alice/demo", "RUNNING");

  const paused = await post("/api/spaces/alice/demo/pause");
  assert.equal(paused.json.stage, "PAUSED");
  assert.equal(paused.json.hardware.current, null);
  await sleep(1500);
  assert.equal((await runtime("alice/demo")).stage, "PAUSED", "stays paused");
  assert.equal((await post("/api/spaces/alice/demo/restart")).json.stage, "BUILDING");
  await waitStage("alice/demo", "RUNNING");

  const st = await post("/api/spaces/alice/demo/sleeptime", { seconds: 2 });
  assert.equal(st.status, 200, describe(st));
  assert.equal(st.json.gcTimeout, 2);
  await waitStage("alice/demo", "SLEEPING");
  assert.equal((await post("/api/spaces/alice/demo/sleeptime", { seconds: -1 })).json.gcTimeout, null);
  await waitStage("alice/demo", "RUNNING");
  assert.equal((await post("/api/spaces/alice/demo/sleeptime", { seconds: "soon" })).status, 400);
});

test("RUNTIME_ERROR when the Space's files carry the marker", async () => {
  const r = await commitSpace(hub, ALICE, "alice/broken", [fileOp("localhub-runtime-error", "ImportError: no module named gradio\n")]);
  assert.equal(r.status, 200, describe(r, "marker commit"));
  const rt = await waitStage("alice/broken", "RUNTIME_ERROR");
  assert.equal(rt.errorMessage, "ImportError: no module named gradio");
});

test("hardware requests take the Hub's flavor names; unknown ones change nothing", async () => {
  const ok = await post("/api/spaces/alice/demo/hardware", { flavor: "t4-small" });
  assert.equal(ok.status, 200, describe(ok));
  assert.equal(ok.json.hardware.requested, "t4-small");
  assert.equal(ok.json.stage, "BUILDING");
  const rt = await waitStage("alice/demo", "RUNNING");
  assert.equal(rt.hardware.current, "t4-small");
  for (const body of [{ flavor: "quantum-xl" }, { flavor: 3 }, {}, "not json{"]) {
    const bad = await read(api(hub, "/api/spaces/alice/demo/hardware", { token: ALICE, method: "POST", body, headers: { "Content-Type": "application/json" } }));
    assert.equal(bad.status, 400, describe(bad, JSON.stringify(body)));
  }
  const unknown = await post("/api/spaces/alice/demo/hardware", { flavor: "quantum-xl" });
  assert.match(unknown.json.error, /Unknown hardware flavor: quantum-xl/);
  const after = await runtime("alice/demo");
  assert.equal(after.hardware.requested, "t4-small");
  assert.equal(after.stage, "RUNNING");
});

test("storage tiers: small, medium, large; delete", async () => {
  assert.equal((await post("/api/spaces/alice/demo/storage", { tier: "huge" })).status, 400);
  const s = await post("/api/spaces/alice/demo/storage", { tier: "small" });
  assert.equal(s.status, 200, describe(s));
  assert.equal(s.json.storage, "small");
  assert.equal((await post("/api/spaces/alice/demo/storage", { tier: "large" })).status, 400, "no change of tier without delete");
  const d = await del("/api/spaces/alice/demo/storage");
  assert.equal(d.json.storage, null);
  assert.equal((await post("/api/spaces/alice/demo/storage", { tier: "large" })).json.storage, "large");
});

test("secrets are write-only; variables readable; both deletable", async () => {
  const s = await post("/api/spaces/alice/demo/secrets", { key: "API_KEY", value: SECRET, description: "the key" });
  assert.equal(s.status, 200, describe(s));
  assert.ok(!s.text.includes(SECRET));
  const list = await read(api(hub, "/api/spaces/alice/demo/secrets", { token: ALICE }));
  assert.equal(list.status, 200);
  assert.deepEqual(Object.keys(list.json), ["API_KEY"]);
  assert.equal(list.json.API_KEY.description, "the key");
  assert.equal(list.json.API_KEY.value, undefined);
  assert.ok(!list.text.includes(SECRET));
  for (const p of ["runtime", "variables", "secrets"]) {
    const r = await read(api(hub, `/api/spaces/alice/demo/${p}`, { token: ALICE }));
    assert.ok(!r.text.includes(SECRET), p);
  }
  const bad = await post("/api/spaces/alice/demo/secrets", { key: "bad key!", value: SECRET });
  assert.equal(bad.status, 400);
  assert.ok(!bad.text.includes(SECRET), "an error never echoes the value");

  const v = await post("/api/spaces/alice/demo/variables", { key: "MODE", value: "fast" });
  assert.equal(v.status, 200, describe(v));
  assert.equal(v.json.MODE.value, "fast");
  assert.equal((await read(api(hub, "/api/spaces/alice/demo/variables", { token: ALICE }))).json.MODE.value, "fast");

  assert.deepEqual((await del("/api/spaces/alice/demo/secrets", { key: "API_KEY" })).json, {});
  assert.deepEqual((await read(api(hub, "/api/spaces/alice/demo/secrets", { token: ALICE }))).json, {});
  assert.equal((await del("/api/spaces/alice/demo/secrets", { key: "API_KEY" })).status, 200, "a missing key is not an error");
  assert.deepEqual((await del("/api/spaces/alice/demo/variables", { key: "MODE" })).json, {});
  assert.ok(!hub.stderr().includes(SECRET));
});

test("access: the runtime is readable by readers; everything else needs a member's write token", async () => {
  assert.equal((await read(api(hub, "/api/spaces/alice/demo/runtime", { token: BOB }))).status, 200);
  const cases = [
    ["", "alice/demo", 401], // anonymous ("" keeps the helpers from using their default token)
    [BOB, "alice/demo", 403],
    [RITA, "acme/team", 403],
  ];
  for (const [token, id, status] of cases) {
    assert.equal((await post(`/api/spaces/${id}/restart`, {}, token)).status, status, `restart ${id}`);
    assert.equal((await read(api(hub, `/api/spaces/${id}/variables`, { token }))).status, status, `variables ${id}`);
    assert.equal((await post(`/api/spaces/${id}/secrets`, { key: "K", value: "v" }, token)).status, status);
  }
  assert.equal((await post("/api/spaces/acme/team/restart")).status, 200, "org member with a write token");
  assert.equal((await read(api(hub, "/api/spaces/alice/nope/runtime", { token: ALICE }))).status, 404);
});

test("duplicate copies files and settings, not secrets; 409 when the target exists; state survives a restart", async () => {
  await post("/api/spaces/alice/demo/secrets", { key: "HIDDEN", value: SECRET });
  const d = await post("/api/spaces/alice/demo/duplicate", { repository: "bob/demo-copy", hardware: "cpu-upgrade", variables: [{ key: "V", value: "1" }] }, BOB);
  assert.equal(d.status, 200, describe(d, "duplicate"));
  assert.match(d.json.url, /\/spaces\/bob\/demo-copy$/);
  const file = await read(api(hub, "/spaces/bob/demo-copy/resolve/main/app.py", { token: BOB }));
  assert.equal(file.text, "print('hi')\n");
  const rt = await read(api(hub, "/api/spaces/bob/demo-copy/runtime", { token: BOB }));
  assert.equal(rt.json.hardware.requested, "cpu-upgrade");
  assert.deepEqual((await read(api(hub, "/api/spaces/bob/demo-copy/secrets", { token: BOB }))).json, {});
  assert.equal((await read(api(hub, "/api/spaces/bob/demo-copy/variables", { token: BOB }))).json.V.value, "1");
  assert.equal((await post("/api/spaces/alice/demo/duplicate", { repository: "bob/demo-copy" }, BOB)).status, 409);
  assert.equal((await post("/api/spaces/alice/demo/duplicate", { repository: "alice/x" }, BOB)).status, 403);
  assert.equal((await post("/api/spaces/alice/demo/duplicate", { repository: "bob/y", hardware: "nope" }, BOB)).status, 400);

  await hub.stop();
  hub = await startLocalhub({ users, orgs, dataDir, args });
  const again = await runtime("alice/demo");
  assert.equal(again.hardware.requested, "t4-small");
  assert.equal(again.storage, "large");
  assert.deepEqual(Object.keys((await read(api(hub, "/api/spaces/alice/demo/secrets", { token: ALICE }))).json), ["HIDDEN"]);
});
