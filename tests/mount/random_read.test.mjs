// Random reads on a real mount against localhub, counted in localhub's log: a random reader
// (fio's pattern: POSIX_FADV_RANDOM, so the kernel reads only what is asked) costs one request
// per read and a small multiple of the bytes it reads (its 64 KiB pages, not its 1 MiB chunk);
// two random reads that land side by side open no read-ahead window; and --memory-limit bounds
// the read-ahead's requests while a stream through a file larger than the limit reads every byte.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { blobRanges, settleLog, startLocalhub } from "../harness/localhub.mjs";
import { HubClient, mountHubfs } from "./fixture.mjs";

const TOKEN = "hf_alice_token";
const KiB = 1024;
const MiB = 1 << 20;
const SIZE = 64 * MiB;
let hub, client, work, data;

before(async () => {
  hub = await startLocalhub({ users: [`alice:${TOKEN}:write`] });
  client = new HubClient(hub.url, TOKEN);
  work = fs.mkdtempSync(path.join(os.tmpdir(), "hubfs-random-"));
  await client.createRepo("alice/rand");
  data = crypto.randomBytes(SIZE);
  await client.commit("alice/rand", [{ path: "data.bin", data, lfs: true }]);
});

after(async () => {
  await hub?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

const fetched = (ranges) => ranges.reduce((n, [a, b]) => n + (b - a + 1), 0);

// Reads [offset, length] pairs as fio does (one descriptor, POSIX_FADV_RANDOM, pread): their
// bytes, concatenated.
function randomReads(file, reads) {
  const script = `
import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_RANDOM)
out = bytearray()
for pair in sys.argv[2:]:
    off, n = map(int, pair.split(":"))
    b = os.pread(fd, n, off)
    assert len(b) == n, (off, n, len(b))
    out += b
os.close(fd)
sys.stdout.buffer.write(out)
`;
  return execFileSync("python3", ["-c", script, file, ...reads.map(([o, n]) => `${o}:${n}`)], { maxBuffer: 256 * MiB });
}
const expected = (reads) => Buffer.concat(reads.map(([o, n]) => data.subarray(o, o + n)));

test("random 4 KiB reads of a cold file cost one request each and their pages, not their chunks", async () => {
  const m = mountHubfs(hub.url, { token: TOKEN });
  try {
    const file = `${m.mountpoint}/models/alice/rand/data.bin`;
    fs.statSync(file);
    const since = (await settleLog(hub.logFile)).length;
    const chunks = [37, 5, 60, 12, 48, 29, 55, 3, 41, 18, 63, 9, 33, 51, 24, 44, 1, 58, 15, 21];
    const reads = chunks.map((c, i) => [c * MiB + 300 * KiB + i * 4 * KiB, 4 * KiB]);
    assert.ok(randomReads(file, reads).equals(expected(reads)), "the bytes read are the file's");
    await settleLog(hub.logFile);
    const ranges = blobRanges(hub.logFile, since, SIZE);
    const read = reads.length * 4 * KiB;
    assert.ok(ranges.length <= reads.length, `${ranges.length} GETs for ${reads.length} reads: ${JSON.stringify(ranges)}`);
    // A 64 KiB page per 4 KiB read at most (its 1 MiB chunk would be 256x).
    assert.ok(fetched(ranges) <= 16 * read, `fetched ${fetched(ranges)} bytes for ${read} read (${(fetched(ranges) / read).toFixed(1)}x)`);
  } finally {
    m.unmount();
  }
});

test("two random 1 MiB reads side by side open no read-ahead window", async () => {
  const m = mountHubfs(hub.url, { token: TOKEN });
  try {
    const file = `${m.mountpoint}/models/alice/rand/data.bin`;
    fs.statSync(file);
    const since = (await settleLog(hub.logFile)).length;
    // Random chunks, three times two neighbours in a row (fio's random 1 MiB reads do that now and then).
    const chunks = [37, 5, 6, 60, 12, 13, 48, 29, 30, 2];
    const reads = chunks.map((c) => [c * MiB, MiB]);
    assert.ok(randomReads(file, reads).equals(expected(reads)), "the bytes read are the file's");
    await settleLog(hub.logFile);
    const ranges = blobRanges(hub.logFile, since, SIZE);
    assert.ok(ranges.length <= reads.length, `${ranges.length} GETs for ${reads.length} reads: ${JSON.stringify(ranges)}`);
    assert.equal(fetched(ranges), reads.length * MiB, "each byte read fetched once, nothing ahead");
  } finally {
    m.unmount();
  }
});

test("with --memory-limit 2M a stream through a 64 MiB file reads every byte in requests within the limit", async () => {
  const m = mountHubfs(hub.url, { token: TOKEN, args: ["--memory-limit", "2M"] });
  try {
    const file = `${m.mountpoint}/models/alice/rand/data.bin`;
    fs.statSync(file);
    const since = (await settleLog(hub.logFile)).length;
    const got = fs.readFileSync(file);
    assert.ok(got.equals(data), "the bytes read are the file's");
    await settleLog(hub.logFile);
    const ranges = blobRanges(hub.logFile, since, SIZE);
    // Prefetch may hold half the limit: no request larger than that (the defaults ask 2 MiB at
    // once for a file this size, then more).
    const largest = Math.max(...ranges.map(([a, b]) => b - a + 1));
    assert.ok(largest <= MiB, `a request of ${largest} bytes under a 2 MiB limit`);
    assert.ok(fetched(ranges) <= SIZE + 2 * MiB, `fetched ${fetched(ranges)} bytes for ${SIZE}`);
  } finally {
    m.unmount();
  }
});
