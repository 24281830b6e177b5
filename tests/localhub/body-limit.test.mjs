// --max-body: an API request body larger than the limit is a 413 with a JSON error, and
// changes nothing. The limit is small here (16 KiB) so the test stays fast.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";

import { startLocalhub } from "../harness/localhub.mjs";
import { api, read, describe, createRepo, headSha, commit, fileOp, sha256 } from "../harness/hubapi.mjs";

const ALICE = "hf_alice_bodylimit";
const REPO = "alice/limits";
const MAX = 16 * 1024;
let hub;
let head;

before(async () => {
  hub = await startLocalhub({ users: [`alice:${ALICE}:write`], args: ["--max-body", String(MAX)] });
  await createRepo(hub, ALICE, REPO);
  head = await headSha(hub, REPO, ALICE);
});
after(async () => hub?.stop());

function assert413(r, what) {
  assert.equal(r.status, 413, describe(r, what));
  assert.equal(typeof r.json?.error, "string", `${what}: JSON {"error"}${describe(r)}`);
}

test("a commit body over --max-body → 413, repo unchanged", async () => {
  const big = "x".repeat(MAX * 2);
  const r = await commit(hub, ALICE, REPO, [fileOp("big.txt", big)]);
  assert413(r, "commit of 32 KiB");
  assert.equal(await headSha(hub, REPO, ALICE), head);
  // just under the limit still works
  const ok = await commit(hub, ALICE, REPO, [fileOp("small.txt", "x".repeat(MAX / 2))]);
  assert.equal(ok.status, 200, describe(ok, "commit of 8 KiB content"));
  head = ok.json.commitOid;
});

test("JSON bodies over --max-body → 413", async () => {
  const paths = Array.from({ length: 2000 }, (_, i) => `some/long/path/number-${i}.txt`);
  assert413(await read(await api(hub, `/api/models/${REPO}/paths-info/main`, { token: ALICE, body: { paths } })), "paths-info");
  const files = paths.map((path) => ({ path, size: 1, sample: "" }));
  assert413(await read(await api(hub, `/api/models/${REPO}/preupload/main`, { token: ALICE, body: { files } })), "preupload");
  assert413(
    await read(await api(hub, "/api/repos/create", { token: ALICE, body: { name: "padded", organization: "alice", pad: "p".repeat(MAX) } })),
    "repo create",
  );
  const repos = await read(await api(hub, "/api/models/alice/padded", { token: ALICE }));
  assert.equal(repos.status, 404, "the over-size create created nothing");
  assert.equal(await headSha(hub, REPO, ALICE), head);
});

test("a declared Content-Length over the limit is refused without reading the body", async () => {
  // Send only the headers announcing 100 MB: localhub must answer 413 without waiting for the body.
  const u = new URL(hub.url);
  const status = await new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: u.hostname,
        port: u.port,
        method: "POST",
        path: `/api/models/${REPO}/commit/main`,
        headers: {
          Authorization: `Bearer ${ALICE}`,
          "Content-Type": "application/x-ndjson",
          "Content-Length": String(100 * 1000 * 1000),
        },
      },
      (res) => {
        res.resume();
        resolve(res.statusCode);
        req.destroy();
      },
    );
    req.on("error", (e) => (e.code === "ECONNRESET" || e.code === "EPIPE" ? null : reject(e)));
    req.setTimeout(5000, () => reject(new Error("no answer within 5 s to an over-size Content-Length")));
    req.write("{");
  });
  assert.equal(status, 413);
  assert.equal(await headSha(hub, REPO, ALICE), head);
});

test("a chunked body over the limit → 413", async () => {
  const stream = new ReadableStream({
    start(c) {
      for (let i = 0; i < 8; i++) c.enqueue(new TextEncoder().encode("y".repeat(4096)));
      c.close();
    },
  });
  const res = await fetch(`${hub.url}/api/models/${REPO}/commit/main`, {
    method: "POST",
    headers: { Authorization: `Bearer ${ALICE}`, "Content-Type": "application/x-ndjson" },
    body: stream,
    duplex: "half",
  });
  const r = await read(res);
  assert413(r, "chunked commit of 32 KiB");
  assert.equal(await headSha(hub, REPO, ALICE), head);
});

test("LFS uploads to the blob host are not limited by --max-body", async () => {
  // --max-body is for API request bodies; LFS content goes to the blob host.
  const buf = Buffer.alloc(MAX * 4, 7);
  const batch = await read(
    await api(hub, `/${REPO}.git/info/lfs/objects/batch`, {
      token: ALICE,
      body: { operation: "upload", transfers: ["basic"], objects: [{ oid: sha256(buf), size: buf.length }] },
    }),
  );
  assert.equal(batch.status, 200, describe(batch, "batch"));
  const put = await fetch(batch.json.objects[0].actions.upload.href, { method: "PUT", body: buf });
  assert.equal(put.status, 200);
});

test("JSON bodies are held whole, so they have their own cap (64 MiB) below the default --max-body", async () => {
  const h = await startLocalhub({ users: [`alice:${ALICE}:write`] });
  try {
    await createRepo(h, ALICE, REPO);
    const files = JSON.stringify({ files: [{ path: "a", size: 1, sample: "x".repeat(65 << 20) }] });
    const r = await read(api(h, `/api/models/${REPO}/preupload/main`, { token: ALICE, body: files, headers: { "Content-Type": "application/json" } }));
    assert413(r, "preupload of 65 MiB of JSON");
  } finally {
    await h.stop();
  }
});
