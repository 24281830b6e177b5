// Stall faults (issue 11): a Hub that accepts and never answers, stops mid-body, trickles, or
// hangs up after N bytes; selected by path and listener, armed and disarmed at run time with
// SIGUSR1 / SIGUSR2 (tools/localhub/README.md, "Fault injection").
//
// Timing: assertions only check that something has NOT happened yet after a short wait (a slow
// machine only makes that more true) and that things DO happen after a release, within
// generous bounds.

import { test, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import crypto from "node:crypto";
import net from "node:net";

import { startLocalhub, waitForLog } from "../harness/localhub.mjs";
import { api, read, describe, createRepo, commit, fileOp, sha256 } from "../harness/hubapi.mjs";

const ALICE = "hf_alice_stall";
const FILE = crypto.randomBytes(200 * 1024);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const hubs = [];
after(async () => {
  for (const h of hubs) await h.stop();
});

/** A hub with alice/stall holding big.bin (FILE), started with the given fault arguments, disarmed. */
async function hubWith(faultArgs) {
  const hub = await startLocalhub({ users: [`alice:${ALICE}:write`], args: faultArgs });
  hubs.push(hub);
  return hub;
}
async function seed(hub) {
  await createRepo(hub, ALICE, "alice/stall");
  const r = await commit(hub, ALICE, "alice/stall", [fileOp("big.bin", FILE)]);
  assert.equal(r.status, 200, describe(r, "seed"));
}
async function signal(hub, sig) {
  const before = (hub.stderr().match(/faults (armed|disarmed)/g) ?? []).length;
  hub.child.kill(sig);
  for (let i = 0; i < 200 && (hub.stderr().match(/faults (armed|disarmed)/g) ?? []).length === before; i++) await sleep(25);
}

/** A GET whose progress can be watched: {head (promise of the response), bytes(), done (promise)}. */
function watch(hub, path, { method = "GET", body, headers = {} } = {}) {
  const u = new URL(hub.url);
  let received = 0;
  const chunks = [];
  let req;
  const state = { status: null, headers: null, ended: false, error: null };
  const done = new Promise((resolve) => {
    req = http.request(
      { host: u.hostname, port: u.port, method, path, agent: false, headers: { Authorization: `Bearer ${ALICE}`, ...headers } },
      (res) => {
        state.status = res.statusCode;
        state.headers = res.headers;
        res.on("data", (c) => {
          received += c.length;
          chunks.push(c);
        });
        res.on("end", () => {
          state.ended = true;
          resolve();
        });
        res.on("error", (e) => {
          state.error = e;
          resolve();
        });
        res.on("aborted", () => {
          state.error ??= new Error("aborted");
        });
      },
    );
    req.on("error", (e) => {
      state.error = e;
      resolve();
    });
    req.end(body);
  });
  return { state, bytes: () => received, body: () => Buffer.concat(chunks), done, abort: () => req.destroy() };
}

test("stall=1 with --fault-paths: matching requests are held, others answered; SIGUSR2 releases, SIGUSR1 stalls again", async () => {
  const hub = await hubWith(["--fault", "stall=1,armed=0", "--fault-paths", "/resolve/"]);
  await seed(hub);
  await signal(hub, "SIGUSR1");
  const held = watch(hub, "/alice/stall/resolve/main/big.bin");
  const info = await read(await api(hub, "/api/models/alice/stall", { token: ALICE }));
  assert.equal(info.status, 200, "a path that does not match is answered");
  await sleep(1000);
  assert.equal(held.state.status, null, "the resolve is not answered while the faults are armed");
  await signal(hub, "SIGUSR2");
  await held.done;
  assert.equal(held.state.status, 200);
  assert.equal(sha256(held.body()), sha256(FILE), "the released request gets the right bytes");
  const again = await fetch(`${hub.url}/alice/stall/resolve/main/big.bin`, { headers: { Authorization: `Bearer ${ALICE}` } });
  assert.equal(sha256(Buffer.from(await again.arrayBuffer())), sha256(FILE), "disarmed: answered at once");

  await signal(hub, "SIGUSR1");
  const held2 = watch(hub, "/alice/stall/resolve/main/big.bin");
  await sleep(500);
  assert.equal(held2.state.status, null, "armed again: held");
  // A client that gives up: localhub notices and drops the held request (logged as a stall).
  held2.abort();
  const lines = await waitForLog(hub.logFile, (l) => l.fault === "stall" && l.status === 0, 1, 10000);
  assert.equal(lines.length, 1, "the abandoned stalled request is logged with fault=stall, status 0");
  await signal(hub, "SIGUSR2");
});

test("stall on a write: a commit is held, then applied once released", async () => {
  const hub = await hubWith(["--fault", "stall=1,armed=0,host=api", "--fault-paths", "/commit/"]);
  await seed(hub);
  await signal(hub, "SIGUSR1");
  const body = [
    JSON.stringify({ key: "header", value: { summary: "held", description: "" } }),
    JSON.stringify({ key: "file", value: { path: "w.txt", content: Buffer.from("written").toString("base64"), encoding: "base64" } }),
  ].join("\n");
  const held = watch(hub, "/api/models/alice/stall/commit/main", { method: "POST", body, headers: { "Content-Type": "application/x-ndjson" } });
  await sleep(1000);
  assert.equal(held.state.status, null, "the commit is not answered");
  const r = await read(await api(hub, "/alice/stall/resolve/main/w.txt"));
  assert.equal(r.status, 404, "and not applied");
  await signal(hub, "SIGUSR2");
  await held.done;
  assert.equal(held.state.status, 200, held.body().toString());
  const w = await read(await api(hub, "/alice/stall/resolve/main/w.txt"));
  assert.equal(w.text, "written");
});

test("stall-body: the head and stall-after bytes, then nothing until released; the body is then complete", async () => {
  const hub = await hubWith(["--fault", "stall-body=1,stall-after=1000,armed=0", "--fault-paths", "^/alice/stall/resolve/"]);
  await seed(hub);
  await signal(hub, "SIGUSR1");
  const w = watch(hub, "/alice/stall/resolve/main/big.bin");
  await sleep(1000);
  assert.equal(w.state.status, 200, "the head came");
  assert.equal(Number(w.state.headers["content-length"]), FILE.length, "announcing the whole body");
  assert.equal(w.bytes(), 1000, "exactly stall-after body bytes came");
  await signal(hub, "SIGUSR2");
  await w.done;
  assert.ok(w.state.ended && !w.state.error);
  assert.equal(sha256(w.body()), sha256(FILE));
  const lines = await waitForLog(hub.logFile, (l) => l.fault === "stall-body");
  assert.equal(lines.length, 1);
});

test("slow: the body trickles at slow-rate bytes a second until disarmed", async () => {
  const hub = await hubWith(["--fault", "slow=1,slow-rate=8,armed=0", "--fault-paths", "/resolve/"]);
  await seed(hub);
  await signal(hub, "SIGUSR1");
  const w = watch(hub, "/alice/stall/resolve/main/big.bin");
  await sleep(1500);
  assert.equal(w.state.status, 200);
  assert.ok(w.bytes() > 0, "some bytes came");
  assert.ok(w.bytes() < 200, `at 8 bytes a second, far fewer than 200 bytes in 1.5 s (got ${w.bytes()})`);
  await signal(hub, "SIGUSR2");
  await w.done;
  assert.equal(sha256(w.body()), sha256(FILE), "the rest came at full speed, bytes right");
});

/** Raw GET over a socket: {head, body, how} where how is "end" (FIN) or the error code. */
function rawGet(hub, path) {
  const u = new URL(hub.url);
  return new Promise((resolve) => {
    const chunks = [];
    const sock = net.connect(Number(u.port), u.hostname, () =>
      sock.write(`GET ${path} HTTP/1.1\r\nHost: ${u.host}\r\nAuthorization: Bearer ${ALICE}\r\n\r\n`),
    );
    const finish = (how) => {
      const all = Buffer.concat(chunks);
      const split = all.indexOf("\r\n\r\n");
      resolve({ head: all.subarray(0, split).toString(), body: all.subarray(split + 4), how });
    };
    sock.on("data", (c) => chunks.push(c));
    sock.on("end", () => finish("end"));
    sock.on("error", (e) => finish(e.code));
  });
}

test("close: the connection ends (FIN, not RST) after close-after body bytes; host=api", async () => {
  const hub = await hubWith(["--fault", "close=1,close-after=500,host=api"]);
  await seed(hub); // host=api: every answer of the API host is cut, but short ones fit in 500 bytes
  const r = await rawGet(hub, "/alice/stall/resolve/main/big.bin");
  assert.match(r.head, new RegExp(`content-length: ${FILE.length}`, "i"), "the whole length is announced");
  assert.equal(r.how, "end", "a close (FIN), not a reset");
  assert.equal(r.body.length, 500, "exactly close-after bytes");
  assert.deepEqual(r.body, FILE.subarray(0, 500), "the bytes that came are the right ones");
  // A range request resumes from there.
  const rest = await fetch(`${hub.url}/alice/stall/resolve/main/big.bin`, { headers: { Authorization: `Bearer ${ALICE}`, Range: "bytes=500-899" } });
  assert.equal(rest.status, 206);
  assert.deepEqual(Buffer.from(await rest.arrayBuffer()), FILE.subarray(500, 900));
});

test("host=blob: faults leave the API host alone", async () => {
  const hub = await hubWith(["--fault", "stall=1,host=blob"]);
  await seed(hub);
  const r = await read(await api(hub, "/alice/stall/resolve/main/big.bin", { token: ALICE }));
  assert.equal(r.status, 200, "the API host answers");
  const blobUrl = /LFS storage host on (http:\/\/\S+?),/.exec(hub.stderr())[1];
  const blob = watch({ url: blobUrl }, "/lfs/" + "0".repeat(64));
  await sleep(800);
  assert.equal(blob.state.status, null, "the blob host holds");
  blob.abort();
});

test("bad fault specs are refused at start", async () => {
  for (const args of [["--fault", "stall=2"], ["--fault", "host=cdn"], ["--fault", "slow-rate=-1"], ["--fault-paths", "("]]) {
    await assert.rejects(startLocalhub({ args }), /exited|--fault/, args.join(" "));
  }
});
