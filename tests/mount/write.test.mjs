// The write path on a real FUSE mount against a running localhub: files are staged by ordinary
// tools (cp, shell redirections, node's fs), committed by fsync, and every result is checked on
// the Hub side through its HTTP API (commit list, tree listing, resolve downloads), never only
// through the mount. The contract under test: staging, one commit per fsync, LFS, conflicts,
// crash safety, outages, read-only places, repos and branches made by mkdir, the control file.
//
// Every test starts its own localhub and its own mount and always unmounts and stops them.
// On a failure, the hubfs logs and localhub's request log are kept under
// $TMPDIR/hubfs-write-test-logs/<test>/ (the error message names the folder).
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { api, gitBlobSha1, read } from "../harness/hubapi.mjs";
import { readLog } from "../harness/localhub.mjs";
import { sha256, sha256File } from "./fixture.mjs";
import {
  TOKEN, READER_TOKEN, USERS, REPO, CONTROL, MiB, bigSeedData, seedFiles, sleep, q, slug, pollUntil, randomFile, isMounted, encPath, getJson, hubCommits, hubHead, hubTree, hubRefs, resolveUrl, hubFile, hubFileSha, assertHubFiles, lfsUploadRequests, isErrno, fsyncDir, syncFile, readControl, control, hubfsUnmount, keepLogs, withEnv, mountTest, killHub,
} from "./write_env.mjs";

// =============================================================================================
// Tests
// =============================================================================================

describe("committing new files", () => {
  mountTest(
    "cp -r of 20 text files in folders and a 200 MB binary, then fsync of the branch folder: one commit, byte-equal files, the binary in LFS",
    { files: [] },
    async (env) => {
      const src = path.join(env.work, "src");
      const expected = {};
      const dirs = ["", "docs", "docs/guide", "src/pkg/mod", "config"];
      for (let i = 0; i < 20; i++) {
        const rel = path.posix.join(dirs[i % dirs.length], i === 7 ? "with space.txt" : `file-${i}.txt`);
        const text = `file number ${i}\n${"lorem ipsum ".repeat(i * 5)}\n`;
        fs.mkdirSync(path.dirname(path.join(src, rel)), { recursive: true });
        fs.writeFileSync(path.join(src, rel), text);
        expected[rel] = Buffer.from(text);
      }
      fs.mkdirSync(path.join(src, "data"), { recursive: true });
      const bigSha = randomFile(path.join(src, "data/random.bin"), 200 * MiB);
      const before = await hubCommits(env.hub);

      execFileSync("cp", ["-r", src, path.join(env.root, "upload")], { timeout: 120000 });
      assert.equal((await hubCommits(env.hub)).total, before.total, "writing alone commits nothing");
      assert.equal(sha256File(path.join(env.root, "upload/data/random.bin")), bigSha, "the mount reads the staged binary back");
      fsyncDir(env.root);

      const after = await hubCommits(env.hub);
      assert.equal(after.total, before.total + 1, "exactly one new commit");
      const tree = await hubTree(env.hub);
      const uploaded = [...tree.keys()].filter((p) => p.startsWith("upload/")).sort();
      assert.deepEqual(uploaded, [...Object.keys(expected).map((p) => `upload/${p}`), "upload/data/random.bin"].sort());
      for (const [rel, data] of Object.entries(expected)) {
        const e = tree.get(`upload/${rel}`);
        assert.equal(e.lfs, undefined, `${rel} is a small text file, not LFS`);
        assert.equal(e.oid, gitBlobSha1(data), `git blob of ${rel}`);
      }
      await assertHubFiles(env.hub, Object.fromEntries(Object.entries(expected).map(([p, d]) => [`upload/${p}`, d])));
      const big = tree.get("upload/data/random.bin");
      assert.ok(big.lfs, "the 200 MB binary is an LFS file");
      assert.equal(big.lfs.oid, bigSha);
      assert.equal(big.lfs.size, 200 * MiB);
      assert.deepEqual(await hubFileSha(env.hub, "upload/data/random.bin"), { sha: bigSha, size: 200 * MiB });
      assert.equal(sha256File(path.join(env.root, "upload/data/random.bin")), bigSha, "the mount still reads it after the commit");
    },
    600000,
  );

  mountTest("1,000 small files written, then one fsync: exactly one commit holding all 1,000", { files: [] }, async (env) => {
    const before = await hubCommits(env.hub);
    const expected = new Map();
    for (let d = 0; d < 10; d++) {
      fs.mkdirSync(path.join(env.root, "many", `d${d}`), { recursive: true });
      for (let f = 0; f < 100; f++) {
        const rel = `many/d${d}/f${String(f).padStart(3, "0")}.txt`;
        const data = Buffer.from(`small file ${d}/${f}\n`);
        fs.writeFileSync(path.join(env.root, rel), data);
        expected.set(rel, data);
      }
    }
    assert.equal(fs.readdirSync(path.join(env.root, "many/d3")).length, 100, "the mount lists the staged files");
    syncFile(path.join(env.root, "many/d9/f099.txt"));

    const after = await hubCommits(env.hub);
    assert.equal(after.total, before.total + 1, "exactly one new commit");
    const tree = await hubTree(env.hub, REPO, "main", "many");
    assert.equal(tree.size, 1000, "1,000 files on the Hub");
    for (const [rel, data] of expected) {
      const e = tree.get(rel);
      assert.ok(e, `${rel} is on the Hub`);
      assert.equal(e.oid, gitBlobSha1(data), `content of ${rel}`);
    }
    await assertHubFiles(env.hub, { "many/d0/f000.txt": "small file 0/0\n", "many/d9/f099.txt": "small file 9/99\n" });
  });

  mountTest("unmount commits what is still staged", { files: [] }, async (env) => {
    const before = await hubCommits(env.hub);
    fs.writeFileSync(path.join(env.root, "at-unmount.txt"), "committed by the unmount\n");
    env.mount.unmount();  // hubfs unmount waits for the pending commit
    await assertHubFiles(env.hub, { "at-unmount.txt": "committed by the unmount\n" });
    assert.equal((await hubCommits(env.hub)).total, before.total + 1);
  });

  mountTest("--commit-interval commits staged changes without any fsync", { files: [], mountArgs: ["--commit-interval", "2"] }, async (env) => {
    const before = await hubCommits(env.hub);
    fs.writeFileSync(path.join(env.root, "periodic.txt"), "committed by the timer\n");
    const landed = await pollUntil(async () => (await hubFile(env.hub, "periodic.txt")) !== null, { timeoutMs: 30000 });
    assert.ok(landed, "periodic.txt reached the Hub within 30 s without fsync");
    await assertHubFiles(env.hub, { "periodic.txt": "committed by the timer\n" });
    assert.ok((await hubCommits(env.hub)).total > before.total);
  });

  mountTest(
    "--commit-message fills {summary}, {count} and {branch}",
    { files: [], mountArgs: ["--commit-message", "hubfs: {summary} ({count} on {branch})"] },
    async (env) => {
      fs.writeFileSync(path.join(env.root, "one.txt"), "1\n");
      fs.writeFileSync(path.join(env.root, "two.txt"), "2\n");
      syncFile(path.join(env.root, "two.txt"));
      const { list } = await hubCommits(env.hub);
      assert.match(list[0].title, /^hubfs: .+ \(2 on main\)$/);
    },
  );
});

