// Four files read at once (a data loader's pattern) on a real mount against localhub, counted in
// localhub's log: every byte is fetched once, in no more GETs than four streams alone would make
// (one stream alone is measured in the same test: 33 GETs for 64 MiB). With the budget shared
// (each window a quarter of it, in a quarter of the parallel GETs) four overlapping streams take
// 95 to 113; how the budget is split is proven exactly by the unit tests "streams read at once
// share the budget..." in tests/fs/read_ahead_test.cpp, which a count of requests racing on a
// mount cannot do. A fixed bound of a GET per 2 MiB failed in CI: streams that do not overlap
// (started a moment apart on a loaded machine) are each one stream alone, 4 x 33 = 132 GETs.
// localhub sends each connection at 20 MB/s so that the four streams overlap.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import { after, before, test } from "node:test";
import { settleLog, startLocalhub } from "../harness/localhub.mjs";
import { HubClient, mountHubfs, sha256 } from "./fixture.mjs";

const TOKEN = "hf_alice_token";
const MiB = 1 << 20;
const SIZE = 64 * MiB;
let hub, client, files;

before(async () => {
  hub = await startLocalhub({ users: [`alice:${TOKEN}:write`], args: ["--bandwidth", "20000000"] });
  client = new HubClient(hub.url, TOKEN);
  await client.createRepo("alice/shards");
  files = [0, 1, 2, 3, 4].map((i) => ({ path: `shard-${i}.bin`, data: crypto.randomBytes(SIZE), lfs: true }));
  await client.commit("alice/shards", files);
});

after(async () => {
  await hub?.stop();
});

// The sha256 of each file, read at once in 1 MiB reads (a loader's), all opened before any is read.
async function sha256All(paths) {
  const handles = await Promise.all(paths.map((p) => fs.promises.open(p)));
  try {
    return await Promise.all(handles.map(async (h) => {
      const hash = crypto.createHash("sha256");
      for await (const piece of h.createReadStream({ highWaterMark: MiB, autoClose: false })) hash.update(piece);
      return hash.digest("hex");
    }));
  } finally {
    await Promise.all(handles.map((h) => h.close()));
  }
}

// Reads the files at once; checks their bytes and returns the blob GETs localhub logged meanwhile.
async function readCounted(dir, some) {
  for (const f of some) execFileSync("stat", [`${dir}/${f.path}`]);  // the listing is not the reads' cost
  const since = (await settleLog(hub.logFile)).length;
  const sums = await sha256All(some.map((f) => `${dir}/${f.path}`));
  some.forEach((f, i) => assert.equal(sums[i], sha256(f.data), f.path));
  const log = await settleLog(hub.logFile);
  return log.slice(since).filter((r) => r.host === "blob");
}

test("four files read at once fetch each byte once in requests as large as one stream's", async () => {
  const m = mountHubfs(hub.url, { token: TOKEN });
  try {
    const dir = `${m.mountpoint}/models/alice/shards`;
    const alone = await readCounted(dir, [files[4]]);
    const gets = await readCounted(dir, files.slice(0, 4));
    const bytes = gets.reduce((n, r) => n + r.bytes, 0);
    const list = JSON.stringify(gets.map((r) => `${r.path.slice(-6)} ${r.range}`));
    assert.equal(bytes, 4 * SIZE, `each byte once: ${bytes} bytes fetched for ${4 * SIZE}: ${list}`);
    // As many GETs as four streams alone at most, give or take one each where the kernel's
    // read order puts a window's edge.
    assert.ok(gets.length <= 4 * (alone.length + 1), `${gets.length} GETs for 4 x ${SIZE / MiB} MiB, ${alone.length} for one alone: ${list}`);
  } finally {
    m.unmount();
  }
});
