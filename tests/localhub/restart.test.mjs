// Everything lives in --data: a restarted localhub serves the same repositories, refs, LFS
// objects, privacy settings and PR numbers, and an upload begun before the restart completes
// after it (upload URLs carry oid and size).

import { test, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { startLocalhub } from "../harness/localhub.mjs";
import { api, read, describe, createRepo, headSha, commit, fileOp, lfsOp, uploadLfs, sha256 } from "../harness/hubapi.mjs";

const ALICE = "hf_alice_restart";
const users = [`alice:${ALICE}:write`, "bob:hf_bob_restart:write"];
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "localhub-restart-"));
after(() => fs.rmSync(dataDir, { recursive: true, force: true }));

test("a restart keeps repos, refs, LFS objects, privacy and PR numbering", async () => {
  const big = Buffer.alloc(200 * 1024);
  for (let i = 0; i < big.length; i++) big[i] = (i * 17) & 0xff;
  const half = Buffer.alloc(96 * 1024, 4);
  let hub = await startLocalhub({ users, dataDir, args: ["--multipart-threshold", "65536", "--multipart-chunk", "32768"] });
  let before;
  let pendingHeader;
  try {
    await createRepo(hub, ALICE, "alice/kept");
    await createRepo(hub, ALICE, "alice/secret", { isPrivate: true });
    await uploadLfs(hub, ALICE, "alice/kept", big);
    let r = await commit(hub, ALICE, "alice/kept", [fileOp("a.txt", "a\n"), lfsOp("big.bin", big)]);
    assert.equal(r.status, 200, describe(r));
    r = await read(api(hub, "/api/models/alice/kept/branch/dev", { token: ALICE, body: {} }));
    assert.equal(r.status, 200, describe(r));
    r = await read(api(hub, "/api/models/alice/kept/tag/main", { token: ALICE, body: { tag: "v1" } }));
    assert.equal(r.status, 200, describe(r));
    r = await commit(hub, ALICE, "alice/kept", [fileOp("pr.txt", "pr\n")], { query: "?create_pr=1" });
    assert.match(r.json.pullRequestUrl, /\/discussions\/1$/);
    before = (await read(api(hub, "/api/models/alice/kept/refs?include_prs=1", { token: ALICE }))).json;
    // start a multipart upload: two of its parts go in before the restart
    const b = await read(
      api(hub, "/alice/kept.git/info/lfs/objects/batch", {
        token: ALICE,
        body: { operation: "upload", transfers: ["basic", "multipart"], objects: [{ oid: sha256(half), size: half.length }] },
      }),
    );
    pendingHeader = b.json.objects[0].actions.upload;
    for (const k of ["00001", "00002"]) {
      const i = Number(k) - 1;
      const res = await fetch(pendingHeader.header[k], { method: "PUT", body: half.subarray(i * 32768, (i + 1) * 32768) });
      await res.arrayBuffer();
      assert.equal(res.status, 200);
    }
  } finally {
    await hub.stop();
  }
  assert.ok(fs.existsSync(dataDir), "stop() keeps a given data dir");

  hub = await startLocalhub({ users, dataDir, args: ["--multipart-threshold", "65536", "--multipart-chunk", "32768"] });
  try {
    const refs = (await read(api(hub, "/api/models/alice/kept/refs?include_prs=1", { token: ALICE }))).json;
    assert.deepEqual(refs, before);
    const got = Buffer.from(await (await api(hub, "/alice/kept/resolve/main/big.bin", { token: ALICE })).arrayBuffer());
    assert.ok(got.equals(big), "LFS content after restart");
    assert.equal((await read(api(hub, "/alice/kept/resolve/v1/a.txt"))).text, "a\n");
    // still private
    assert.equal((await read(api(hub, "/api/models/alice/secret"))).status, 401);
    assert.equal((await read(api(hub, "/api/models/alice/secret", { token: "hf_bob_restart" }))).status, 404);
    assert.equal((await read(api(hub, "/api/models/alice/secret", { token: ALICE }))).status, 200);
    // the next PR is number 2
    const pr = await commit(hub, ALICE, "alice/kept", [fileOp("pr2.txt", "2\n")], { query: "?create_pr=1" });
    assert.match(pr.json.pullRequestUrl, /\/discussions\/2$/, describe(pr, "second PR after restart"));
    // finish the multipart upload begun before the restart (URLs from before the restart; the
    // port changed, so aim them at the new blob host)
    const newBlob = new URL((await read(api(hub, "/alice/kept/resolve/main/big.bin", { token: ALICE, redirect: "manual" }))).headers.get("location")).origin;
    const rebase = (u) => newBlob + new URL(u).pathname + new URL(u).search; // signed: keep the query
    const etags = [];
    for (const k of ["00001", "00002", "00003"]) {
      const i = Number(k) - 1;
      const res = await fetch(rebase(pendingHeader.header[k]), { method: "PUT", body: half.subarray(i * 32768, (i + 1) * 32768) });
      await res.arrayBuffer();
      assert.equal(res.status, 200);
      etags.push({ partNumber: i + 1, etag: res.headers.get("etag") });
    }
    const done = await read(fetch(rebase(pendingHeader.href), { method: "POST", body: JSON.stringify({ oid: sha256(half), parts: etags }) }));
    assert.equal(done.status, 200, describe(done, "completion after restart"));
    const c = await commit(hub, ALICE, "alice/kept", [lfsOp("half.bin", half)]);
    assert.equal(c.status, 200, describe(c));
    const h = Buffer.from(await (await api(hub, "/alice/kept/resolve/main/half.bin", { token: ALICE })).arrayBuffer());
    assert.ok(h.equals(half));
    assert.equal(await headSha(hub, "alice/kept", ALICE), c.json.commitOid);
  } finally {
    await hub.stop();
  }
});