describe("editing existing files", () => {
  mountTest("random writes in place in a text file and in an LFS file, fsync on the written fd", {}, async (env) => {
    const before = await hubCommits(env.hub);
    let fd = fs.openSync(path.join(env.root, "a.txt"), "r+");
    fs.writeSync(fd, "XYZ", 4);
    assert.equal(fs.readFileSync(path.join(env.root, "a.txt"), "utf8"), "0123XYZ789abcdef\n", "the mount reads the staged write at once");
    fs.closeSync(fd);

    const patch = Buffer.alloc(4096, 0xab);
    const big = Buffer.from(bigSeedData());
    patch.copy(big, 10 * MiB + 123);
    fd = fs.openSync(path.join(env.root, "big.bin"), "r+");
    fs.writeSync(fd, patch, 0, patch.length, 10 * MiB + 123);
    assert.equal(fs.fstatSync(fd).size, 24 * MiB, "a write in the middle keeps the size");
    fs.fsyncSync(fd);
    fs.closeSync(fd);

    assert.equal((await hubCommits(env.hub)).total, before.total + 1, "one commit");
    await assertHubFiles(env.hub, { "a.txt": "0123XYZ789abcdef\n", "b.txt": "bravo\n" });
    const tree = await hubTree(env.hub);
    assert.equal(tree.get("big.bin").lfs?.oid, sha256(big), "big.bin's new LFS object");
    assert.deepEqual(await hubFileSha(env.hub, "big.bin"), { sha: sha256(big), size: big.length });
    assert.equal(sha256File(path.join(env.root, "big.bin")), sha256(big));
  });

  mountTest("append to a text file, then sync FILE", {}, async (env) => {
    const f = path.join(env.root, "b.txt");
    const fd = fs.openSync(f, "a");
    fs.writeSync(fd, "appended line\n");
    fs.closeSync(fd);
    fs.appendFileSync(f, "and another\n");
    assert.equal(fs.readFileSync(f, "utf8"), "bravo\nappended line\nand another\n");
    const before = await hubCommits(env.hub);
    syncFile(f);
    assert.equal((await hubCommits(env.hub)).total, before.total + 1);
    await assertHubFiles(env.hub, { "b.txt": "bravo\nappended line\nand another\n", "a.txt": "0123456789abcdef\n" });
  });

  mountTest("truncate shorter, longer and to zero", {}, async (env) => {
    fs.truncateSync(path.join(env.root, "a.txt"), 4);
    fs.truncateSync(path.join(env.root, "b.txt"), 10);
    fs.truncateSync(path.join(env.root, "c.txt"), 0);
    assert.equal(fs.statSync(path.join(env.root, "b.txt")).size, 10);
    syncFile(path.join(env.root, "a.txt"));
    await assertHubFiles(env.hub, {
      "a.txt": "0123",
      "b.txt": Buffer.concat([Buffer.from("bravo\n"), Buffer.alloc(4)]),
      "c.txt": "",
    });
    assert.equal((await hubTree(env.hub)).get("c.txt")?.size, 0, "c.txt is an empty file on the Hub");
  });

  mountTest("rename a file, and move one into another folder", {}, async (env) => {
    fs.renameSync(path.join(env.root, "a.txt"), path.join(env.root, "renamed.txt"));
    fs.renameSync(path.join(env.root, "b.txt"), path.join(env.root, "dir/sub/b-moved.txt"));
    assert.ok(!fs.existsSync(path.join(env.root, "a.txt")));
    assert.equal(fs.readFileSync(path.join(env.root, "renamed.txt"), "utf8"), "0123456789abcdef\n");
    const before = await hubCommits(env.hub);
    fsyncDir(env.root);
    assert.equal((await hubCommits(env.hub)).total, before.total + 1);
    await assertHubFiles(env.hub, {
      "a.txt": null,
      "b.txt": null,
      "renamed.txt": "0123456789abcdef\n",
      "dir/sub/b-moved.txt": "bravo\n",
      "dir/sub/y.txt": "y in dir/sub\n",
    });
  });

  mountTest("rename onto an existing file replaces it, text over text and LFS over text: one commit, the Hub has the new bytes under the old name", {}, async (env) => {
    const r = (p) => path.join(env.root, p);
    fs.writeFileSync(r("new-c.txt"), "the new charlie\n");
    fs.renameSync(r("new-c.txt"), r("c.txt"));  // onto a committed text file
    fs.renameSync(r("big.bin"), r("dir/x.txt"));  // an LFS file onto a committed text file
    assert.equal(fs.readFileSync(r("c.txt"), "utf8"), "the new charlie\n");
    assert.equal(sha256(fs.readFileSync(r("dir/x.txt"))), sha256(bigSeedData()));
    assert.ok(!fs.existsSync(r("new-c.txt")) && !fs.existsSync(r("big.bin")));
    const before = await hubCommits(env.hub);
    fsyncDir(env.root);
    assert.equal((await hubCommits(env.hub)).total, before.total + 1, "one commit");
    await assertHubFiles(env.hub, { "c.txt": "the new charlie\n", "new-c.txt": null, "big.bin": null, "dir/x.txt": bigSeedData(), "a.txt": "0123456789abcdef\n" });
    assert.equal((await hubTree(env.hub)).get("dir/x.txt")?.lfs?.oid, sha256(bigSeedData()), "dir/x.txt is the LFS object now");
  });

  mountTest("a subfolder of an untouched branch lists its files (what a folder rename copies)", {}, async (env) => {
    assert.deepEqual(fs.readdirSync(path.join(env.root, "dir")).sort(), ["sub", "x.txt"]);
    assert.deepEqual(fs.readdirSync(path.join(env.root, "dir/sub")), ["y.txt"]);
  });

  mountTest("rename a folder with a subfolder", {}, async (env) => {
    fs.renameSync(path.join(env.root, "dir"), path.join(env.root, "moved"));
    assert.deepEqual(fs.readdirSync(path.join(env.root, "moved")).sort(), ["sub", "x.txt"]);
    assert.ok(!fs.readdirSync(env.root).includes("dir"));
    syncFile(path.join(env.root, "moved/x.txt"));
    const tree = await hubTree(env.hub);
    assert.deepEqual([...tree.keys()].filter((p) => p.startsWith("dir/")), [], "nothing left under dir/");
    await assertHubFiles(env.hub, { "moved/x.txt": "x in dir\n", "moved/sub/y.txt": "y in dir/sub\n" });
  });

  mountTest("delete a file and a folder tree (rm -r)", {}, async (env) => {
    fs.rmSync(path.join(env.root, "gone.txt"));
    fs.rmSync(path.join(env.root, "gonedir"), { recursive: true });
    assert.ok(!fs.existsSync(path.join(env.root, "gonedir")));
    const before = await hubCommits(env.hub);
    fsyncDir(env.root);
    assert.equal((await hubCommits(env.hub)).total, before.total + 1);
    const tree = await hubTree(env.hub);
    assert.ok(!tree.has("gone.txt"), "gone.txt deleted on the Hub");
    assert.deepEqual([...tree.keys()].filter((p) => p.startsWith("gonedir/")), [], "nothing left under gonedir/");
    assert.ok(tree.has("a.txt") && tree.has("dir/sub/y.txt") && tree.has("big.bin"), "the rest is untouched");
  });

  mountTest("renaming an LFS file into a new folder uploads no bytes", {}, async (env) => {
    const bigSha = sha256(bigSeedData());
    const since = readLog(env.hub.logFile).length;
    fs.mkdirSync(path.join(env.root, "weights"));
    fs.renameSync(path.join(env.root, "big.bin"), path.join(env.root, "weights/big.bin"));
    fsyncDir(env.root);
    const uploads = lfsUploadRequests(env.hub, since);
    assert.deepEqual(uploads, [], "no LFS batch call and no upload to the blob host");
    const tree = await hubTree(env.hub);
    assert.ok(!tree.has("big.bin"));
    assert.equal(tree.get("weights/big.bin")?.lfs?.oid, bigSha, "the same LFS object under its new name");
    assert.deepEqual(await hubFileSha(env.hub, "weights/big.bin"), { sha: bigSha, size: 24 * MiB });
  });

  mountTest("every kind of edit at once, one fsync: one commit with exactly the expected tree", {}, async (env) => {
    const r = (p) => path.join(env.root, p);
    const expected = new Map();
    for (const [p, e] of await hubTree(env.hub)) expected.set(p, e.lfs ? { sha: e.lfs.oid } : await hubFile(env.hub, p));
    const before = await hubCommits(env.hub);

    fs.writeFileSync(r("n.txt"), "new at the root\n");
    expected.set("n.txt", Buffer.from("new at the root\n"));
    fs.mkdirSync(r("new/deep"), { recursive: true });
    fs.writeFileSync(r("new/deep/n.txt"), "new in new folders\n");
    expected.set("new/deep/n.txt", Buffer.from("new in new folders\n"));
    const fd = fs.openSync(r("a.txt"), "r+");
    fs.writeSync(fd, "__", 0);
    fs.closeSync(fd);
    expected.set("a.txt", Buffer.from("__23456789abcdef\n"));
    fs.appendFileSync(r("b.txt"), "+\n");
    expected.set("b.txt", Buffer.from("bravo\n+\n"));
    fs.truncateSync(r("c.txt"), 3);
    expected.set("c.txt", Buffer.from("cha"));
    fs.renameSync(r("dir"), r("dir2"));
    expected.set("dir2/x.txt", expected.get("dir/x.txt"));
    expected.set("dir2/sub/y.txt", expected.get("dir/sub/y.txt"));
    expected.delete("dir/x.txt");
    expected.delete("dir/sub/y.txt");
    fs.renameSync(r("big.bin"), r("dir2/big.bin"));
    expected.set("dir2/big.bin", expected.get("big.bin"));
    expected.delete("big.bin");
    fs.rmSync(r("gone.txt"));
    expected.delete("gone.txt");
    fs.rmSync(r("gonedir"), { recursive: true });
    expected.delete("gonedir/1.txt");
    expected.delete("gonedir/deeper/2.txt");
    fs.writeFileSync(r("replaced.txt"), "first version\n");
    fs.writeFileSync(r("replaced.txt"), "second version\n");
    expected.set("replaced.txt", Buffer.from("second version\n"));
    fs.writeFileSync(r("temp.txt"), "created and deleted before the commit\n");
    fs.rmSync(r("temp.txt"));

    fsyncDir(env.root);
    assert.equal((await hubCommits(env.hub)).total, before.total + 1, "exactly one new commit");
    const tree = await hubTree(env.hub);
    assert.deepEqual([...tree.keys()].sort(), [...expected.keys()].sort(), "the Hub's file list");
    for (const [p, want] of expected) {
      if (Buffer.isBuffer(want)) assert.equal(tree.get(p).oid, gitBlobSha1(want), `content of ${p}`);
      else assert.equal(tree.get(p).lfs?.oid, want.sha, `LFS object of ${p}`);
    }
  });
});

