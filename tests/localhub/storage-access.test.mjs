// The storage host serves only signed, unexpired URLs (issue 10, item 3), and knowing an LFS
// object's sha256 (tree, paths-info and repo info show it, also for gated repos) gives neither
// its bytes nor the right to commit it elsewhere. Uploads need a signed URL and stop at the
// announced size.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import fs from "node:fs";
import path from "node:path";

import { startLocalhub, waitForHandled } from "../harness/localhub.mjs";
import { api, read, describe, createRepo, commit, fileOp, lfsOp, uploadLfs, sha256 } from "../harness/hubapi.mjs";

const ALICE = "hf_alice_storage";
const MALLORY = "hf_mallory_storage";
const GATED = Buffer.from("gated weights ".repeat(1000));
const OID = sha256(GATED);
let hub;
let blobOrigin;

before(async () => {
  hub = await startLocalhub({ users: [`alice:${ALICE}:write`, `mallory:${MALLORY}:write`], args: ["--url-lifetime", "2"] });
  await createRepo(hub, ALICE, "alice/gated");
  await createRepo(hub, MALLORY, "mallory/mine");
  await uploadLfs(hub, ALICE, "alice/gated", GATED);
  const c = await commit(hub, ALICE, "alice/gated", [lfsOp("model.bin", GATED)]);
  assert.equal(c.status, 200, describe(c, "seed"));
  const s = await read(api(hub, "/api/models/alice/gated/settings", { token: ALICE, method: "PUT", body: { gated: "manual" } }));
  assert.equal(s.status, 200, describe(s, "gate"));
  blobOrigin = /LFS storage host on (http:\/\/\S+?),/.exec(hub.stderr())[1];
});
after(async () => hub?.stop());

async function signedLocation() {
  const r = await api(hub, "/alice/gated/resolve/main/model.bin", { token: ALICE, redirect: "manual" });
  await r.arrayBuffer();
  assert.equal(r.status, 302);
  return new URL(r.headers.get("location"));
}

test("the storage host answers 403 to a missing, wrong, re-aimed or expired signature", async () => {
  const loc = await signedLocation();
  assert.match(loc.search, /expires=\d+&sig=[0-9a-f]{64}$/);
  const ok = await fetch(loc);
  assert.equal(ok.status, 200);
  assert.equal(sha256(Buffer.from(await ok.arrayBuffer())), OID, "a signed URL serves the object");
  const head = await fetch(loc, { method: "HEAD" });
  assert.equal(head.status, 200, "HEAD with a GET signature");

  const sig = /sig=([0-9a-f]+)/.exec(loc.search)[1];
  const flipped = sig.slice(0, -1) + (sig.endsWith("0") ? "1" : "0");
  const cases = {
    "no signature": `${loc.origin}${loc.pathname}`,
    "wrong signature": `${loc.origin}${loc.pathname}${loc.search.replace(sig, flipped)}`,
    "signature of another object": `${loc.origin}/lfs/${"a".repeat(64)}${loc.search}`,
    "a later expiry": `${loc.origin}${loc.pathname}${loc.search.replace(/expires=\d+/, "expires=99999999999")}`,
    "signature only": `${loc.origin}${loc.pathname}?sig=${sig}`,
  };
  for (const [what, url] of Object.entries(cases)) {
    const r = await read(fetch(url));
    assert.equal(r.status, 403, `${what}: ${describe(r)}`);
    assert.ok(!r.text.includes("gated weights"), `${what}: no bytes`);
  }
  const put = await read(fetch(loc, { method: "PUT", body: "x" }));
  assert.equal(put.status, 403, "a GET signature does not allow PUT");
  // Expiry: --url-lifetime 2; the URL is refused once it has passed (whole seconds, so wait 3.5 s).
  await new Promise((r) => setTimeout(r, 3500));
  const late = await read(fetch(loc));
  assert.equal(late.status, 403, describe(late, "expired"));
  assert.match(late.json.error, /expired/i);
  // A fresh resolve gives a fresh URL.
  const again = await fetch(await signedLocation());
  assert.equal(again.status, 200);
  await again.arrayBuffer();
});

