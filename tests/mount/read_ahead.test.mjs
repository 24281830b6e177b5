// What reading costs in requests on a real mount against localhub: a sequential reader's
// read-ahead goes out as parallel ranged GETs from its second read and fetches each byte once;
// random reads fetch what they read and nothing ahead. And folder listings the kernel keeps
// (cached readdir) still show a change made upstream or through the mount.
import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { blobRanges, readLog, settleLog, startLocalhub } from "../harness/localhub.mjs";
import { HubClient, mountHubfs } from "./fixture.mjs";

const TOKEN = "hf_alice_token";
const MiB = 1 << 20;
const SIZE = 64 * MiB;
let hub, client, work, streamData, randomData;

before(async () => {
  hub = await startLocalhub({ users: [`alice:${TOKEN}:write`] });
  client = new HubClient(hub.url, TOKEN);
  work = fs.mkdtempSync(path.join(os.tmpdir(), "hubfs-readahead-"));
  await client.createRepo("alice/files");
  streamData = crypto.randomBytes(SIZE);
  randomData = crypto.randomBytes(SIZE);
  await client.commit("alice/files", [
    { path: "stream.bin", data: streamData, lfs: true },
    { path: "random.bin", data: randomData, lfs: true },
    { path: "listed/a.txt", data: Buffer.from("a\n") },
  ]);
});

after(async () => {
  await hub?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});


test("a sequential read opens its window as parallel ranged GETs at once, fetches each byte once and asks the Hub where the bytes are once", async () => {
  const m = mountHubfs(hub.url, { token: TOKEN });
  try {
    const since = (await settleLog(hub.logFile)).length;
    const got = fs.readFileSync(`${m.mountpoint}/models/alice/files/stream.bin`);
    assert.ok(got.equals(streamData), "the bytes read are the file's");
    await settleLog(hub.logFile);
    const ranges = blobRanges(hub.logFile, since, SIZE).sort((a, b) => a[0] - b[0]);
    // Every byte once: the ranges tile the file without overlap or gap.
    let next = 0;
    for (const [a, b] of ranges) {
      assert.equal(a, next, `ranges overlap or leave a gap: ${JSON.stringify(ranges)}`);
      next = b + 1;
    }
    assert.equal(next, SIZE);
    // The first window (16 MiB past the second read) goes out as 8 or more GETs, not one
    // growing request at a time: a link that limits each connection is filled from the start.
    const early = ranges.filter(([a]) => a < 17 * MiB);
    assert.ok(early.length >= 8, `GETs over the first 17 MiB: ${JSON.stringify(early)}`);
    // And requests grow afterwards: the stream is not fetched in small pieces throughout.
    assert.ok(ranges.length < 64, `${ranges.length} GETs for 64 MiB`);
    // One resolve for the file, not one per parallel GET: each counts against the Hub's
    // `resolvers` rate limit (5,000 per 5 minutes for a free user), and a first window of 16 GETs
    // each going through the resolve spent 17 per file opened.
    const resolves = readLog(hub.logFile).slice(since).filter((r) => r.host === "api" && /\/resolve\/.*stream\.bin/.test(r.path));
    assert.equal(resolves.length, 1, `resolves: ${JSON.stringify(resolves.map((r) => `${r.method} ${r.status}`))}`);
  } finally {
    m.unmount();
  }
});

test("random reads of a cold file fetch one request each and nothing ahead", async () => {
  const m = mountHubfs(hub.url, { token: TOKEN });
  try {
    const since = (await settleLog(hub.logFile)).length;
    const fd = fs.openSync(`${m.mountpoint}/models/alice/files/random.bin`, "r");
    // 20 reads of 4 KiB in distinct chunks, in an order that never goes on where it stopped.
    const chunks = [37, 5, 60, 12, 48, 0, 29, 55, 3, 41, 18, 63, 9, 33, 51, 24, 44, 1, 58, 15];
    try {
      for (const c of chunks) {
        const at = c * MiB + 300 * 1024;
        const buf = Buffer.alloc(4096);
        assert.equal(fs.readSync(fd, buf, 0, 4096, at), 4096);
        assert.ok(buf.equals(randomData.subarray(at, at + 4096)), `bytes at ${at}`);
      }
    } finally {
      fs.closeSync(fd);
    }
    await settleLog(hub.logFile);
    const ranges = blobRanges(hub.logFile, since, SIZE);
    const bytes = ranges.reduce((n, [a, b]) => n + (b - a + 1), 0);
    assert.ok(ranges.length <= chunks.length, `${ranges.length} GETs for ${chunks.length} reads: ${JSON.stringify(ranges)}`);
    assert.ok(bytes <= chunks.length * MiB, `fetched ${bytes} bytes for ${chunks.length} reads of 4 KiB in 1 MiB chunks`);
  } finally {
    m.unmount();
  }
});

test("a folder listing the kernel keeps still shows a commit made upstream and a file made through the mount", async () => {
  const m = mountHubfs(hub.url, { token: TOKEN, args: ["--revision-ttl", "1"] });
  try {
    const dir = `${m.mountpoint}/models/alice/files/listed`;
    // Listed twice: the second opendir finds the same listing, so the kernel keeps it.
    assert.deepEqual(fs.readdirSync(dir), ["a.txt"]);
    assert.deepEqual(fs.readdirSync(dir), ["a.txt"]);
    await client.commit("alice/files", [{ path: "listed/b.txt", data: Buffer.from("b\n") }], { summary: "upstream" });
    let names = [];
    for (let i = 0; i < 40 && !names.includes("b.txt"); i++) {
      await sleep(250);
      names = fs.readdirSync(dir);
    }
    assert.deepEqual(names.sort(), ["a.txt", "b.txt"], "the upstream commit shows within 10 s with a 1 s TTL");
    assert.deepEqual(fs.readdirSync(dir).sort(), ["a.txt", "b.txt"]);
    fs.writeFileSync(`${dir}/c.txt`, "c\n");
    assert.deepEqual(fs.readdirSync(dir).sort(), ["a.txt", "b.txt", "c.txt"]);
    fs.unlinkSync(`${dir}/c.txt`);
    assert.deepEqual(fs.readdirSync(dir).sort(), ["a.txt", "b.txt"]);
  } finally {
    m.unmount();
  }
});
