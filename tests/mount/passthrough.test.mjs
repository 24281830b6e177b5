// FUSE passthrough (fs/fuse/passthrough.hpp): a file whose bytes are all in the disk cache is
// read by the kernel straight from the cache's blob file, so its reads never reach the daemon.
// Counted, never timed: each FUSE request is one read(2) of /dev/fuse by the daemon, so the
// daemon's read syscalls (/proc/PID/io syscr) bound the requests a read of the file made. The
// kernel's rules make every open of an inode with a passthrough open a passthrough open too:
// a writer, or a reader of other bytes, must still work (and see the right bytes) meanwhile.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import { after, before, test } from "node:test";
import { startLocalhub } from "../harness/localhub.mjs";
import { HubClient, mountHubfs, pollUntil, sh, sha256 } from "./fixture.mjs";

const TOKEN = "hf_alice_token";
const MIB = 1 << 20;
const SIZE = 32 * MIB;  // 32 requests of 1 MiB at least, were they read through the daemon
// What an open, stat and close of a file cost (about 10 daemon reads): far below one per MiB.
const FEW = SIZE / MIB / 2;
let hub, client, data;

before(async () => {
  hub = await startLocalhub({ users: [`alice:${TOKEN}:write`] });
  client = new HubClient(hub.url, TOKEN);
  await client.createRepo("alice/pt");
  data = Buffer.alloc(SIZE);
  for (let i = 0; i < SIZE; i += 4) data.writeUInt32LE((i * 2654435761) >>> 0, i);
  await client.commit("alice/pt", [
    { path: "big.bin", data, lfs: true },
    { path: "small.txt", data: Buffer.from("small\n") },
  ]);
});

after(async () => {
  await hub?.stop();
});

