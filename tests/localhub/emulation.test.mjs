// Emulation options and the request log: --fault, --latency-ms, --bandwidth, --log.
// Timing checks are lower bounds only (never "at most"), so a slow machine cannot fail them.

import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { startLocalhub, readLog, waitForLog, localhubBin } from "../harness/localhub.mjs";
import { api, read, describe, createRepo, commit, fileOp, lfsOp, uploadLfs, sha256 } from "../harness/hubapi.mjs";

const ALICE = "hf_alice_emulation_secret_token";
const started = [];
after(async () => {
  for (const h of started) await h.stop();
});
async function hubWith(args) {
  const h = await startLocalhub({ users: [`alice:${ALICE}:write`], args });
  started.push(h);
  return h;
}

test("--fault 503=1,max=2: the first two requests get 503 with a JSON error, then normal service", async () => {
  const hub = await hubWith(["--fault", "503=1,max=2"]);
  const statuses = [];
  for (let i = 0; i < 5; i++) {
    const r = await read(api(hub, "/api/whoami-v2", { token: ALICE }));
    statuses.push(r.status);
    if (r.status === 503) assert.equal(typeof r.json?.error, "string", describe(r, "injected 503"));
  }
  assert.deepEqual(statuses, [503, 503, 200, 200, 200]);
  const log = await waitForLog(hub.logFile, () => true, 5);
  assert.deepEqual(log.map((l) => l.status), [503, 503, 200, 200, 200], "the log records injected faults");
});

test("--fault 429=1,max=1: one 429 with Retry-After, then none", async () => {
  const hub = await hubWith(["--fault", "429=1,max=1,retry-after=3"]);
  const first = await read(api(hub, "/api/whoami-v2", { token: ALICE }));
  assert.equal(first.status, 429);
  assert.equal(first.headers.get("retry-after"), "3");
  const second = await read(api(hub, "/api/whoami-v2", { token: ALICE }));
  assert.equal(second.status, 200);
});

test("--fault is reproducible for a seed and draws the given share", async () => {
  const run = async (seed) => {
    const hub = await hubWith(["--fault", `seed=${seed},500=0.5`]);
    const out = [];
    for (let i = 0; i < 40; i++) out.push((await read(api(hub, "/api/whoami-v2", { token: ALICE }))).status);
    await hub.stop();
    return out;
  };
  const a = await run(7);
  const b = await run(7);
  assert.deepEqual(a, b, "same seed, same sequence of requests → same faults");
  assert.ok(a.every((s) => s === 200 || s === 500));
  const fails = a.filter((s) => s === 500).length;
  assert.ok(fails >= 8 && fails <= 32, `500=0.5 over 40 requests gave ${fails} faults`);
});

test("--fault reset=1 resets blob downloads after reset-after bytes; API requests are unaffected", async () => {
  const hub = await hubWith(["--fault", "reset=1,reset-after=65536"]);
  await createRepo(hub, ALICE, "alice/reset");
  const buf = Buffer.alloc(1024 * 1024, 3);
  await uploadLfs(hub, ALICE, "alice/reset", buf);
  const c = await commit(hub, ALICE, "alice/reset", [lfsOp("big.bin", buf)]);
  assert.equal(c.status, 200, describe(c, "commit"));
  const res = await api(hub, "/alice/reset/resolve/main/big.bin", { token: ALICE });
  let got = 0;
  let failed = false;
  try {
    for await (const chunk of res.body) got += chunk.length;
  } catch {
    failed = true;
  }
  assert.ok(failed || got < buf.length, `the download completed (${got} bytes) despite reset=1`);
  assert.ok(got <= 65536 + 64 * 1024, `received ${got} bytes before the reset`);
  // API still fine
  const who = await read(api(hub, "/api/whoami-v2", { token: ALICE }));
  assert.equal(who.status, 200);
});

test("--latency-ms delays every response by at least that much", async () => {
  const LAT = 150;
  const hub = await hubWith(["--latency-ms", String(LAT)]);
  for (const path of ["/api/whoami-v2", "/api/models/alice/none"]) {
    const t0 = performance.now();
    const r = await read(api(hub, path, { token: ALICE }));
    const dt = performance.now() - t0;
    assert.ok(dt >= LAT - 1, `${path} answered ${r.status} in ${dt.toFixed(1)} ms, latency is ${LAT} ms`);
  }
});

test("--bandwidth caps a download's speed", async () => {
  const BW = 256 * 1024;
  const hub = await hubWith(["--bandwidth", String(BW)]);
  await createRepo(hub, ALICE, "alice/slow");
  const buf = Buffer.alloc(256 * 1024, 9);
  const c = await commit(hub, ALICE, "alice/slow", [fileOp("file.dat", buf)]);
  assert.equal(c.status, 200, describe(c, "commit"));
  const t0 = performance.now();
  const res = await api(hub, "/alice/slow/resolve/main/file.dat", { token: ALICE });
  const got = Buffer.from(await res.arrayBuffer());
  const dt = performance.now() - t0;
  assert.ok(got.equals(buf));
  // 256 KiB at 256 KiB/s takes about a second; allow any burst allowance up to half of it
  assert.ok(dt >= 450, `256 KiB at ${BW} B/s took only ${dt.toFixed(0)} ms`);
});

