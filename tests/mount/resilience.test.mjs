// What survives a crash, a damaged cache and a Hub that goes away.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { startLocalhub } from "../harness/localhub.mjs";
import { HubClient, mountHubfs, sh, sha256File } from "./fixture.mjs";

const TOKEN = "hf_alice_token";
let hub, client, work, bigFile, bigSha;

before(async () => {
  hub = await startLocalhub({ users: [`alice:${TOKEN}:write`] });
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

test("kill -9 in the middle of a large read, remount on the same cache: the bytes are right", async () => {
  const cacheDir = path.join(work, "cache-crash");
  const m = mountHubfs(hub.url, { token: TOKEN, cacheDir });
  const file = `${m.mountpoint}/models/alice/data/big.bin`;
  const reader = spawn("bash", ["-c", `cat ${file} > /dev/null`], { stdio: "ignore" });
  const readerDone = new Promise((r) => reader.on("exit", r));  // listen now: it may end before the kill
  // Let part of the file land in the cache, then kill the daemon mid-read.
  for (let i = 0; i < 100 && findBlobFiles(cacheDir).length === 0; i++) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 200));
  m.kill9();
  await readerDone;
  const again = mountHubfs(hub.url, { token: TOKEN, cacheDir });
  try {
    assert.equal(sha256File(`${again.mountpoint}/models/alice/data/big.bin`), bigSha);
  } finally {
    again.unmount();
  }
});

test("bytes flipped in a cached chunk on disk: the read still returns the right bytes", () => {
  const cacheDir = path.join(work, "cache-flip");
  let m = mountHubfs(hub.url, { token: TOKEN, cacheDir });
  assert.equal(sha256File(`${m.mountpoint}/models/alice/data/big.bin`), bigSha);
  m.unmount();
  const blobs = findBlobFiles(cacheDir);
  assert.ok(blobs.length > 0, "the file was cached");
  const fd = fs.openSync(blobs[0], "r+");
  for (const off of [0, 1 << 20, 5 << 20]) fs.writeSync(fd, Buffer.from([0xde, 0xad, 0xbe, 0xef]), 0, 4, off);
  fs.closeSync(fd);
  m = mountHubfs(hub.url, { token: TOKEN, cacheDir });
  try {
    assert.equal(sha256File(`${m.mountpoint}/models/alice/data/big.bin`), bigSha);
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