const syscr = (pid) => Number(/^syscr:\s*(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/io`, "utf8"))[1]);
const passthroughOn = (m) => /passthrough: on/.test(fs.readFileSync(m.logFile, "utf8"));

// The daemon's read syscalls while `fn` runs: the kernel's page cache dropped first (the
// mount's pages too), then the cache's blob files read back in unless `fromDisk`.
function daemonReads(m, fn, { fromDisk = false } = {}) {
  sh("sync; echo 3 > /proc/sys/vm/drop_caches");
  if (!fromDisk) sh(`find ${m.cacheDir} -path "*/blobs/*" -type f -exec cat {} + > /dev/null`);
  const before = syscr(m.pid);
  const out = fn();
  return { reads: syscr(m.pid) - before, out };
}

const catHash = (file) => sh(`sha256sum ${file}`).split(" ")[0];
const mmapHash = (file) =>
  sh(`python3 -c 'import hashlib,mmap,sys\nf=open(sys.argv[1],"rb")\nm=mmap.mmap(f.fileno(),0,prot=mmap.PROT_READ)\nprint(hashlib.sha256(m).hexdigest())' ${file}`).trim();

test("a file all in the disk cache is read by the kernel, not through the daemon, also after a remount", async () => {
  const cacheDir = fs.mkdtempSync("/tmp/hubfs-pt-cache-");
  try {
    const m = mountHubfs(hub.url, { token: TOKEN, cacheDir });
    try {
      const file = `${m.mountpoint}/models/alice/pt/big.bin`;
      const cold = daemonReads(m, () => catHash(file));
      assert.equal(cold.out, sha256(data));
      assert.ok(cold.reads >= SIZE / MIB, `a cold read goes through the daemon (${cold.reads} reads)`);
      assert.ok(passthroughOn(m), "the kernel offers FUSE passthrough (Linux >= 6.9) and hubfs took it");
      const warm = daemonReads(m, () => catHash(file));
      assert.equal(warm.out, sha256(data));
      console.log(`daemon reads: cold ${cold.reads}, fully cached ${warm.reads}`);
      assert.ok(warm.reads < FEW, `a fully cached file costs no read request: ${warm.reads} daemon reads`);
      const mapped = daemonReads(m, () => mmapHash(file));
      assert.equal(mapped.out, sha256(data), "mmap reads the same bytes");
      assert.ok(mapped.reads < FEW, `mmap of a fully cached file: ${mapped.reads} daemon reads`);
    } finally {
      m.unmount();
    }
    // A new mount on that cache: its chunks were vouched for in this boot (the stamp written at
    // unmount), so the first read is a passthrough read already.
    const m2 = mountHubfs(hub.url, { token: TOKEN, cacheDir });
    try {
      const file = `${m2.mountpoint}/models/alice/pt/big.bin`;
      sh(`stat ${file} > /dev/null`);
      const again = daemonReads(m2, () => catHash(file));
      assert.equal(again.out, sha256(data));
      assert.ok(again.reads < FEW, `after a remount: ${again.reads} daemon reads`);
      // Out of the page cache too: the kernel reads the blob file from the disk.
      const fromDisk = daemonReads(m2, () => catHash(file), { fromDisk: true });
      assert.equal(fromDisk.out, sha256(data));
      assert.ok(fromDisk.reads < FEW, `from disk: ${fromDisk.reads} daemon reads`);
      const mappedFromDisk = daemonReads(m2, () => mmapHash(file), { fromDisk: true });
      assert.equal(mappedFromDisk.out, sha256(data), "mmap from disk reads the same bytes");
      assert.ok(mappedFromDisk.reads < FEW, `mmap from disk: ${mappedFromDisk.reads} daemon reads`);
    } finally {
      m2.unmount();
    }
  } finally {
    fs.rmSync(cacheDir, { recursive: true, force: true });
  }
});

test("--no-passthrough: every read of a cached file goes through the daemon", async () => {
  const m = mountHubfs(hub.url, { token: TOKEN, args: ["--no-passthrough"] });
  try {
    const file = `${m.mountpoint}/models/alice/pt/big.bin`;
    catHash(file);
    const warm = daemonReads(m, () => catHash(file));
    assert.equal(warm.out, sha256(data));
    assert.ok(warm.reads >= SIZE / MIB, `without passthrough the reads come to the daemon: ${warm.reads}`);
    assert.ok(!passthroughOn(m));
  } finally {
    m.unmount();
  }
});

// A process that keeps `file` open until killed; resolves once it has opened it.
function holdOpen(file, mode = "rb") {
  const p = spawn("python3", ["-c", `import sys,time\nf=open(sys.argv[1],"${mode}")\nprint("open",flush=True)\ntime.sleep(600)`, file], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const opened = new Promise((resolve, reject) => {
    p.stdout.once("data", resolve);
    p.once("exit", (code) => reject(new Error(`holder exited (${code})`)));
  });
  return { opened, stop: () => p.kill("SIGKILL") };
}

test("opens around a passthrough open: one held from before the file was cached, a writer, a reader after the write", async () => {
  const m = mountHubfs(hub.url, { token: TOKEN });
  const holders = [];
  try {
    const file = `${m.mountpoint}/models/alice/pt/big.bin`;
    // A plain open held while the file becomes fully cached: a passthrough open now would fail
    // in the kernel (EIO), so later opens stay plain while it lives, and read right.
    holders.push(holdOpen(file));
    await holders[0].opened;
    assert.equal(catHash(file), sha256(data), "read while an earlier open is held");
    const held = daemonReads(m, () => catHash(file));
    assert.equal(held.out, sha256(data), "again, now fully cached, the first open still held");
    assert.ok(held.reads >= SIZE / MIB, `no passthrough while a plain open lives: ${held.reads} daemon reads`);
    holders.shift().stop();
    // Its release reaches the daemon: opens are passthrough again.
    assert.ok(await pollUntil(() => daemonReads(m, () => catHash(file)).reads < FEW, 20000), "passthrough again");
    // A passthrough open held, then a writer: the writer's open must work too, and a reader
    // opened after the write reads the new bytes (through the daemon).
    holders.push(holdOpen(file));
    await holders[0].opened;
    sh(`printf 'tail\\n' >> ${file}`);
    const appended = sha256(Buffer.concat([data, Buffer.from("tail\n")]));
    assert.equal(catHash(file), appended, "a read after an append sees the appended bytes");
    holders.shift().stop();
    // Once the passthrough open is gone, an mmap maps the new bytes too (while it lived, an mmap
    // would have mapped the old ones: the kernel maps the inode's one backing file).
    assert.ok(await pollUntil(() => mmapHash(file) === appended, 20000), "mmap after the last passthrough open");
  } finally {
    for (const h of holders) h.stop();
    m.unmount();
  }
});