test("the request log: one JSON line per request with the documented fields, never the token", async () => {
  const hub = await hubWith([]);
  await createRepo(hub, ALICE, "alice/logged");
  const buf = Buffer.alloc(100 * 1024, 1);
  await uploadLfs(hub, ALICE, "alice/logged", buf); // batch (api) + PUT (blob)
  await commit(hub, ALICE, "alice/logged", [fileOp("a.txt", "0123456789"), lfsOp("b.bin", buf)]);
  const reqs = [
    ["GET", "/alice/logged/resolve/main/a.txt", { Range: "bytes=2-5" }, ALICE],
    ["HEAD", "/alice/logged/resolve/main/a.txt", {}, undefined],
    ["GET", "/api/models/alice/logged/tree/main", {}, undefined],
    ["GET", "/api/models/alice/missing", {}, ALICE],
    ["GET", "/api/whoami-v2", {}, "hf_wrong_token_value"],
    ["GET", "/alice/logged/resolve/main/b.bin", { Range: "bytes=0-9" }, ALICE], // 302 + blob GET
  ];
  // A line is written once its response is sent, so lines may lag (or, across the two
  // listeners, swap places with) the client's next request: wait, then match lines by content.
  const setupLog = await waitForLog(hub.logFile, () => true, 4);
  const n0 = setupLog.length;
  assert.equal(n0, 4, `create + batch + PUT + commit: ${JSON.stringify(setupLog)}`);
  for (const [method, path, headers, token] of reqs) {
    const res = await api(hub, path, { method, headers, token });
    await res.arrayBuffer();
  }
  const log = await waitForLog(hub.logFile, () => true, n0 + reqs.length + 1);
  await new Promise((r) => setTimeout(r, 100)); // no extra lines may follow
  assert.equal(readLog(hub.logFile).length, n0 + reqs.length + 1, "one line per request (the LFS GET is two: 302 and blob)");
  for (const l of log) {
    for (const [k, type] of Object.entries({
      ts: "number",
      host: "string",
      method: "string",
      path: "string",
      status: "number",
      range: "string",
      bytes: "number",
      ms: "number",
      auth: "boolean",
    }))
      assert.equal(typeof l[k], type, `field ${k} of ${JSON.stringify(l)}`);
    assert.ok(["api", "blob"].includes(l.host));
    assert.ok(l.ms >= 0 && l.bytes >= 0);
    assert.ok(Math.abs(l.ts - Date.now() / 1000) < 600, `ts is unix seconds: ${l.ts}`);
  }
  const tail = log.slice(n0);
  const one = (pred, what) => {
    const m = tail.filter(pred);
    assert.equal(m.length, 1, `${what}: ${JSON.stringify(tail)}`);
    return m[0];
  };
  const rng = one((l) => l.method === "GET" && l.path === "/alice/logged/resolve/main/a.txt", "ranged GET");
  assert.deepEqual([rng.host, rng.status, rng.range, rng.bytes, rng.auth], ["api", 206, "bytes=2-5", 4, true]);
  const head = one((l) => l.method === "HEAD", "HEAD");
  assert.deepEqual([head.path, head.status, head.bytes, head.auth], ["/alice/logged/resolve/main/a.txt", 200, 0, false]);
  const tree = one((l) => l.path === "/api/models/alice/logged/tree/main", "tree");
  assert.deepEqual([tree.status, tree.range, tree.auth], [200, "", false]);
  assert.ok(tree.bytes > 0);
  const missing = one((l) => l.path === "/api/models/alice/missing", "missing repo");
  assert.deepEqual([missing.status, missing.auth], [404, true]);
  const bad = one((l) => l.path === "/api/whoami-v2", "bad token");
  assert.deepEqual([bad.status, bad.auth], [401, true]);
  const lfs302 = one((l) => l.path === "/alice/logged/resolve/main/b.bin", "LFS resolve");
  assert.deepEqual([lfs302.host, lfs302.status, lfs302.range], ["api", 302, "bytes=0-9"]);
  const blobGet = one((l) => l.host === "blob", "blob GET");
  assert.deepEqual([blobGet.method, blobGet.status, blobGet.range, blobGet.bytes], ["GET", 206, "bytes=0-9", 10]);
  assert.deepEqual(
    setupLog.map((l) => `${l.host} ${l.method} ${l.status}`).sort(),
    ["api POST 200", "api POST 200", "api POST 200", "blob PUT 200"],
  );
  const text = fs.readFileSync(hub.logFile, "utf8");
  assert.ok(!text.includes(ALICE), "the token appears in the log");
  assert.ok(!text.includes("hf_wrong_token_value"), "a bad token appears in the log");
  assert.ok(!text.includes("Bearer"), "an Authorization header appears in the log");
});

test("bad command lines are refused with a message", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "localhub-args-"));
  const data = path.join(dir, "data");
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  for (const args of [
    ["--data", data, "--port", "0", "--fault", "503=2"],
    ["--data", data, "--port", "0", "--fault", "nonsense"],
    ["--data", data, "--port", "0", "--user", "no-token"],
    ["--data", data, "--port", "0", "--latency-ms", "abc"],
    ["--data", data, "--port", "0", "--no-such-option"],
    ["--port", "0"], // no --data
  ]) {
    const r = spawnSync(localhubBin, args, { encoding: "utf8", timeout: 5000 });
    assert.notEqual(r.status, 0, `localhub ${args.join(" ")} exited 0`);
    assert.ok(r.stderr.trim().length > 0, `localhub ${args.join(" ")}: no message on stderr`);
    assert.equal(r.stdout.includes("listening"), false);
  }
});
