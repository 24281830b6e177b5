// The write path never loses or corrupts data: operation sequences checked against a local
// folder as the model (a replayed case and random seeds), then against the Hub after unmount;
// and each way a write was once lost, as the user's scenario.
import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe } from "node:test";
import { readLog, repoRoot } from "../harness/localhub.mjs";
import { sha256 } from "./fixture.mjs";
import { diffSnapshots, formatOp, parseOps, randomOps, runOp, snapshot } from "./ops_model.mjs";
import {
  MiB, fsyncDir, hubCommits, hubFile, hubFileSha, hubTree, hubfsUnmount, mountTest, pollUntil, readControl, sleep,
} from "./write_env.mjs";

// Cases found from outside (../shared/cases beside the repository) are copied into cases/.
const caseDirs = [path.join(path.dirname(new URL(import.meta.url).pathname), "cases"), path.join(repoRoot, "..", "shared", "cases")];
const caseFiles = new Map();
for (const dir of caseDirs)
  if (fs.existsSync(dir)) for (const f of fs.readdirSync(dir)) if (f.endsWith(".ops") && !caseFiles.has(f)) caseFiles.set(f, path.join(dir, f));

/** The model: a local folder that starts as a copy of the branch (the repository's .gitattributes). */
function makeModel(env) {
  const model = path.join(env.work, "model");
  fs.cpSync(env.root, model, { recursive: true });
  return model;
}

/** Runs ops on the mount's branch and on the model; throws with the sequence so far on a mismatch. */
function replay(env, model, ops, { checkEvery = 1 } = {}) {
  const done = [];
  const fail = (why) => {
    throw new Error(`${why}\noperations so far:\n${done.map(formatOp).join("\n")}`);
  };
  const apply = (o) => {
    done.push(o);
    const want = runOp(model, o);
    const got = runOp(env.root, o);
    if (got !== want) fail(`${formatOp(o)}: mount answered ${got}, the model ${want}`);
    if (done.length % checkEvery === 0) {
      const diff = diffSnapshots(snapshot(env.root), snapshot(model));
      if (diff) fail(`after ${formatOp(o)} the trees differ:\n${diff}`);
    }
  };
  for (const o of ops) apply(o);
  return { apply, done };
}

/** Unmounts (commits everything) and checks the Hub's files against the model's. */
async function assertHubMatchesModel(env, model) {
  hubfsUnmount(env.mount);
  const want = [...snapshot(model).entries()].filter(([, v]) => v.startsWith("file"));  // no folder or symlink
  const tree = await hubTree(env.hub);
  assert.deepEqual([...tree.keys()].sort(), want.map(([k]) => k).sort(), "the Hub holds the model's files");
  for (const [p, v] of want) {
    const bytes = await hubFile(env.hub, p);
    const size = Number(v.split(" ")[1]);
    assert.equal(bytes.length, size, `size of ${p} on the Hub`);
    assert.equal(`file ${bytes.length} ${sha256(bytes)}`, v, `bytes of ${p} on the Hub`);
  }
}

describe("operation sequences against a local folder", () => {
  for (const [name, file] of caseFiles) {
    mountTest(`case ${name}: the mount and then the Hub hold what a local folder holds`, { files: [] }, async (env) => {
      const model = makeModel(env);
      replay(env, model, parseOps(fs.readFileSync(file, "utf8")));
      await assertHubMatchesModel(env, model);
    });
  }

  const seeds = (process.env.HUBFS_OPS_SEEDS || "1,2,3,7").split(",").map(Number);
  const count = Number(process.env.HUBFS_OPS_COUNT || 60);
  for (const seed of seeds) {
    mountTest(`random sequence, seed ${seed} (${count} operations)`, { files: [] }, async (env) => {
      const model = makeModel(env);
      const r = replay(env, model, [], { checkEvery: 5 });
      randomOps(seed, count, model, r.apply);
      const diff = diffSnapshots(snapshot(env.root), snapshot(model));
      if (diff) throw new Error(`trees differ at the end:\n${diff}\noperations:\n${r.done.map(formatOp).join("\n")}`);
      await assertHubMatchesModel(env, model);
    }, 600000);
  }
});

