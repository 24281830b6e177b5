// What survives a crash, a damaged cache and a Hub that goes away.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { readLog, settleLog, startLocalhub } from "../harness/localhub.mjs";
import { HubClient, mountHubfs, sh, sha256File } from "./fixture.mjs";

const TOKEN = "hf_alice_token";
let hub, client, work, bigFile, bigSha;

before(async () => {
  // Storage-host answers can be slowed (4 MiB/s each) on demand: SIGUSR1 arms, SIGUSR2 disarms.
  hub = await startLocalhub({ users: [`alice:${TOKEN}:write`], args: ["--fault", `slow=1,slow-rate=${4 << 20},host=blob,armed=0`] });
  client = new HubClient(hub.url, TOKEN);
  work = fs.mkdtempSync(path.join(os.tmpdir(), "hubfs-resilience-"));
  bigFile = path.join(work, "big.bin");
  sh(`head -c 268435456 /dev/urandom > ${bigFile}`);
  bigSha = sha256File(bigFile);
  await client.createRepo("alice/data");
  await client.commit("alice/data", [
    { path: "big.bin", file: bigFile, lfs: true },
    { path: "small.txt", data: Buffer.from("small and cached\n") },
    { path: "other.txt", data: Buffer.from("never read before the Hub went away\n") },
  ]);
});

