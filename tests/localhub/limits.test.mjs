// Denial of service (issue 10, item 5): a bounded number of connections, a deadline for a whole
// request head (slowloris) and for a trickled body, an idle keep-alive timeout, a send timeout
// for a client that never reads, and an accept loop that backs off when out of descriptors.
//
// Timing: the limits are set to 1-2 s and each assertion allows 15 s or more for what must
// happen; without the limits these things never happen at all.

import { test, after } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import fs from "node:fs";
import { execFileSync } from "node:child_process";

import { startLocalhub, waitForLog } from "../harness/localhub.mjs";
import { api, read, describe, createRepo, uploadLfs, commit, lfsOp } from "../harness/hubapi.mjs";

const ALICE = "hf_alice_limits";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const hubs = [];
const sockets = [];
after(async () => {
  for (const s of sockets) s.destroy();
  for (const h of hubs) await h.stop();
});

async function hubWith(args) {
  const hub = await startLocalhub({ users: [`alice:${ALICE}:write`], args });
  hubs.push(hub);
  return hub;
}

/** A socket to the hub that records what came back and when it closed. */
function connect(url) {
  const u = new URL(url);
  const sock = net.connect(Number(u.port), u.hostname);
  sockets.push(sock);
  const st = { data: "", closed: false, closedAt: 0 };
  sock.on("data", (d) => (st.data += d.toString("latin1")));
  sock.on("error", () => {});
  sock.on("close", () => {
    st.closed = true;
    st.closedAt = Date.now();
  });
  const ready = new Promise((r) => sock.once("connect", r));
  return { sock, st, ready };
}

async function until(pred, ms) {
  const end = Date.now() + ms;
  while (!pred() && Date.now() < end) await sleep(25);
  return pred();
}

test("connections are capped: one more than --max-connections gets 503 (or is closed); a freed slot serves again", async () => {
  const hub = await hubWith(["--max-connections", "4"]);
  const idle = [];
  for (let i = 0; i < 4; i++) {
    const c = connect(hub.url);
    await c.ready;
    idle.push(c);
  }
  await sleep(200); // let the accept loop register them
  const extra = connect(hub.url);
  await extra.ready;
  extra.sock.write("GET /api/models HTTP/1.1\r\nHost: x\r\n\r\n");
  assert.ok(await until(() => extra.st.closed, 15000), "the connection over the cap is closed at once");
  assert.ok(extra.st.data === "" || /^HTTP\/1\.1 503/.test(extra.st.data), `503 or nothing: ${extra.st.data.slice(0, 80)}`);
  idle[0].sock.destroy();
  await sleep(300);
  const r = await read(api(hub, "/api/models"));
  assert.equal(r.status, 200, "a freed slot serves a request");
});

test("slowloris: a request head trickled byte by byte is cut off after --request-timeout (408)", async () => {
  const hub = await hubWith(["--request-timeout", "2"]);
  const c = connect(hub.url);
  await c.ready;
  const head = "GET /api/models HTTP/1.1\r\nHost: x\r\n" + "X-Pad: " + "a".repeat(400);
  let i = 0;
  const timer = setInterval(() => {
    if (!c.st.closed && i < head.length) c.sock.write(head[i++]);
  }, 200);
  const t0 = Date.now();
  const closed = await until(() => c.st.closed, 20000);
  clearInterval(timer);
  assert.ok(closed, "the connection is closed while the client still trickles");
  assert.match(c.st.data, /^HTTP\/1\.1 408/, "with a 408");
  assert.ok(Date.now() - t0 < 20000);
  assert.equal((await read(api(hub, "/api/models"))).status, 200);
});

test("a request body trickled far below the minimum rate is cut off", async () => {
  const hub = await hubWith(["--request-timeout", "2"]);
  await createRepo(hub, ALICE, "alice/limits");
  const c = connect(hub.url);
  await c.ready;
  c.sock.write(
    `POST /api/models/alice/limits/commit/main HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${ALICE}\r\n` +
      "Content-Type: application/x-ndjson\r\nContent-Length: 100000\r\n\r\n",
  );
  const timer = setInterval(() => !c.st.closed && c.sock.write("x"), 200);
  const closed = await until(() => c.st.closed, 20000);
  clearInterval(timer);
  assert.ok(closed, "the connection is closed");
  assert.ok(c.st.data === "" || /^HTTP\/1\.1 4\d\d/.test(c.st.data), c.st.data.slice(0, 100));
});

