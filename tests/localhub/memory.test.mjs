// Memory stays flat (issue 10, item 6): resolve of a big regular (non-LFS) file streams it from
// git instead of loading it, and a commit of 100,000 operations keeps a small record per
// operation instead of the whole body and its parsed JSON. For the commit, peak memory is
// localhub's VmHWM from /proc on a fresh process. For resolve it is the largest RssAnon seen
// while sampling during the downloads: libgit2 maps the compressed object file, and those
// file-backed pages (page cache, reclaimable) count in VmHWM but are no heap.

import { test, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import crypto from "node:crypto";

import { startLocalhub, localhubBin } from "../harness/localhub.mjs";
import { api, read, describe, createRepo, commit, sha256 } from "../harness/hubapi.mjs";

const ALICE = "hf_alice_memory";
const MiB = 1 << 20;
const running = [];
after(async () => {
  for (const h of running) await h.stop();
});

// Under AddressSanitizer, memory is the sanitizer's (shadow, quarantine): these bounds do not apply.
const sanitized = fs.readFileSync(localhubBin).includes("__asan_init");
const skip = sanitized ? "localhub is built with AddressSanitizer" : false;

const peakMiB = (hub) => Number(/VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${hub.child.pid}/status`, "utf8"))[1]) / 1024;
const rssMiB = (hub) => Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${hub.child.pid}/status`, "utf8"))[1]) / 1024;

test("resolve of a 64 MiB regular file: peak memory well below the file's size", { skip }, async () => {
  const big = crypto.randomBytes(64 * MiB);
  const first = await startLocalhub({ users: [`alice:${ALICE}:write`] });
  const dataDir = first.dataDir;
  try {
    await createRepo(first, ALICE, "alice/mem");
    const body = [
      JSON.stringify({ key: "header", value: { summary: "big regular file", description: "" } }),
      JSON.stringify({ key: "file", value: { path: "big.bin", content: big.toString("base64"), encoding: "base64" } }),
    ].join("\n");
    const r = await read(api(first, "/api/models/alice/mem/commit/main", { token: ALICE, body, headers: { "Content-Type": "application/x-ndjson" } }));
    assert.equal(r.status, 200, describe(r, "commit"));
  } finally {
    // keep the data for the second process
    first.child.kill("SIGTERM");
    await new Promise((r) => first.child.once("exit", r));
  }
  const hub = await startLocalhub({ users: [`alice:${ALICE}:write`], dataDir });
  running.push(hub);
  const anonMiB = () => Number(/RssAnon:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${hub.child.pid}/status`, "utf8"))[1]) / 1024;
  const base = anonMiB();
  let peak = base;
  const sampler = setInterval(() => (peak = Math.max(peak, anonMiB())), 5);
  const res = await api(hub, "/alice/mem/resolve/main/big.bin", { token: ALICE });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-length"), String(big.length));
  const got = Buffer.from(await res.arrayBuffer());
  assert.equal(sha256(got), sha256(big), "the right bytes");
  const ranged = await api(hub, "/alice/mem/resolve/main/big.bin", { token: ALICE, headers: { Range: `bytes=${40 * MiB}-${40 * MiB + 999}` } });
  assert.equal(ranged.status, 206);
  assert.deepEqual(Buffer.from(await ranged.arrayBuffer()), big.subarray(40 * MiB, 40 * MiB + 1000));
  clearInterval(sampler);
  peak = Math.max(peak, anonMiB());
  console.log(`# resolve of 64 MiB: peak RssAnon ${peak.toFixed(1)} MiB (at start ${base.toFixed(1)} MiB), VmHWM ${peakMiB(hub).toFixed(1)} MiB`);
  assert.ok(peak - base < 32, `peak memory grew by ${(peak - base).toFixed(1)} MiB serving a 64 MiB file (loading it whole costs 64-128 MiB)`);
  fs.rmSync(dataDir, { recursive: true, force: true });
});

test("a commit of 100,000 operations: peak memory a small multiple of the body (4x; it was 8x)", { skip }, async () => {
  const hub = await startLocalhub({ users: [`alice:${ALICE}:write`] });
  running.push(hub);
  await createRepo(hub, ALICE, "alice/many");
  const content = Buffer.from("x\n").toString("base64");
  const lines = [JSON.stringify({ key: "header", value: { summary: "many files", description: "" } })];
  for (let i = 0; i < 100000; i++) {
    const path = `d${String(i % 1000).padStart(3, "0")}/file-${String(i).padStart(6, "0")}.txt`;
    lines.push(JSON.stringify({ key: "file", value: { path, content, encoding: "base64" } }));
  }
  const body = lines.join("\n");
  const bodyMiB = body.length / MiB;
  const base = rssMiB(hub);
  const r = await read(api(hub, "/api/models/alice/many/commit/main", { token: ALICE, body, headers: { "Content-Type": "application/x-ndjson" } }));
  assert.equal(r.status, 200, describe(r, "commit"));
  const peak = peakMiB(hub);
  console.log(`# commit of 100,000 operations (${bodyMiB.toFixed(1)} MiB of NDJSON): peak ${peak.toFixed(1)} MiB (at start ${base.toFixed(1)} MiB)`);
  const tree = await read(api(hub, "/api/models/alice/many/tree/main/d999", { token: ALICE }));
  assert.equal(tree.json.length, 100, "the commit is whole");
  assert.ok(peak - base < 4 * bodyMiB, `peak memory grew by ${(peak - base).toFixed(1)} MiB for a ${bodyMiB.toFixed(1)} MiB body`);
});