after(async () => {
  await hub?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

function findBlobFiles(cacheDir) {
  return sh(`find ${cacheDir} -type f -path '*blobs*' -size +1M`).trim().split("\n").filter(Boolean);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const MiB = 1 << 20;
const BIG_SIZE = 268435456;

/** Blob-host GETs logged since line `since`. */
const blobGets = (since) => readLog(hub.logFile).slice(since).filter((r) => r.host === "blob" && r.method === "GET");
const bytesOf = (lines) => lines.reduce((n, r) => n + r.bytes, 0);

/** The 1 MiB chunk indexes a list of ranged blob GETs covered, and their bytes in all. */
function chunksFetched(lines) {
  const chunks = new Set();
  for (const r of lines) {
    const m = /^bytes=(\d+)-(\d*)$/.exec(r.range);
    assert.ok(m, `a blob GET without a single range: ${JSON.stringify(r)}`);
    const end = m[2] === "" ? BIG_SIZE - 1 : Number(m[2]);
    for (let c = Math.floor(Number(m[1]) / MiB); c <= Math.floor(end / MiB); c++) chunks.add(c);
  }
  return [...chunks].sort((a, b) => a - b);
}

async function setFaults(armed) {
  const want = armed ? "faults armed" : "faults disarmed";
  const seen = hub.stderr().split(want).length;
  hub.child.kill(armed ? "SIGUSR1" : "SIGUSR2");
  for (let i = 0; i < 100 && hub.stderr().split(want).length === seen; i++) await sleep(20);
  assert.ok(hub.stderr().split(want).length > seen, `localhub says "${want}"`);
}

test("kill -9 in the middle of a large read, remount on the same cache: the bytes are right, and what came before the kill is not fetched again", async () => {
  const cacheDir = path.join(work, "cache-crash");
  const m = mountHubfs(hub.url, { token: TOKEN, cacheDir });
  const file = `${m.mountpoint}/models/alice/data/big.bin`;
  await setFaults(true);  // a slow storage host: the read takes many seconds
  let fetchedBefore;
  try {
    const since = (await settleLog(hub.logFile)).length;
    const reader = spawn("bash", ["-c", `cat ${file} > /dev/null`], { stdio: "ignore" });
    let readerExited = false;
    const readerDone = new Promise((r) => reader.on("exit", () => r((readerExited = true))));  // listen now: it may end before the kill
    // Let a good part of the file land in the cache, then kill the daemon mid-read.
    for (let i = 0; i < 600 && bytesOf(blobGets(since)) < 32 * MiB; i++) await sleep(50);
    assert.ok(bytesOf(blobGets(since)) >= 32 * MiB, `32 MiB came within 30 s (${bytesOf(blobGets(since))} bytes)`);
    await sleep(1000);  // the cache writers put them on disk
    assert.equal(readerExited, false, "the reader is still reading when the daemon is killed");
    m.kill9();
    await readerDone;
    fetchedBefore = bytesOf(blobGets(since));
    assert.ok(fetchedBefore < BIG_SIZE, "the kill came before the whole file was fetched");
  } finally {
    await setFaults(false);
  }
  const since = (await settleLog(hub.logFile)).length;
  const again = mountHubfs(hub.url, { token: TOKEN, cacheDir });
  try {
    assert.equal(sha256File(`${again.mountpoint}/models/alice/data/big.bin`), bigSha);
    await settleLog(hub.logFile);
    const refetched = bytesOf(blobGets(since));
    assert.ok(refetched < BIG_SIZE, `the remount fetched ${refetched} bytes: the chunks cached before the kill were used`);
  } finally {
    again.unmount();
  }
});

test("bytes flipped in cached chunks on disk: the read returns the right bytes, and only the damaged chunks are fetched again", async () => {
  const cacheDir = path.join(work, "cache-flip");
  let m = mountHubfs(hub.url, { token: TOKEN, cacheDir });
  assert.equal(sha256File(`${m.mountpoint}/models/alice/data/big.bin`), bigSha);
  m.unmount();
  const blobs = findBlobFiles(cacheDir);
  assert.equal(blobs.length, 1, "big.bin is cached in one blob file");
  // Damage chunks 0, 1 and 5 (the blob file keeps chunk i at offset i MiB).
  const fd = fs.openSync(blobs[0], "r+");
  for (const off of [0, 1 << 20, 5 << 20]) fs.writeSync(fd, Buffer.from([0xde, 0xad, 0xbe, 0xef]), 0, 4, off);
  fs.closeSync(fd);
  m = mountHubfs(hub.url, { token: TOKEN, cacheDir });
  try {
    const since = (await settleLog(hub.logFile)).length;
    assert.equal(sha256File(`${m.mountpoint}/models/alice/data/big.bin`), bigSha);
    await settleLog(hub.logFile);
    const gets = blobGets(since);
    assert.deepEqual(chunksFetched(gets), [0, 1, 5], "the damaged chunks, and only those, were fetched again");
    assert.equal(bytesOf(gets), 3 * MiB, "each once");
  } finally {
    m.unmount();
  }
});

test("the Hub goes away: cached files read, others fail within seconds, unmount works", async () => {
  const cacheDir = path.join(work, "cache-offline");
  const m = mountHubfs(hub.url, { token: TOKEN, cacheDir, args: ["--revision-ttl", "1"] });
  try {
    const dir = `${m.mountpoint}/models/alice/data`;
    assert.equal(fs.readFileSync(`${dir}/small.txt`, "utf8"), "small and cached\n");
    fs.statSync(`${dir}/other.txt`);  // listed, never read
    await hub.stop();
    await new Promise((r) => setTimeout(r, 1500));  // past the revision TTL
    assert.equal(fs.readFileSync(`${dir}/small.txt`, "utf8"), "small and cached\n");
    const started = Date.now();
    assert.throws(() => fs.readFileSync(`${dir}/other.txt`), { code: "EIO" });
    assert.ok(Date.now() - started < 30000, "an uncached read fails in bounded time");
  } finally {
    m.unmount();
  }
  assert.ok(!sh("cat /proc/self/mountinfo").includes(m.mountpoint), "unmounted");
});

test("--offline serves the cache without contacting the Hub", async () => {
  // The Hub was stopped by the previous test; the offline mount must still start and read.
  const cacheDir = path.join(work, "cache-offline");
  const m = mountHubfs("http://127.0.0.1:1", { token: TOKEN, cacheDir, args: ["--offline"] });
  try {
    assert.equal(fs.readFileSync(`${m.mountpoint}/models/alice/data/small.txt`, "utf8"), "small and cached\n");
  } finally {
    m.unmount();
  }
});