describe("each loss once found, as the user's scenario", () => {
  mountTest("ftruncate through an open handle after fsync: the truncation is committed and survives a remount", { files: [] }, async (env) => {
    const file = path.join(env.root, "t.txt");
    const fd = fs.openSync(file, "w+");
    try {
      fs.writeSync(fd, Buffer.alloc(100, 0x61));
      fs.fsyncSync(fd);
      fs.ftruncateSync(fd, 5);
    } finally {
      fs.closeSync(fd);
    }
    fsyncDir(env.root);
    assert.equal((await hubFile(env.hub, "t.txt")).toString(), "aaaaa", "the Hub has the truncated file");
    hubfsUnmount(env.mount);
    const again = env.mountHub({ cacheDir: env.cacheDir });
    assert.equal(fs.statSync(path.join(env.branchDir(again), "t.txt")).size, 5);
  });

  mountTest("empty folders made by mkdir, or left by rm of their last file, survive commits", {}, async (env) => {
    fs.mkdirSync(path.join(env.root, "out"));
    fs.rmSync(path.join(env.root, "dir/sub/y.txt"));
    fs.writeFileSync(path.join(env.root, "new.txt"), "x\n");
    fsyncDir(env.root);
    assert.equal(await hubFile(env.hub, "new.txt").then(String), "x\n");
    assert.ok(fs.statSync(path.join(env.root, "out")).isDirectory(), "out is still there after the commit");
    assert.deepEqual(fs.readdirSync(path.join(env.root, "dir/sub")), [], "dir/sub is still there, empty");
    fs.mkdirSync(path.join(env.root, "out/x"));
    fs.writeFileSync(path.join(env.root, "out/x/f.txt"), "f\n");
    fsyncDir(env.root);
    assert.equal(await hubFile(env.hub, "out/x/f.txt").then(String), "f\n");
    fs.rmdirSync(path.join(env.root, "dir/sub"));
    assert.ok(!fs.existsSync(path.join(env.root, "dir/sub")), "rmdir removes a kept folder");
  });
});

describe("what the Hub cannot store, the mount keeps", () => {
  mountTest("modes, owners and times set on files and folders show in stat, follow renames, and go with unlink", { files: [] }, async (env) => {
    const r = (p) => path.join(env.root, p);
    const st = (p) => fs.statSync(r(p));
    fs.mkdirSync(r("private"), { mode: 0o700 });
    assert.equal(st("private").mode & 0o7777, 0o700, "mkdir keeps the mode asked for");
    fs.writeFileSync(r("run.sh"), "#!/bin/sh\necho ran\n", { mode: 0o640 });
    assert.equal(st("run.sh").mode & 0o7777, 0o640, "create keeps the mode asked for");
    fs.chmodSync(r("run.sh"), 0o755);
    assert.equal(execFileSync(r("run.sh"), { encoding: "utf8", timeout: 30000 }), "ran\n", "chmod +x makes it runnable");
    fs.chownSync(r("run.sh"), 123, 456);
    assert.deepEqual([st("run.sh").uid, st("run.sh").gid], [123, 456]);
    const when = new Date("2020-01-02T03:04:05Z");
    fs.utimesSync(r("private"), when, when);
    assert.equal(st("private").mtime.getTime(), when.getTime(), "utimens on a folder");
    const ctime = st("run.sh").ctimeMs;
    fs.renameSync(r("run.sh"), r("private/run.sh"));
    assert.equal(st("private/run.sh").mode & 0o7777, 0o755, "the mode follows a rename");
    assert.ok(st("private/run.sh").ctimeMs >= ctime, "a rename moves ctime");
    fsyncDir(env.root);
    assert.equal(st("private/run.sh").mode & 0o7777, 0o755, "and a commit");
    fs.unlinkSync(r("private/run.sh"));
    fs.writeFileSync(r("private/run.sh"), "new\n");
    assert.deepEqual([st("private/run.sh").uid, st("private/run.sh").mode & 0o111], [process.getuid(), 0], "a new file starts afresh");
  });
});

