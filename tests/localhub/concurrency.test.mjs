// Concurrent commits to one branch are serialized: none is lost, none is merged away.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";

import { startLocalhub } from "../harness/localhub.mjs";
import { api, read, describe, createRepo, headSha, commit, fileOp, allPages, uploadLfs, lfsOp, gitBlobSha1 } from "../harness/hubapi.mjs";

const ALICE = "hf_alice_concurrency";
let hub;

before(async () => {
  hub = await startLocalhub({ users: [`alice:${ALICE}:write`] });
});
after(async () => hub?.stop());

async function history(repo, rev = "main") {
  const { items } = await allPages(hub, `/api/models/${repo}/commits/${rev}`, ALICE);
  return items;
}

test("20 parallel commits without parentCommit all land", async () => {
  const REPO = "alice/parallel";
  await createRepo(hub, ALICE, REPO);
  const before = await history(REPO);
  const N = 20;
  const results = await Promise.all(
    Array.from({ length: N }, (_, i) =>
      commit(hub, ALICE, REPO, [fileOp(`parallel/file-${String(i).padStart(2, "0")}.txt`, `content ${i}\n`)], {
        summary: `parallel commit ${i}`,
      }),
    ),
  );
  for (const [i, r] of results.entries()) assert.equal(r.status, 200, describe(r, `commit ${i}`));
  const oids = results.map((r) => r.json.commitOid);
  assert.equal(new Set(oids).size, N, "every commit got its own oid");

  // the tree holds all 20 files with the right content
  const tree = await read(await api(hub, `/api/models/${REPO}/tree/main/parallel`, { token: ALICE }));
  assert.equal(tree.status, 200);
  const files = tree.json.filter((e) => e.type === "file").sort((a, b) => a.path.localeCompare(b.path));
  assert.equal(files.length, N);
  for (const [i, e] of files.entries()) {
    assert.equal(e.path, `parallel/file-${String(i).padStart(2, "0")}.txt`);
    assert.equal(e.oid, gitBlobSha1(Buffer.from(`content ${i}\n`)));
  }
  // the history has exactly 20 new commits, in a line, and they are ours
  const after = await history(REPO);
  assert.equal(after.length, before.length + N);
  assert.deepEqual(new Set(after.slice(0, N).map((c) => c.id)), new Set(oids));
  assert.deepEqual(
    new Set(after.slice(0, N).map((c) => c.title)),
    new Set(Array.from({ length: N }, (_, i) => `parallel commit ${i}`)),
  );
  assert.equal(await headSha(hub, REPO, ALICE), after[0].id);
  const total = await api(hub, `/api/models/${REPO}/commits/main?limit=1`, { token: ALICE });
  await total.arrayBuffer();
  const count = total.headers.get("x-total-count");
  assert.equal(total.status, 200);
  assert.equal(Number(count), before.length + N, `X-Total-Count ${count}`);
});

test("parallel commits with the same parentCommit: exactly one wins, the others get 412", async () => {
  const REPO = "alice/racing";
  await createRepo(hub, ALICE, REPO);
  const parent = await headSha(hub, REPO, ALICE);
  const N = 10;
  const results = await Promise.all(
    Array.from({ length: N }, (_, i) =>
      commit(hub, ALICE, REPO, [fileOp(`race-${i}.txt`, `${i}`)], { summary: `race ${i}`, parentCommit: parent }),
    ),
  );
  const statuses = results.map((r) => r.status).sort();
  assert.deepEqual(statuses, [200, ...Array(N - 1).fill(412)], results.map((r) => describe(r)).join("\n"));
  const winner = results.find((r) => r.status === 200).json.commitOid;
  assert.equal(await headSha(hub, REPO, ALICE), winner);
  const h = await history(REPO);
  assert.equal(h.length, 2);
});

test("parallel commits to different branches and repos do not interfere", async () => {
  const A = "alice/multi-a";
  const B = "alice/multi-b";
  await createRepo(hub, ALICE, A);
  await createRepo(hub, ALICE, B);
  for (const br of ["one", "two"]) {
    const r = await read(await api(hub, `/api/models/${A}/branch/${br}`, { token: ALICE, body: {} }));
    assert.equal(r.status, 200, describe(r, `create branch ${br}`));
  }
  const jobs = [];
  for (let i = 0; i < 8; i++) {
    jobs.push(commit(hub, ALICE, A, [fileOp(`main-${i}.txt`, "m")], { rev: "main" }));
    jobs.push(commit(hub, ALICE, A, [fileOp(`one-${i}.txt`, "1")], { rev: "one" }));
    jobs.push(commit(hub, ALICE, A, [fileOp(`two-${i}.txt`, "2")], { rev: "two" }));
    jobs.push(commit(hub, ALICE, B, [fileOp(`b-${i}.txt`, "b")]));
  }
  const results = await Promise.all(jobs);
  for (const r of results) assert.equal(r.status, 200, describe(r));
  for (const [repo, rev, prefix] of [
    [A, "main", "main-"],
    [A, "one", "one-"],
    [A, "two", "two-"],
    [B, "main", "b-"],
  ]) {
    const t = await read(await api(hub, `/api/models/${repo}/tree/${rev}`, { token: ALICE }));
    const names = t.json.filter((e) => e.path !== ".gitattributes").map((e) => e.path).sort();
    assert.deepEqual(names, Array.from({ length: 8 }, (_, i) => `${prefix}${i}.txt`).sort(), `${repo}@${rev}`);
    assert.equal((await history(repo, rev)).length, 9, `${repo}@${rev} history`);
  }
});

test("parallel uploads of the same LFS object and commits referencing it", async () => {
  const REPO = "alice/lfs-parallel";
  await createRepo(hub, ALICE, REPO);
  const buf = Buffer.alloc(256 * 1024);
  for (let i = 0; i < buf.length; i++) buf[i] = (i * 31) & 0xff;
  buf[0] = 0;
  await Promise.all(Array.from({ length: 6 }, () => uploadLfs(hub, ALICE, REPO, buf)));
  const results = await Promise.all(
    Array.from({ length: 6 }, (_, i) => commit(hub, ALICE, REPO, [lfsOp(`copy-${i}.bin`, buf)])),
  );
  for (const r of results) assert.equal(r.status, 200, describe(r));
  for (let i = 0; i < 6; i++) {
    const res = await api(hub, `/${REPO}/resolve/main/copy-${i}.bin`, { token: ALICE });
    const got = Buffer.from(await res.arrayBuffer());
    assert.equal(res.status, 200);
    assert.ok(got.equals(buf), `copy-${i}.bin content`);
  }
});
