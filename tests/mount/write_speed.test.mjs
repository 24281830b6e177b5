// What makes a commit through the mount quick (issue 17, writes), checked on a real mount against
// localhub by counting, never by timing: the preupload batches of a many-file commit go out in
// parallel (their spans in localhub's request log overlap), and an fsync whose commit carried the
// file does not first force its staged bytes to the local disk (the daemon's dirty pages of the
// staged file are dropped when the committed file leaves staging: /proc/PID/io's
// cancelled_write_bytes grows by them).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe } from "node:test";
import { readLog } from "../harness/localhub.mjs";
import { MiB, fsyncDir, hubFileSha, hubTree, mountTest, pollUntil, randomFile, syncFile } from "./write_env.mjs";

/** [start, end] in seconds of each request of the log matching `pred` (localhub logs a request when it ends). */
function spans(logFile, since, pred) {
  return readLog(logFile)
    .slice(since)
    .filter(pred)
    .map((r) => [r.ts - r.ms / 1000, r.ts]);
}

/** A field of /proc/PID/io of the daemon. */
function procIo(pid, field) {
  const line = fs.readFileSync(`/proc/${pid}/io`, "utf8").split("\n").find((l) => l.startsWith(`${field}:`));
  return Number(line.split(":")[1]);
}

describe("a commit's requests and disk writes", () => {
  mountTest(
    "the preupload batches of a 600-file commit are sent at once",
    // Every answer waits 100 ms: batches sent one after another cannot overlap.
    { files: [], hubArgs: ["--latency-ms", "100"] },
    async (env) => {
      const src = path.join(env.work, "many");
      fs.mkdirSync(src);
      for (let i = 0; i < 600; i++) fs.writeFileSync(path.join(src, `f${i}.txt`), `file ${i}\n`);
      execFileSync("cp", ["-r", src, env.root]);
      const since = readLog(env.hub.logFile).length;
      fsyncDir(env.root);
      const batches = spans(env.hub.logFile, since, (r) => r.method === "POST" && r.path.includes("/preupload/"));
      assert.equal(batches.length, 3, "600 files make three preupload batches (256 files each at most)");
      const lastStart = Math.max(...batches.map(([s]) => s));
      const firstEnd = Math.min(...batches.map(([, e]) => e));
      assert.ok(lastStart < firstEnd, `every batch was sent before the first answer came: ${JSON.stringify(batches)}`);
      assert.equal([...(await hubTree(env.hub)).keys()].filter((p) => p.startsWith("many/")).length, 600, "all 600 files landed");
    },
  );

  mountTest("sync of a file the commit carries does not write its staged bytes to the local disk first", { files: [] }, async (env) => {
    const src = path.join(env.work, "big.bin");
    const sha = randomFile(src, 64 * MiB);
    const file = path.join(env.root, "big.bin");
    execFileSync("cp", [src, file]);
    const cancelled = procIo(env.mount.pid, "cancelled_write_bytes");
    syncFile(file);
    assert.deepEqual(await hubFileSha(env.hub, "big.bin"), { sha, size: 64 * MiB }, "the file landed");
    // Its staged copy left staging with the commit; had the fsync synced it first, its pages
    // would have been clean, and nothing cancelled.
    const dropped = await pollUntil(() => {
      const n = procIo(env.mount.pid, "cancelled_write_bytes") - cancelled;
      return n >= 32 * MiB && n;  // the last close of the staged file may come a moment later
    }, { timeoutMs: 10000 }) || procIo(env.mount.pid, "cancelled_write_bytes") - cancelled;
    assert.ok(dropped >= 32 * MiB, `the staged file's dirty pages were dropped, not written: ${dropped} bytes cancelled`);
  });
});