test("an idle keep-alive connection is closed after --idle-timeout", async () => {
  const hub = await hubWith(["--idle-timeout", "1"]);
  const c = connect(hub.url);
  await c.ready;
  c.sock.write("GET /api/models HTTP/1.1\r\nHost: x\r\n\r\n");
  assert.ok(await until(() => /\r\n\r\n\[/.test(c.st.data), 10000), "first answer");
  assert.match(c.st.data, /Connection: keep-alive/i);
  assert.ok(await until(() => c.st.closed, 15000), "closed by the server once idle");
  // and a connection that never sends anything
  const silent = connect(hub.url);
  await silent.ready;
  assert.ok(await until(() => silent.st.closed, 15000), "a silent connection is closed too");
  assert.equal(silent.st.data, "", "without an answer");
});

test("a client that never reads is dropped after --send-timeout", async () => {
  const hub = await hubWith(["--send-timeout", "1"]);
  await createRepo(hub, ALICE, "alice/big");
  const big = Buffer.alloc(48 << 20, 7); // far more than the socket buffers hold
  await uploadLfs(hub, ALICE, "alice/big", big);
  const r = await commit(hub, ALICE, "alice/big", [lfsOp("big.bin", big)]);
  assert.equal(r.status, 200, describe(r, "commit"));
  const redirect = await api(hub, "/alice/big/resolve/main/big.bin", { redirect: "manual" });
  await redirect.arrayBuffer();
  const location = new URL(redirect.headers.get("location"));
  const c = connect(location.origin);
  await c.ready;
  c.sock.pause(); // read nothing
  c.sock.write(`GET ${location.pathname}${location.search} HTTP/1.1\r\nHost: ${location.host}\r\n\r\n`);
  const lines = await waitForLog(hub.logFile, (l) => l.host === "blob" && l.method === "GET", 1, 20000);
  assert.equal(lines.length, 1, "the blob GET ended (and was logged) although the client never read");
  assert.ok(lines[0].bytes < big.length, `it was cut short (${lines[0].bytes} bytes sent)`);
});

test("out of file descriptors: the accept loop backs off instead of spinning, and recovers", async () => {
  const hub = await hubWith([]);
  const pid = hub.child.pid;
  execFileSync("prlimit", ["--pid", String(pid), "--nofile=24:"]);
  const held = [];
  for (let i = 0; i < 40; i++) {
    const c = connect(hub.url);
    held.push(c);
  }
  await Promise.all(held.map((c) => c.ready));
  await sleep(500);
  const cpu = () => {
    const f = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return (Number(f[11]) + Number(f[12])) / 100; // utime + stime, seconds (USER_HZ 100)
  };
  const before = cpu();
  await sleep(3000);
  const used = cpu() - before;
  assert.ok(used < 1.0, `localhub used ${used.toFixed(2)} s of CPU in 3 s while out of descriptors (a spinning accept loop uses ~3 s)`);
  for (const c of held) c.sock.destroy();
  execFileSync("prlimit", ["--pid", String(pid), "--nofile=1024:"]);
  let ok = false;
  for (let i = 0; i < 100 && !ok; i++) {
    try {
      ok = (await read(api(hub, "/api/models"))).status === 200;
    } catch {
      await sleep(100);
    }
  }
  assert.ok(ok, "localhub answers again once descriptors are free");
});

test("no thread to be had: the client is dropped, the server lives on", async (t) => {
  // RLIMIT_NPROC binds only a non-root user: run localhub as nobody with room for a few threads.
  if (process.getuid() !== 0) return t.skip("needs root to switch to nobody");
  const { spawn } = await import("node:child_process");
  const os = await import("node:os");
  const pathMod = await import("node:path");
  const { localhubBin } = await import("../harness/localhub.mjs");
  const dir = fs.mkdtempSync(pathMod.join(os.tmpdir(), "localhub-nproc-"));
  fs.chmodSync(dir, 0o777);
  const child = spawn("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "prlimit", "--nproc=12",
    localhubBin, "--data", pathMod.join(dir, "data"), "--port", "0"], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  try {
    const url = await new Promise((resolve, reject) => {
      let out = "";
      child.stdout.on("data", (d) => {
        out += d;
        const m = /localhub listening on (\S+)/.exec(out);
        if (m) resolve(m[1]);
      });
      child.once("exit", (code) => reject(new Error(`localhub exited ${code}: ${stderr}`)));
      setTimeout(() => reject(new Error(`no listening line: ${stderr}`)), 15000);
    });
    // Far more connections than threads: most cannot get one.
    const conns = [];
    for (let i = 0; i < 40; i++) {
      const c = connect(url);
      conns.push(c);
    }
    await Promise.all(conns.map((c) => c.ready));
    await sleep(1500);
    assert.ok(child.exitCode === null && child.signalCode === null,
      `localhub still runs (exit ${child.exitCode}, signal ${child.signalCode}; stderr: ${stderr.slice(-300)})`);
    const dropped = conns.filter((c) => c.st.closed).length;
    assert.ok(dropped > 0, "some clients were dropped for want of a thread");
    for (const c of conns) c.sock.destroy();
    let ok = false;
    for (let i = 0; i < 100 && !ok; i++) {
      try {
        ok = (await fetch(`${url}/api/models`)).status === 200;
      } catch {
        await sleep(100);
      }
    }
    assert.ok(ok, "it answers again once the connections are gone");
  } finally {
    child.kill("SIGKILL");
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