describe("crashes and outages", () => {
  mountTest(
    "kill -9 of the daemon before fsync, fusermount3 -u, remount on the same cache: the staged changes come back and are committed",
    {},
    async (env, t) => {
      const r = (p) => path.join(env.root, p);
      const binSha = randomFile(path.join(env.work, "blob.bin"), 5 * MiB);
      const before = await hubCommits(env.hub);
      fs.writeFileSync(r("new.txt"), "staged before the crash\n");
      fs.mkdirSync(r("newdir"));
      fs.writeFileSync(r("newdir/deep.txt"), "deep, staged before the crash\n");
      fs.appendFileSync(r("a.txt"), "appended before the crash\n");
      fs.rmSync(r("b.txt"));
      execFileSync("cp", [path.join(env.work, "blob.bin"), r("blob.bin")], { timeout: 120000 });

      assert.ok(env.mount.pid > 0, "the fixture knows the daemon's pid");
      const mp = env.mount.mountpoint;
      env.mount.kill9();  // SIGKILL, then fusermount3 -u of the dead mount
      assert.ok(await pollUntil(() => !isMounted(mp), { timeoutMs: 10000 }), "the dead mount is gone");
      assert.equal((await hubCommits(env.hub)).total, before.total, "nothing was committed before the crash");

      const again = env.mountHub({ cacheDir: env.cacheDir });
      const root2 = env.branchDir(again);
      assert.equal(fs.readFileSync(path.join(root2, "new.txt"), "utf8"), "staged before the crash\n");
      assert.equal(fs.readFileSync(path.join(root2, "newdir/deep.txt"), "utf8"), "deep, staged before the crash\n");
      assert.equal(fs.readFileSync(path.join(root2, "a.txt"), "utf8"), "0123456789abcdef\nappended before the crash\n");
      assert.ok(!fs.existsSync(path.join(root2, "b.txt")), "the deletion is still staged");
      assert.equal(sha256File(path.join(root2, "blob.bin")), binSha);

      // Committed in the background at start-up, by itself, exactly once.
      const landed = () => hubFile(env.hub, "newdir/deep.txt").then((b) => b !== null);
      assert.ok(await pollUntil(landed, { timeoutMs: 60000 }), "the recovered changes are committed without a sync");
      await sleep(2000);  // a replay that commits twice would land by now
      assert.equal((await hubCommits(env.hub)).total, before.total + 1, "exactly one commit carries the recovered changes");
      await assertHubFiles(env.hub, {
        "new.txt": "staged before the crash\n",
        "newdir/deep.txt": "deep, staged before the crash\n",
        "a.txt": "0123456789abcdef\nappended before the crash\n",
        "b.txt": null,
        "c.txt": "charlie\n",
      });
      assert.deepEqual(await hubFileSha(env.hub, "blob.bin"), { sha: binSha, size: 5 * MiB });
      assert.equal((await hubTree(env.hub)).get("blob.bin")?.lfs?.oid, binSha, "blob.bin is in LFS");
    },
  );

  mountTest(
    "localhub killed during a 100 MB upload and restarted on the same port and data: the commit lands later, nothing lost",
    // Every response waits 500 ms, so an upload is still in flight right after its LFS batch call
    // (--bandwidth only paces response bodies, not uploads).
    { files: [{ path: "keep.txt", data: Buffer.from("kept\n") }], hubArgs: ["--latency-ms", "500"] },
    async (env, t) => {
      const src = path.join(env.work, "big100.bin");
      const bigSha = randomFile(src, 100 * MiB);
      const before = await hubCommits(env.hub);
      const port = env.hub.port;
      const url = env.hub.url;
      fs.writeFileSync(path.join(env.root, "note.txt"), "staged with the big one\n");
      const since = readLog(env.hub.logFile).length;
      execFileSync("cp", [src, path.join(env.root, "big100.bin")], { timeout: 120000 });

      // fsync in a child process, so this test can kill localhub while it runs.
      const syncer = spawn("sync", [path.join(env.root, "big100.bin")], { stdio: ["ignore", "ignore", "pipe"] });
      let syncErr = "";
      syncer.stderr.on("data", (d) => (syncErr += d));
      let syncExit = null;
      const syncDone = new Promise((res) => syncer.on("exit", (code, signal) => res((syncExit = { code, signal }))));
      try {
        const started = await pollUntil(
          () => readLog(env.hub.logFile).slice(since).some((r) => /\/info\/lfs\/objects\/batch$/.test(r.path.split("?")[0]) || r.host === "blob"),
          { timeoutMs: 90000, intervalMs: 20 },
        );
        assert.ok(started, "the LFS upload started");
        await killHub(env.hub);
        const killedAt = Date.now();
        const seen = readLog(env.hub.logFile);
        const blobDone = seen.slice(since).filter((r) => r.host === "blob");
        t.diagnostic(`localhub killed after ${blobDone.length} finished blob-host requests (${blobDone.map((r) => r.method + " " + r.status).join(", ")})`);
        assert.ok(fs.existsSync(env.dataDir), "localhub's data survives");
        assert.ok(!seen.slice(since).some((r) => r.method === "POST" && /\/commit\//.test(r.path)), "localhub died before the commit call");

        // While the Hub is away the staged files stay readable, and the fsync reports failure.
        assert.equal(fs.readFileSync(path.join(env.root, "note.txt"), "utf8"), "staged with the big one\n");
        await Promise.race([syncDone, sleep(30000)]);
        t.diagnostic(syncExit ? `sync FILE exited ${syncExit.code} ${Date.now() - killedAt} ms after the kill: ${syncErr.trim()}` : "sync FILE still running 30 s after the kill");

        await env.startHub({ args: ["--port", String(port)] });
        assert.equal(env.hub.url, url, "restarted on the same port");
        const landed = await pollUntil(async () => (await hubTree(env.hub)).get("big100.bin")?.lfs?.oid === bigSha, {
          timeoutMs: 60000,
          intervalMs: 1000,
        });
        assert.ok(landed, "big100.bin reached the Hub within 60 s of the restart (background retry)");
        t.diagnostic(`the commit landed ${Date.now() - killedAt} ms after the kill`);
        assert.deepEqual(await hubFileSha(env.hub, "big100.bin"), { sha: bigSha, size: 100 * MiB });
        await assertHubFiles(env.hub, { "note.txt": "staged with the big one\n", "keep.txt": "kept\n" });
        assert.equal((await hubCommits(env.hub)).total, before.total + 1, "one commit");
        await Promise.race([syncDone, sleep(30000)]);
        assert.ok(syncExit, "sync FILE returned");
        assert.notEqual(syncExit.code, 0, `fsync while the Hub was down reports an error (sync said: ${syncErr.trim()})`);
        assert.match(syncErr, /Input\/output error/, "the error is EIO");
        assert.equal(sha256File(path.join(env.root, "big100.bin")), bigSha, "the mount reads the file right");
      } finally {
        if (!syncExit) syncer.kill("SIGKILL");
        await syncDone;
      }
    },
    300000,
  );
});

describe("concurrent commits to the same branch", () => {
  mountTest("an upstream commit to another path is rebased over: fsync succeeds, the Hub has both", {}, async (env) => {
    assert.equal(fs.readFileSync(path.join(env.root, "a.txt"), "utf8"), "0123456789abcdef\n");  // the mount knows main
    fs.writeFileSync(path.join(env.root, "a.txt"), "mine\n");
    fs.writeFileSync(path.join(env.root, "mine-new.txt"), "new from the mount\n");
    const before = await hubCommits(env.hub);
    await env.client.commit(REPO, [{ path: "b.txt", data: Buffer.from("theirs\n") }], { summary: "upstream change to b.txt" });
    fsyncDir(env.root);

    const after = await hubCommits(env.hub);
    assert.equal(after.total, before.total + 2, "the upstream commit and the mount's");
    assert.equal(after.list[1].title, "upstream change to b.txt", "the mount's commit sits on top of the upstream one");
    await assertHubFiles(env.hub, { "a.txt": "mine\n", "mine-new.txt": "new from the mount\n", "b.txt": "theirs\n" });
  });

  mountTest(
    "an upstream commit to the same path: fsync fails with ESTALE, the data stays staged, `branch rescue` saves it",
    {},
    async (env) => {
      const baseSha = await hubHead(env.hub);
      assert.equal(fs.readFileSync(path.join(env.root, "a.txt"), "utf8"), "0123456789abcdef\n");
      fs.writeFileSync(path.join(env.root, "a.txt"), "mine\n");
      await env.client.commit(
        REPO,
        [
          { path: "a.txt", data: Buffer.from("theirs\n") },
          { path: "upstream-only.txt", data: Buffer.from("upstream\n") },
        ],
        { summary: "upstream change to a.txt" },
      );
      const upstream = await hubCommits(env.hub);

      assert.throws(() => fsyncDir(env.root), isErrno("ESTALE"));
      assert.equal((await hubCommits(env.hub)).total, upstream.total, "nothing committed to main");
      await assertHubFiles(env.hub, { "a.txt": "theirs\n" });
      assert.equal(fs.readFileSync(path.join(env.root, "a.txt"), "utf8"), "mine\n", "the staged data is still readable");
      const ctl = readControl(env.root);
      assert.ok("conflicts" in ctl.fields, `the control file lists conflicts:\n${ctl.text}`);
      assert.ok(ctl.fields.conflicts.split(/\s+/).includes("a.txt"), `a.txt is a conflict:\n${ctl.text}`);

      control(env.root, "branch rescue");
      const refs = await hubRefs(env.hub);
      const rescue = refs.branches.find((b) => b.name === "rescue");
      assert.ok(rescue, `branch rescue exists: ${JSON.stringify(refs.branches)}`);
      await assertHubFiles(env.hub, { "a.txt": "mine\n", "upstream-only.txt": null, "b.txt": "bravo\n" }, { rev: "rescue" });
      const rescueCommits = await hubCommits(env.hub, REPO, "rescue");
      const mainCommits = await hubCommits(env.hub);
      assert.equal(rescueCommits.list[1]?.id, baseSha, "rescue's commit sits on the staged changes' base");
      assert.equal(mainCommits.total, upstream.total, "main is untouched");
      await assertHubFiles(env.hub, { "a.txt": "theirs\n", "upstream-only.txt": "upstream\n" });
    },
  );
});

describe("read-only places and rights", () => {
  function assertReadOnly(dir, label) {
    const p = (x) => path.join(dir, x);
    const erofs = { code: "EROFS" };
    assert.throws(() => fs.writeFileSync(p("new.txt"), "x"), erofs, `${label}: create`);
    assert.throws(() => fs.openSync(p("a.txt"), "r+"), erofs, `${label}: open for writing`);
    assert.throws(() => fs.appendFileSync(p("a.txt"), "x"), erofs, `${label}: append`);
    assert.throws(() => fs.writeFileSync(p("a.txt"), "x"), erofs, `${label}: overwrite`);
    assert.throws(() => fs.truncateSync(p("a.txt"), 1), erofs, `${label}: truncate`);
    assert.throws(() => fs.unlinkSync(p("a.txt")), erofs, `${label}: unlink`);
    assert.throws(() => fs.mkdirSync(p("newdir")), erofs, `${label}: mkdir`);
    assert.throws(() => fs.rmdirSync(p("dir/sub")), /EROFS|ENOTEMPTY/, `${label}: rmdir`);
    assert.throws(() => fs.renameSync(p("a.txt"), p("a2.txt")), erofs, `${label}: rename`);
    assert.throws(() => fs.renameSync(p("dir"), p("dir2")), erofs, `${label}: rename a folder`);
    assert.equal(fs.readFileSync(p("a.txt"), "utf8"), "0123456789abcdef\n", `${label}: still readable`);
  }

  /** "file 0444, folder 0555"-style summary of the modes a revision folder shows. */
  function modesOf(dir) {
    const m = (p) => (fs.statSync(path.join(dir, p)).mode & 0o777).toString(8).padStart(4, "0");
    return `file ${m("a.txt")}, folder ${m("dir")}`;
  }

  mountTest("a tag, a full and a short commit sha, and a pull request are EROFS and show 0444/0555; branches show 0644/0755", {}, async (env) => {
    const head = await hubHead(env.hub);
    await env.client.json("POST", `/api/models/${REPO}/tag/main`, { tag: "v1.0" });
    await env.client.commit(REPO, [{ path: "pr.txt", data: Buffer.from("pr\n") }], { createPr: true, summary: "a pr" });
    const before = await hubCommits(env.hub);
    const readOnly = { "tag v1.0": "v1.0", "full sha": head, "short sha": head.slice(0, 10), "refs/pr/1": "refs%2Fpr%2F1" };
    for (const [label, rev] of Object.entries(readOnly)) assertReadOnly(env.branchDir(env.mount, rev), label);
    assert.equal((await hubCommits(env.hub)).total, before.total, "no commit");
    const refs = await hubRefs(env.hub);
    assert.equal(refs.tags.find((t) => t.name === "v1.0")?.targetCommit, head, "the tag did not move");

    const modes = { main: modesOf(env.root), "@main": modesOf(env.branchDir(env.mount, "main")) };
    const want = { main: "file 0644, folder 0755", "@main": "file 0644, folder 0755" };
    for (const [label, rev] of Object.entries(readOnly)) {
      modes[label] = modesOf(env.branchDir(env.mount, rev));
      want[label] = "file 0444, folder 0555";
    }
    assert.deepEqual(modes, want, "modes: writable in branches, read-only elsewhere");
  });

  mountTest("--read-only makes a branch EROFS", { mountArgs: ["--read-only"] }, async (env) => {
    assertReadOnly(env.root, "--read-only main");
    assertReadOnly(env.branchDir(env.mount, "main"), "--read-only @main");
    assert.throws(() => fs.mkdirSync(path.join(env.mount.mountpoint, "models/alice/newrepo")), { code: "EROFS" }, "mkdir of a repo");
  });

  mountTest("a read-only token makes the mount read-only: EROFS at the first write, nothing reaches the Hub", { token: READER_TOKEN }, async (env) => {
    const before = await hubCommits(env.hub);
    assertReadOnly(env.root, "reader's main");
    assert.equal((await hubCommits(env.hub)).total, before.total, "nothing reached the Hub");
    await assertHubFiles(env.hub, { "new.txt": null });
  });
});

describe("repositories and branches", () => {
  mountTest("mkdir of a repository folder creates a private repository", {}, async (env) => {
    const dir = path.join(env.mount.mountpoint, "models/alice/fresh");
    fs.mkdirSync(dir);
    const info = (await getJson(env.hub, "/api/models/alice/fresh")).json;
    assert.equal(info.id, "alice/fresh");
    assert.equal(info.private, true, "private by default");
    const anon = await fetch(`${env.hub.url}/api/models/alice/fresh`);
    await anon.arrayBuffer();
    assert.notEqual(anon.status, 200, "hidden from anonymous callers");
    assert.ok(fs.statSync(dir).isDirectory());
    fs.writeFileSync(path.join(dir, "hello.txt"), "in a repo made by mkdir\n");
    syncFile(path.join(dir, "hello.txt"));
    await assertHubFiles(env.hub, { "hello.txt": "in a repo made by mkdir\n" }, { repo: "alice/fresh" });
  });

  mountTest("mkdir NAME@feature creates a branch, rmdir of it once emptied deletes it, rmdir of the repo is EPERM", {}, async (env) => {
    const head = await hubHead(env.hub);
    const feature = env.branchDir(env.mount, "feature");
    fs.mkdirSync(feature);
    let refs = await hubRefs(env.hub);
    assert.equal(refs.branches.find((b) => b.name === "feature")?.targetCommit, head, "feature starts at main's head");
    assert.ok(fs.readdirSync(feature).includes("a.txt"), "the branch folder shows main's files");

    assert.throws(() => fs.rmdirSync(feature), { code: "ENOTEMPTY" }, "a branch with files is not removed");
    assert.ok((await hubRefs(env.hub)).branches.some((b) => b.name === "feature"));

    for (const e of fs.readdirSync(feature)) fs.rmSync(path.join(feature, e), { recursive: true });
    assert.deepEqual(fs.readdirSync(feature), []);
    fs.rmdirSync(feature);
    refs = await hubRefs(env.hub);
    assert.ok(!refs.branches.some((b) => b.name === "feature"), `feature deleted: ${JSON.stringify(refs.branches)}`);
    assert.equal(await hubHead(env.hub), head, "main did not move");
    assert.equal((await hubTree(env.hub)).size, seedFiles().length + 1, "main keeps its files (+ .gitattributes)");

    assert.throws(() => fs.rmdirSync(env.root), { code: "EPERM" });
    assert.ok((await getJson(env.hub, `/api/models/${REPO}`)).json.id === REPO, "the repository still exists");
  });
});

describe("branches", () => {
  mountTest("two branches staged, then one fsync each: each commit holds only its own branch's change", {}, async (env) => {
    await env.client.json("POST", `/api/models/${REPO}/branch/other`, {});
    const main = env.root;
    const other = env.branchDir(env.mount, "other");
    fs.writeFileSync(path.join(main, "on-main.txt"), "main's change\n");
    fs.writeFileSync(path.join(other, "on-other.txt"), "other's change\n");
    const [mainBefore, otherBefore] = [await hubCommits(env.hub), await hubCommits(env.hub, REPO, "other")];
    fsyncDir(main);
    assert.equal((await hubCommits(env.hub)).total, mainBefore.total + 1, "fsync of main: one commit on main");
    assert.equal((await hubCommits(env.hub, REPO, "other")).total, otherBefore.total, "other untouched by main's fsync");
    await assertHubFiles(env.hub, { "on-main.txt": "main's change\n", "on-other.txt": null });
    await assertHubFiles(env.hub, { "on-other.txt": null, "on-main.txt": null }, { rev: "other" });
    assert.match(readControl(other).fields.staged ?? "", /^1 change/, "other's change is still staged");
    syncFile(path.join(other, "on-other.txt"));
    assert.equal((await hubCommits(env.hub, REPO, "other")).total, otherBefore.total + 1, "fsync of other: one commit on other");
    assert.equal((await hubCommits(env.hub)).total, mainBefore.total + 1, "main untouched by other's fsync");
    await assertHubFiles(env.hub, { "on-other.txt": "other's change\n", "on-main.txt": null }, { rev: "other" });
    await assertHubFiles(env.hub, { "on-other.txt": null, "on-main.txt": "main's change\n" });
  });
});

describe("the .hubfs-commit control file", () => {
  mountTest("message and description, then commit: the Hub's commit carries them, `last:` is the new head", {}, async (env) => {
    const base = await hubHead(env.hub);
    assert.ok(!fs.readdirSync(env.root).includes(CONTROL), "the control file is not listed");
    control(env.root, "message hello");
    control(env.root, "description a longer explanation, written through the control file");
    fs.writeFileSync(path.join(env.root, "hello.txt"), "hello\n");

    let ctl = readControl(env.root);
    assert.equal(ctl.fields.repo, "models/alice/w");
    assert.equal(ctl.fields.branch, "main");
    assert.equal(ctl.fields.base, base);
    assert.match(ctl.fields.staged, /^1 changes?, 6 bytes$/);
    assert.equal(ctl.fields.message, "hello");
    assert.ok(ctl.changes.includes("add hello.txt 6"), `changes listed:\n${ctl.text}`);

    const before = await hubCommits(env.hub);
    control(env.root, "commit");
    const after = await hubCommits(env.hub);
    assert.equal(after.total, before.total + 1);
    assert.equal(after.list[0].title, "hello");
    assert.equal(after.list[0].message, "a longer explanation, written through the control file");
    await assertHubFiles(env.hub, { "hello.txt": "hello\n" });

    ctl = readControl(env.root);
    assert.equal(ctl.fields.last, await hubHead(env.hub), "last: is the Hub's head");
    assert.equal(ctl.fields.last, after.list[0].id);
    assert.match(ctl.fields.staged, /^0 changes?/);
  });

  mountTest("pr commits the staged changes as refs/pr/N and leaves main alone", {}, async (env) => {
    const head = await hubHead(env.hub);
    fs.writeFileSync(path.join(env.root, "proposal.txt"), "a proposal\n");
    control(env.root, "pr");
    const refs = await hubRefs(env.hub);
    const pr = (refs.pullRequests ?? []).find((p) => p.ref === "refs/pr/1");
    assert.ok(pr, `refs/pr/1 exists: ${JSON.stringify(refs.pullRequests)}`);
    await assertHubFiles(env.hub, { "proposal.txt": "a proposal\n", "a.txt": "0123456789abcdef\n" }, { rev: "refs/pr/1" });
    assert.equal(await hubHead(env.hub), head, "main did not move");
    await assertHubFiles(env.hub, { "proposal.txt": null });
    const last = readControl(env.root).fields.last;
    assert.ok(last === pr.targetCommit || /refs\/pr\/1/.test(last), `last: names the pull request (${last})`);
  });

  mountTest("discard drops every staged change", {}, async (env) => {
    fs.writeFileSync(path.join(env.root, "dropped.txt"), "never committed\n");
    fs.appendFileSync(path.join(env.root, "a.txt"), "never committed\n");
    fs.rmSync(path.join(env.root, "b.txt"));
    const before = await hubCommits(env.hub);
    control(env.root, "discard");
    assert.match(readControl(env.root).fields.staged, /^0 changes?/);
    fsyncDir(env.root);
    assert.equal((await hubCommits(env.hub)).total, before.total, "nothing to commit");
    await assertHubFiles(env.hub, { "dropped.txt": null, "a.txt": "0123456789abcdef\n", "b.txt": "bravo\n" });
    // The mount shows main again at once: no staged file lingers, no deletion either.
    assert.equal(fs.readFileSync(path.join(env.root, "a.txt"), "utf8"), "0123456789abcdef\n");
    assert.equal(fs.readFileSync(path.join(env.root, "b.txt"), "utf8"), "bravo\n");
    assert.ok(!fs.readdirSync(env.root).includes("dropped.txt"), "dropped.txt is not listed");
    assert.ok(!fs.existsSync(path.join(env.root, "dropped.txt")), "dropped.txt does not exist (stat)");
  });
});
