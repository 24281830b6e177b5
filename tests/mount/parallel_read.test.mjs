// Four files read at once (a data loader's pattern) on a real mount against localhub, counted in
// localhub's log: the streams share the read-ahead's budget (each window a quarter of it, in a
// quarter of the parallel GETs), so every byte is fetched once in requests as large as one
// stream's. When the first windows took the whole budget, the others got what freed up a chunk
// at a time: 161 to 189 GETs for 4 x 64 MiB in six runs of the old code (one MiB each, most),
// 104 to 109 with the budget shared.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import { after, before, test } from "node:test";
import { settleLog, startLocalhub } from "../harness/localhub.mjs";
import { HubClient, mountHubfs } from "./fixture.mjs";

const TOKEN = "hf_alice_token";
const MiB = 1 << 20;
const SIZE = 64 * MiB;
let hub, client, files;

before(async () => {
  hub = await startLocalhub({ users: [`alice:${TOKEN}:write`] });
  client = new HubClient(hub.url, TOKEN);
  await client.createRepo("alice/shards");
  files = [0, 1, 2, 3].map((i) => ({ path: `shard-${i}.bin`, data: crypto.randomBytes(SIZE), lfs: true }));
  await client.commit("alice/shards", files);
});

after(async () => {
  await hub?.stop();
});

test("four files read at once fetch each byte once in requests as large as one stream's", async () => {
  const m = mountHubfs(hub.url, { token: TOKEN });
  try {
    const dir = `${m.mountpoint}/models/alice/shards`;
    for (const f of files) execFileSync("stat", [`${dir}/${f.path}`]);  // the listing is not the reads' cost
    const since = (await settleLog(hub.logFile)).length;
    // Four `cat`s at once, each printing the sha256 of what it read.
    const out = execFileSync("bash", ["-c", `for i in 0 1 2 3; do sha256sum ${dir}/shard-$i.bin & done; wait`], { encoding: "utf8" });
    for (const f of files) {
      const sum = crypto.createHash("sha256").update(f.data).digest("hex");
      assert.ok(out.includes(`${sum}  ${dir}/${f.path}`), `${f.path}: ${out}`);
    }
    const log = await settleLog(hub.logFile);
    const gets = log.slice(since).filter((r) => r.host === "blob");
    const bytes = gets.reduce((n, r) => n + r.bytes, 0);
    const list = JSON.stringify(gets.map((r) => `${r.path.slice(-6)} ${r.range}`));
    assert.equal(bytes, 4 * SIZE, `each byte once: ${bytes} bytes fetched for ${4 * SIZE}: ${list}`);
    // A GET per 2 MiB at most on average (one stream: 2-6 MiB each), not per chunk.
    assert.ok(gets.length <= (4 * SIZE) / MiB / 2, `${gets.length} GETs for 4 x ${SIZE / MiB} MiB: ${list}`);
  } finally {
    m.unmount();
  }
});