describe("POSIX details a program relies on", () => {
  mountTest("a file removed while open (the temp-file idiom) keeps answering fstat, reads and writes through its handle; utimens sets atime and mtime apart", { files: [] }, async (env) => {
    const r = (p) => path.join(env.root, p);
    const fd = fs.openSync(r("tmp.bin"), "w+");
    try {
      fs.writeSync(fd, "hello ");
      fs.unlinkSync(r("tmp.bin"));
      assert.ok(!fs.existsSync(r("tmp.bin")), "the name is gone");
      fs.writeSync(fd, "world");
      const st = fs.fstatSync(fd);
      assert.equal(st.nlink, 0, "no name links to it");
      assert.equal(st.size, 11, "its size as written after the unlink");
      const buf = Buffer.alloc(11);
      assert.equal(fs.readSync(fd, buf, 0, 11, 0), 11);
      assert.equal(buf.toString(), "hello world");
    } finally {
      fs.closeSync(fd);
    }
    fs.writeFileSync(r("t.txt"), "t\n");
    const atime = new Date("2030-03-17T17:46:40Z"), mtime = new Date("2031-10-17T10:40:00Z");
    fs.utimesSync(r("t.txt"), atime, mtime);
    assert.deepEqual([fs.statSync(r("t.txt")).atime.getTime(), fs.statSync(r("t.txt")).mtime.getTime()], [atime.getTime(), mtime.getTime()]);
    fsyncDir(env.root);
    assert.deepEqual([...(await hubTree(env.hub)).keys()].filter((p) => p !== ".gitattributes"), ["t.txt"], "the removed file never reaches the Hub");
  });
});

describe("local privacy", () => {
  mountTest("the cache, the staging, the index and the log are the user's alone (0700 folders, 0600 files)", { files: [] }, async (env) => {
    const cacheDir = path.join(env.work, "old-cache");
    fs.mkdirSync(cacheDir, { mode: 0o755 });  // a cache folder made by an older version
    const m = env.mountHub({ cacheDir, args: [] });
    const root = env.branchDir(m);
    fs.writeFileSync(path.join(root, "secret.txt"), "private bytes\n");
    fsyncDir(root);
    fs.writeFileSync(path.join(root, "staged.txt"), "staged\n");
    assert.equal(fs.readFileSync(path.join(root, "secret.txt"), "utf8"), "private bytes\n");
    const open = execFileSync("find", [cacheDir, "-perm", "/077"], { encoding: "utf8" }).trim();
    assert.equal(open, "", `nothing in the cache is open to other users:\n${open}`);
    hubfsUnmount(m);
  });
});

describe("files the Hub refuses", () => {
  mountTest(
    "files the repository's .gitignore ignores are not committed and not lost: they stay staged and named",
    { files: [{ path: ".gitignore", data: Buffer.from("*.log\nbuild/\n") }] },
    async (env) => {
      fs.writeFileSync(path.join(env.root, "run.log"), "log\n");
      fs.mkdirSync(path.join(env.root, "build"));
      fs.writeFileSync(path.join(env.root, "build/out.bin"), "out\n");
      fs.writeFileSync(path.join(env.root, "keep.txt"), "keep\n");
      fsyncDir(env.root);
      assert.equal(await hubFile(env.hub, "keep.txt").then(String), "keep\n");
      assert.equal(await hubFile(env.hub, "run.log"), null, "the Hub ignored run.log");
      assert.equal(await hubFile(env.hub, "build/out.bin"), null);
      const ctl = readControl(env.root);
      assert.match(ctl.fields.ignored ?? "", /run\.log/, `the control file names it:\n${ctl.text}`);
      assert.equal(fs.readFileSync(path.join(env.root, "run.log"), "utf8"), "log\n", "still in the mount");
      assert.match(fs.readFileSync(env.mount.logFile, "utf8"), /ignored run\.log/);
      // What stays staged, unmount says, and exits 1 (the user's files are not on the Hub).
      const u = env.mount.unmount({ timeout: 20, status: 1 });
      assert.match(u.stderr, /changes are still staged/);
      assert.match(u.stderr, /models\/alice\/w@main: 2 changes/);
    },
  );
});

describe("a full disk", () => {
  mountTest("the cache's disk fills up while staging: ENOSPC for that write, the mount stays up and commits the rest", { files: [] }, async (env) => {
    // A second mount of the branch whose cache sits on a small tmpfs of its own.
    const small = path.join(env.work, "small");
    fs.mkdirSync(small);
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=24m", "tmpfs", small]);
    try {
      const m = env.mountHub({ cacheDir: path.join(small, "cache") });
      const root = env.branchDir(m);
      fs.writeFileSync(path.join(root, "small.txt"), "fits\n");
      assert.throws(() => fs.writeFileSync(path.join(root, "huge.bin"), Buffer.alloc(64 * MiB, 1)),
                    (e) => e.code === "ENOSPC" || e.code === "EIO", "the write that does not fit fails");
      try {
        fs.rmSync(path.join(root, "huge.bin"));
      } catch {}
      assert.equal(fs.readFileSync(path.join(root, "small.txt"), "utf8"), "fits\n", "the mount still answers");
      fsyncDir(root);
      assert.equal(await hubFile(env.hub, "small.txt").then(String), "fits\n");
      hubfsUnmount(m);
    } finally {
      spawnSync("umount", ["-l", small]);
    }
  });
});

