// The sha256 hubfs computes while a file is written (fs/write/running_hash.hpp) on a real mount
// against localhub: whatever way a staged file was written, the bytes that land on the Hub are
// the file's last bytes, and its LFS oid is their sha256. Written in order by `cp` (the digests are
// used), then changed in the middle, truncated and rewritten, or rewritten from 0 without a
// truncate (the digests must be dropped, and the commit hashes the bytes itself). Checked through
// localhub's API: the tree's LFS oid and size, and the bytes the resolve URL serves.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { describe } from "node:test";
import { gitBlobSha1 } from "../harness/hubapi.mjs";
import { sha256 } from "./fixture.mjs";
import { MiB, hubFile, hubTree, mountTest, syncFile } from "./write_env.mjs";

/** Writes `data` at `offset` of an existing file (no truncate), as an in-place edit does. */
function writeAt(file, data, offset) {
  const fd = fs.openSync(file, "r+");
  try {
    fs.writeSync(fd, data, 0, data.length, offset);
  } finally {
    fs.closeSync(fd);
  }
}

/** Asserts the Hub holds `data` at `p` (main), as an LFS file whose oid is its sha256 when `lfs`. */
async function assertLanded(env, p, data, { lfs = true } = {}) {
  const tree = await hubTree(env.hub);
  const e = tree.get(p);
  assert.ok(e, `${p} is on the Hub`);
  if (lfs) {
    assert.ok(e.lfs, `${p} is an LFS file`);
    assert.equal(e.lfs.oid, sha256(data), `the LFS oid of ${p} is the sha256 of its last bytes`);
    assert.equal(e.lfs.size, data.length, `size of ${p}`);
  } else {
    assert.equal(e.lfs, undefined, `${p} is a regular file`);
    assert.equal(e.oid, gitBlobSha1(data), `git blob id of ${p}`);
  }
  const got = await hubFile(env.hub, p);
  assert.ok(got, `${p} downloads`);
  assert.equal(sha256(got), sha256(data), `the bytes of ${p} on the Hub`);
}

describe("a file's sha256, computed as it is written, always matches the bytes committed", () => {
  mountTest("cp of a binary file, then sync: it lands with the sha256 of its bytes", { files: [] }, async (env) => {
    const src = path.join(env.work, "src.bin");
    const data = crypto.randomBytes(3 * MiB + 12345);
    fs.writeFileSync(src, data);
    execFileSync("cp", [src, path.join(env.root, "copied.bin")]);
    syncFile(path.join(env.root, "copied.bin"));
    await assertLanded(env, "copied.bin", data);
  });

  mountTest("cp, then an overwrite in the middle (same size), then sync: the new bytes land", { files: [] }, async (env) => {
    const src = path.join(env.work, "src.bin");
    const data = crypto.randomBytes(3 * MiB);
    fs.writeFileSync(src, data);
    const file = path.join(env.root, "edited.bin");
    execFileSync("cp", [src, file]);  // closed: sealed with the digests of `data`
    const patch = Buffer.from("patched in the middle");
    writeAt(file, patch, MiB + 7);
    patch.copy(data, MiB + 7);
    syncFile(file);
    await assertLanded(env, "edited.bin", data);
  });

  mountTest("cp, then truncate and a rewrite where the file ended, then sync: the new bytes land", { files: [] }, async (env) => {
    const src = path.join(env.work, "src.bin");
    const first = crypto.randomBytes(2 * MiB);
    fs.writeFileSync(src, first);
    const file = path.join(env.root, "truncated.bin");
    execFileSync("cp", [src, file]);
    execFileSync("truncate", ["-s", String(MiB), file]);
    const tail = crypto.randomBytes(MiB);
    writeAt(file, tail, 2 * MiB);  // where the digests' stream ended: a hole of zeros before it
    const data = Buffer.concat([first.subarray(0, MiB), Buffer.alloc(MiB), tail]);
    syncFile(file);
    await assertLanded(env, "truncated.bin", data);
  });

  mountTest("files rewritten through one open handle: from 0 without truncating, after a truncate to 0, sparse", { files: [] }, async (env) => {
    const cases = {};
    // A shorter rewrite from 0 of a longer file: the old tail stays.
    {
      const file = path.join(env.root, "shorter.bin");
      const old = crypto.randomBytes(2 * MiB);
      fs.writeFileSync(file, old);
      const head = crypto.randomBytes(MiB);
      writeAt(file, head, 0);
      cases["shorter.bin"] = Buffer.concat([head, old.subarray(MiB)]);
    }
    // O_TRUNC (a shell redirection, a save) then new bytes: in order again from 0.
    {
      const file = path.join(env.root, "resaved.bin");
      fs.writeFileSync(file, crypto.randomBytes(2 * MiB));
      const again = crypto.randomBytes(MiB + 99);
      fs.writeFileSync(file, again);
      cases["resaved.bin"] = again;
    }
    // A sparse write past the end of a file written in order.
    {
      const file = path.join(env.root, "sparse.bin");
      const start = crypto.randomBytes(MiB);
      fs.writeFileSync(file, start);
      const far = Buffer.from("far away\0");
      writeAt(file, far, 3 * MiB);
      cases["sparse.bin"] = Buffer.concat([start, Buffer.alloc(2 * MiB), far]);
    }
    // A small text file (a regular file: its git blob id is hashed at commit) edited in place.
    {
      const file = path.join(env.root, "notes.txt");
      fs.writeFileSync(file, "hello world, first version\n");
      writeAt(file, Buffer.from("HELLO"), 0);
      cases["notes.txt"] = Buffer.from("HELLO world, first version\n");
    }
    syncFile(path.join(env.root, "notes.txt"));  // commits the whole branch
    for (const [p, data] of Object.entries(cases)) await assertLanded(env, p, data, { lfs: p !== "notes.txt" });
  });
});

describe("the FUSE loop keeps its worker threads (a `cp -r` of many files)", () => {
  // libfuse started and ended a worker thread, each with its own /dev/fuse descriptor, for
  // almost every request when the loop's config was read as the old two-field one (7 threads
  // per small file copied). Counted, not timed: the daemon's thread ids before and after.
  const tids = (pid) => new Set(fs.readdirSync(`/proc/${pid}/task`));
  const fuseFds = (pid) => fs.readdirSync(`/proc/${pid}/fd`).filter((fd) => {
    try {
      return fs.readlinkSync(`/proc/${pid}/fd/${fd}`) === "/dev/fuse";
    } catch {
      return false;
    }
  }).length;

  mountTest("200 files written one after another start almost no new threads, on one /dev/fuse descriptor", { files: [] }, async (env) => {
    fs.writeFileSync(path.join(env.root, "warm-up.txt"), "warm up\n");  // the branch's first lookups
    const before = tids(env.mount.pid);
    const seen = new Set();  // threads alive after any file: the churn's threads live one request or so
    for (let i = 0; i < 200; i++) {
      fs.writeFileSync(path.join(env.root, `f${i}.txt`), `file ${i}\n`);
      for (const t of tids(env.mount.pid)) seen.add(t);
    }
    const started = [...seen].filter((t) => !before.has(t)).length;
    // 200 files are ~1,400 requests (lookup, create, write, flush, release, ...): with the bug,
    // about one new thread each; a steady loop needs none, a few at most.
    assert.ok(started < 20, `${started} threads started for 200 files (want a steady pool)`);
    assert.equal(fuseFds(env.mount.pid), 1, "one /dev/fuse descriptor (no clone_fd per thread)");
    syncFile(path.join(env.root, "f0.txt"));
    assert.equal((await hubTree(env.hub)).size >= 201, true, "the files were committed");
  });
});