test("a gated object's sha256 gives mallory nothing: not the bytes, nor a URL, nor a commit elsewhere", async () => {
  const tree = await read(api(hub, "/api/models/alice/gated/tree/main", { token: MALLORY }));
  assert.equal(tree.status, 200, "gated metadata is visible, as on the Hub");
  assert.equal(tree.json.find((e) => e.path === "model.bin").lfs.oid, OID);
  const resolve = await read(api(hub, "/alice/gated/resolve/main/model.bin", { token: MALLORY, redirect: "manual" }));
  assert.equal(resolve.status, 403);
  assert.equal(resolve.headers.get("x-error-code"), "GatedRepo");
  // straight to the storage host
  const direct = await read(fetch(`${blobOrigin}/lfs/${OID}`));
  assert.equal(direct.status, 403, describe(direct, "unsigned storage GET"));
  // LFS batch download through the gated repo, and through mallory's own repo
  const dl = (repo) =>
    read(api(hub, `/${repo}.git/info/lfs/objects/batch`, {
      token: MALLORY,
      body: { operation: "download", transfers: ["basic"], objects: [{ oid: OID, size: GATED.length }] },
      headers: { "Content-Type": "application/vnd.git-lfs+json" },
    }));
  const viaGated = await dl("alice/gated");
  assert.equal(viaGated.status, 403, describe(viaGated, "batch download of a gated repo"));
  const viaMine = await dl("mallory/mine");
  assert.equal(viaMine.status, 200);
  assert.ok(viaMine.json.objects[0].error, `no download action for an object mallory/mine does not have: ${viaMine.text}`);
  assert.ok(!viaMine.text.includes("/lfs/"), "no storage URL");
  // commit it into mallory/mine: as lfsFile, or as a pointer written as a regular file
  const asLfs = await commit(hub, MALLORY, "mallory/mine", [lfsOp("stolen.bin", GATED)]);
  assert.equal(asLfs.status, 422, describe(asLfs, "lfsFile of an object never uploaded here"));
  const pointer = `version https://git-lfs.github.com/spec/v1\noid sha256:${OID}\nsize ${GATED.length}\n`;
  const asPointer = await commit(hub, MALLORY, "mallory/mine", [fileOp("stolen.bin", pointer)]);
  assert.equal(asPointer.status, 422, describe(asPointer, "pointer file of an object never uploaded here"));
  // the batch upload does not say "already stored": mallory must send the bytes, which she lacks
  const up = await read(api(hub, "/mallory/mine.git/info/lfs/objects/batch", {
    token: MALLORY,
    body: { operation: "upload", transfers: ["basic"], ref: { name: "main" }, objects: [{ oid: OID, size: GATED.length }] },
    headers: { "Content-Type": "application/vnd.git-lfs+json" },
  }));
  const href = up.json.objects[0].actions?.upload?.href;
  assert.ok(href, `an upload is asked for: ${up.text}`);
  const fake = await read(fetch(href, { method: "PUT", body: Buffer.alloc(GATED.length, 1) }));
  assert.equal(fake.status, 400, describe(fake, "wrong bytes"));
  const still = await commit(hub, MALLORY, "mallory/mine", [lfsOp("stolen.bin", GATED)]);
  assert.equal(still.status, 422, "still not committable");
  // With the bytes, it works (dedup by content is fine once possession is shown).
  await uploadLfs(hub, MALLORY, "mallory/mine", GATED);
  const own = await commit(hub, MALLORY, "mallory/mine", [lfsOp("own.bin", GATED)]);
  assert.equal(own.status, 200, describe(own, "after uploading the bytes"));
});

test("uploads need a signed URL and stop at the announced size", async () => {
  const buf = Buffer.from("an object of thirty-two bytes!!\n");
  const unsigned = await read(fetch(`${blobOrigin}/upload/${sha256(buf)}/${buf.length}?repo=models%2Fmallory%2Fmine`, { method: "PUT", body: buf }));
  assert.equal(unsigned.status, 403, describe(unsigned, "unsigned upload"));
  const up = await read(api(hub, "/mallory/mine.git/info/lfs/objects/batch", {
    token: MALLORY,
    body: { operation: "upload", transfers: ["basic"], ref: { name: "main" }, objects: [{ oid: sha256(buf), size: buf.length }] },
    headers: { "Content-Type": "application/vnd.git-lfs+json" },
  }));
  const href = new URL(up.json.objects[0].actions.upload.href);
  const other = await read(fetch(href.href.replace(`/${buf.length}?`, `/${buf.length * 1000}?`), { method: "PUT", body: buf }));
  assert.equal(other.status, 403, "the announced size is part of what is signed");
  // A chunked body (no Content-Length) that goes on past the announced size is cut off.
  const status = await new Promise((resolve) => {
    const req = http.request({ host: href.hostname, port: href.port, method: "PUT", path: href.pathname + href.search }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on("error", () => resolve(0));  // the server cut the body off: a reset is a refusal too
    req.setTimeout(30000, () => {  // a server that never answers is not
      req.destroy();
      resolve(-1);
    });
    let sent = 0;
    const pump = () => {
      while (sent < 64 << 20) {
        sent += 1 << 20;
        if (!req.write(Buffer.alloc(1 << 20, 3))) return req.once("drain", pump);
      }
      req.end();
    };
    pump();
  });
  assert.ok(status === 413 || status === 0, `an over-long upload is refused (got ${status})`);
  const tmp = path.join(hub.dataDir, "lfs", "tmp");
  await waitForHandled(hub, "PUT", href);
  const left = fs.existsSync(tmp) ? fs.readdirSync(tmp) : [];
  assert.deepEqual(left, [], "nothing left in lfs/tmp");
  // A Content-Length above the announced size is refused before any byte is stored.
  const big = await read(fetch(href, { method: "PUT", body: Buffer.alloc(buf.length + 1) }));
  assert.equal(big.status, 413);
  const good = await read(fetch(href, { method: "PUT", body: buf }));
  assert.equal(good.status, 200, describe(good, "the real upload"));
});