describe("a commit takes each file as of its last close or fsync", () => {
  mountTest("a file still being written is left out of a commit made by another fsync, and goes in after its close", { files: [] }, async (env) => {
    const fd = fs.openSync(path.join(env.root, "half.bin"), "w");
    const piece = Buffer.alloc(MiB, 0x48);
    try {
      fs.writeSync(fd, piece);
      fs.writeFileSync(path.join(env.root, "other.txt"), "done\n");
      fsyncDir(env.root);
      assert.equal(await hubFile(env.hub, "other.txt").then(String), "done\n");
      assert.equal(await hubFile(env.hub, "half.bin"), null, "no half-written file on the Hub");
      assert.match(readControl(env.root).text, /add half\.bin \d+ \(open for writing/, "the control file says why it waits");
      fs.writeSync(fd, piece);
      fs.fsyncSync(fd);  // fsync of the file itself: its bytes as of now
      assert.deepEqual(await hubFileSha(env.hub, "half.bin"), { sha: sha256(Buffer.concat([piece, piece])), size: 2 * MiB });
      fs.writeSync(fd, piece);  // written after the fsync, not closed yet
      fs.writeFileSync(path.join(env.root, "third.txt"), "3\n");
      fsyncDir(env.root);
      assert.equal(await hubFile(env.hub, "third.txt").then(String), "3\n");
      assert.equal((await hubFileSha(env.hub, "half.bin")).size, 2 * MiB, "still the fsync'd bytes, never a mix");
    } finally {
      fs.closeSync(fd);
    }
    fsyncDir(env.root);
    assert.deepEqual(await hubFileSha(env.hub, "half.bin"), { sha: sha256(Buffer.concat([piece, piece, piece])), size: 3 * MiB });
  });

  mountTest("after a crash, staged bytes that no longer match their close are kept, not committed", { files: [] }, async (env) => {
    fs.writeFileSync(path.join(env.root, "torn.bin"), Buffer.alloc(100000, 0x54));
    fs.writeFileSync(path.join(env.root, "fine.txt"), "fine\n");
    const before = (await hubCommits(env.hub)).total;
    env.mount.kill9();
    // What a power cut can leave: the journal says closed, the bytes never reached the disk.
    const files = path.join(env.cacheDir, "staging", "0", "files");
    const torn = fs.readdirSync(files).map((f) => path.join(files, f)).find((f) => fs.statSync(f).size === 100000);
    fs.truncateSync(torn, 4096);
    const again = env.mountHub({ cacheDir: env.cacheDir });
    assert.ok(await pollUntil(() => hubFile(env.hub, "fine.txt").then((b) => b !== null), { timeoutMs: 60000 }), "the intact change is committed");
    await sleep(1000);
    assert.equal(await hubFile(env.hub, "torn.bin"), null, "the torn file is not");
    assert.equal((await hubCommits(env.hub)).total, before + 1);
    assert.equal(fs.statSync(path.join(env.branchDir(again), "torn.bin")).size, 4096, "it stays staged and visible");
    assert.match(fs.readFileSync(again.logFile, "utf8"), /torn\.bin.*does not hold the bytes it was closed with/);
    const u = again.unmount({ timeout: 20, status: 1 });  // the torn file stays staged: exit 1, named
    assert.match(u.stderr, /models\/alice\/w@main: 1 changes? \(4\.0 KiB\)/);
  });
});

describe("writers go on while a commit uploads", () => {
  mountTest(
    "during a slow upload, other files and the uploading file itself take writes at once; the commit holds the bytes of its start",
    // Every response waits 700 ms, so the upload takes seconds after its LFS batch call.
    { files: [], hubArgs: ["--latency-ms", "700"] },
    async (env) => {
      // Two files in one commit, started by an fsync of one (the kernel locks that file while
      // its fsync runs); the other one and a new file are written during the upload.
      const [first, second] = [path.join(env.root, "first.bin"), path.join(env.root, "second.bin")];
      const original = Buffer.alloc(8 * MiB, 0x4f);
      fs.writeFileSync(first, original);
      fs.writeFileSync(second, original);
      const since = readLog(env.hub.logFile).length;
      const sync = spawn("sync", [first], { stdio: "ignore" });
      const exited = new Promise((r) => sync.on("exit", r));
      const batchSeen = () => readLog(env.hub.logFile).slice(since).some((r) => /\/info\/lfs\/objects\/batch$/.test(r.path.split("?")[0]));
      assert.ok(await pollUntil(batchSeen, { timeoutMs: 60000 }), "the upload started");
      fs.writeFileSync(path.join(env.root, "other.txt"), "written during the upload\n");
      fs.appendFileSync(second, "appended during the upload\n");
      // Read from /proc: node would only see the child's exit after these synchronous calls.
      const state = fs.readFileSync(`/proc/${sync.pid}/stat`, "utf8").split(") ")[1][0];
      assert.notEqual(state, "Z", "both writes were answered while the commit was still uploading");
      assert.equal(await exited, 0, "the fsync succeeded");
      for (const f of ["first.bin", "second.bin"])
        assert.deepEqual(await hubFileSha(env.hub, f), { sha: sha256(original), size: original.length }, `${f}: the bytes of the commit's start`);
      assert.equal(await hubFile(env.hub, "other.txt"), null, "a file written after the commit began waits for the next one");
      fsyncDir(env.root);
      const appended = Buffer.concat([original, Buffer.from("appended during the upload\n")]);
      assert.deepEqual(await hubFileSha(env.hub, "second.bin"), { sha: sha256(appended), size: appended.length });
      assert.equal(await hubFile(env.hub, "other.txt").then(String), "written during the upload\n");
    },
  );
});

describe("two mounts on one cache directory", () => {
  mountTest("a second mount never adopts the staging of a live one: no half-written file reaches the Hub", { files: [] }, async (env) => {
    const before = (await hubCommits(env.hub)).total;
    const big = path.join(env.root, "big.bin");
    const piece = Buffer.alloc(MiB, 0x42);
    const fd = fs.openSync(big, "w");
    try {
      fs.writeSync(fd, piece);
      fs.writeSync(fd, piece);
      // A second mount on the same cache while the file is half written.
      const second = env.mountHub({ cacheDir: env.cacheDir });
      await sleep(3000);  // a recovery would commit within this
      assert.equal((await hubCommits(env.hub)).total, before, "the second mount committed nothing of the first one's");
      assert.ok(fs.existsSync(path.join(env.root, "big.bin")), "the first mount still shows its file");
      // The second mount stages and commits on its own, side by side.
      fs.writeFileSync(path.join(env.branchDir(second), "other.txt"), "from the second mount\n");
      fsyncDir(env.branchDir(second));
      for (let i = 2; i < 8; i++) fs.writeSync(fd, piece);
    } finally {
      fs.closeSync(fd);
    }
    const ctl = readControl(env.root);
    assert.match(ctl.fields.staged, /^1 changes?, 8388608 bytes$/, `the first mount's staging is intact:\n${ctl.text}`);
    fsyncDir(env.root);
    assert.deepEqual(await hubFileSha(env.hub, "big.bin"), { sha: sha256(Buffer.alloc(8 * MiB, 0x42)), size: 8 * MiB });
    assert.equal(await hubFile(env.hub, "other.txt").then(String), "from the second mount\n");
    assert.equal((await hubCommits(env.hub)).total, before + 2, "one commit from each mount");
  });

  mountTest("the staging of a mount killed with -9 is recovered by the next mount on the cache, once, while another mount runs", { files: [] }, async (env) => {
    const other = env.mountHub({ cacheDir: env.cacheDir });  // a live mount that must not take it
    fs.writeFileSync(path.join(env.root, "orphan.txt"), "staged, then the mount died\n");
    const before = (await hubCommits(env.hub)).total;
    env.mount.kill9();
    await sleep(3000);
    assert.equal((await hubCommits(env.hub)).total, before, "the running mount left the dead one's staging alone");
    assert.ok(!fs.existsSync(path.join(env.branchDir(other), "orphan.txt")), "and does not show it");
    const next = env.mountHub({ cacheDir: env.cacheDir });
    assert.ok(await pollUntil(() => hubFile(env.hub, "orphan.txt").then((b) => b !== null), { timeoutMs: 60000 }),
              "the next mount commits the recovered change by itself");
    await sleep(2000);
    assert.equal((await hubCommits(env.hub)).total, before + 1, "exactly once");
    assert.ok(fs.existsSync(path.join(env.branchDir(next), "orphan.txt")));
  });
});
