// Reads after a remount come from the disk cache: the chunks are sent to the kernel from the
// blob files (spliced, fs/fuse/reply_pieces) and checked once per boot (fs/cache/checked_chunks):
// byte-exact, without a request for bytes, and a chunk changed on disk while unmounted is caught.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { readLog, settleLog, startLocalhub } from "../harness/localhub.mjs";
import { HubClient, mountHubfs, sh, sha256File } from "./fixture.mjs";

const TOKEN = "hf_alice_token";
const MiB = 1 << 20;
const SIZE = 24 * MiB + 12345;  // a short last chunk; reads of max_read (under 1 MiB) straddle chunks
let hub, work, localFile, localSha, cacheDir;

before(async () => {
  hub = await startLocalhub({ users: [`alice:${TOKEN}:write`] });
  work = fs.mkdtempSync(path.join(os.tmpdir(), "hubfs-disk-cache-read-"));
  localFile = path.join(work, "weights.bin");
  sh(`head -c ${SIZE} /dev/urandom > ${localFile}`);
  localSha = sha256File(localFile);
  const client = new HubClient(hub.url, TOKEN);
  await client.createRepo("alice/model");
  await client.commit("alice/model", [{ path: "weights.bin", file: localFile, lfs: true }]);
  cacheDir = path.join(work, "cache");
});

after(async () => {
  await hub?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

const fileIn = (m) => `${m.mountpoint}/models/alice/model/weights.bin`;
/** Requests for file bytes (the resolve redirect and the blob GETs) logged since line `since`. */
const byteRequests = (since) =>
  readLog(hub.logFile).slice(since).filter((r) => r.host === "blob" || /\/resolve\//.test(r.path || r.url || ""));

/** Reads [off, off + len) through the mount and from the local copy. */
function bothAt(file, off, len) {
  const read = (f) => {
    const fd = fs.openSync(f, "r");
    try {
      const buf = Buffer.alloc(len);
      const n = fs.readSync(fd, buf, 0, len, off);
      return buf.subarray(0, n);
    } finally {
      fs.closeSync(fd);
    }
  };
  return [read(file), read(localFile)];
}

/** Reads that start inside a chunk and cross into the next, and the short last chunk: just the
 * bytes asked for, from the right places. */
function checkStraddlingReads(m) {
  for (const [off, len] of [[MiB - 100, 300], [3 * MiB + 4097, 2 * MiB + 5], [SIZE - 20000, 30000], [7, 1]]) {
    const [got, want] = bothAt(fileIn(m), off, len);
    assert.ok(got.equals(want), `bytes [${off}, +${len}) match the local copy`);
  }
}

test("a remounted file reads back byte-exact from the disk cache, with no request for its bytes", async () => {
  let m = mountHubfs(hub.url, { token: TOKEN, cacheDir });
  try {
    assert.equal(sha256File(fileIn(m)), localSha);
  } finally {
    m.unmount();
  }
  await settleLog(hub.logFile);
  m = mountHubfs(hub.url, { token: TOKEN, cacheDir });
  try {
    const since = readLog(hub.logFile).length;
    assert.equal(sha256File(fileIn(m)), localSha, "the whole file, read in order");
    checkStraddlingReads(m);
    await settleLog(hub.logFile);
    assert.deepEqual(byteRequests(since), [], "no request for bytes: everything came from the disk cache");
  } finally {
    m.unmount();
  }
});

test("FUSE worker threads serve request after request: none is ended after its request", async () => {
  // libfuse's 3.2 loop entry point (what fuse_session_loop_mt meant at FUSE_USE_VERSION 35) read
  // our config as another struct: idle threads 0, so each request started a thread and ended it
  // (src/hubfs/fuse_session.cpp). So a burst of reads ended threads; now none ends. By thread
  // id, no timing involved.
  const m = mountHubfs(hub.url, { token: TOKEN, cacheDir });
  try {
    fs.statSync(fileIn(m));
    await settleLog(hub.logFile);  // the first lookup's background refreshes (a thread each) are done
    const tids = () => new Set(fs.readdirSync(`/proc/${m.pid}/task`));
    const before = tids();
    let reads = 0;
    const fd = fs.openSync(fileIn(m), "r");
    try {
      const buf = Buffer.alloc(MiB);
      for (let off = 0; off < SIZE; off += MiB) reads += fs.readSync(fd, buf, 0, MiB, off) > 0 ? 1 : 0;
    } finally {
      fs.closeSync(fd);
    }
    const after = tids();
    const ended = [...before].filter((t) => !after.has(t));
    assert.ok(reads >= 24, `${reads} reads`);
    assert.deepEqual(ended, [], `threads of the daemon ended during ${reads} reads: the workers should stay for the next request`);
  } finally {
    m.unmount();
  }
});

test("without passthrough, reads from the disk cache reuse buffers: no fresh memory per read", async () => {
  // libfuse splices a reply from a blob file only through a pipe that holds all of it; pipes
  // stop at 1 MiB (/proc/sys/fs/pipe-max-size) unless the daemon has CAP_SYS_RESOURCE, so a
  // 1 MiB read's reply never fits, and libfuse's fallback mallocs a fresh buffer per reply:
  // a page fault per 4 KiB read (fs/fuse/reply_pieces.hpp). Counted, never timed: the daemon's
  // minor page faults (/proc/PID/stat) over a second read of the file from the disk cache, the
  // first having made whatever buffers reads need.
  const minorFaults = (pid) => Number(fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ")[7]);
  let m = mountHubfs(hub.url, { token: TOKEN, cacheDir });
  try {
    assert.equal(sha256File(fileIn(m)), localSha);  // all in the disk cache (whatever ran before)
  } finally {
    m.unmount();
  }
  m = mountHubfs(hub.url, { token: TOKEN, cacheDir, args: ["--no-passthrough"] });
  try {
    const readAll = () => {
      sh("sync; echo 3 > /proc/sys/vm/drop_caches");  // the mount's pages too: every read reaches the daemon
      assert.equal(sha256File(fileIn(m)), localSha);
    };
    readAll();
    const before = minorFaults(m.pid);
    readAll();
    const faults = minorFaults(m.pid) - before;
    const pages = Math.ceil(SIZE / 4096);
    console.log(`daemon minor faults reading ${pages} pages from the disk cache: ${faults}`);
    assert.ok(faults < pages / 4, `${faults} page faults for ${pages} pages read: a fresh buffer per read`);
    sh("sync; echo 3 > /proc/sys/vm/drop_caches");
    checkStraddlingReads(m);
  } finally {
    m.unmount();
  }
});

test("a chunk changed on disk while unmounted is caught: fetched again, the right bytes read", async () => {
  const blobs = sh(`find ${cacheDir} -type f -path '*blobs*' -size +1M`).trim().split("\n").filter(Boolean);
  assert.equal(blobs.length, 1, "the file is cached in one blob file");
  const fd = fs.openSync(blobs[0], "r+");
  fs.writeSync(fd, Buffer.from("not these bytes"), 0, 15, 5 * MiB + 1000);  // chunk 5
  fs.closeSync(fd);
  const m = mountHubfs(hub.url, { token: TOKEN, cacheDir });
  try {
    const since = (await settleLog(hub.logFile)).length;
    assert.equal(sha256File(fileIn(m)), localSha);
    await settleLog(hub.logFile);
    const gets = readLog(hub.logFile).slice(since).filter((r) => r.host === "blob" && r.method === "GET");
    assert.deepEqual(gets.map((r) => r.range), [`bytes=${5 * MiB}-${6 * MiB - 1}`], "chunk 5, and only it, fetched again");
  } finally {
    m.unmount();
  }
});
