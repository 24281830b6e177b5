// Multipart LFS uploads (tools/localhub/lfs_multipart.*): parts land at their offsets in one
// staging file per upload, the sha256 is checked before the object is accepted, and nothing that
// fails, is cut short or is killed half-way ever becomes an object. Objects are checked on disk
// (DIR/lfs/objects/ab/cd/OID), not only through the API.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";

import { startLocalhub } from "../harness/localhub.mjs";
import { api, read, describe, createRepo, sha256 } from "../harness/hubapi.mjs";

const ALICE = "hf_alice_multipart";
const users = [`alice:${ALICE}:write`];
const CHUNK = 32768;
const args = ["--multipart-threshold", "65536", "--multipart-chunk", String(CHUNK)];
let hub;

before(async () => {
  hub = await startLocalhub({ users, args });
  for (const r of ["alice/one", "alice/two"]) await createRepo(hub, ALICE, r);
});
after(async () => hub?.stop());

// A buffer of n bytes that differs with seed.
function bytes(n, seed) {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed * 7 + (i >> 8)) & 0xff;
  return b;
}
const partOf = (buf, n) => buf.subarray((n - 1) * CHUNK, n * CHUNK);

async function startUpload(h, repo, buf) {
  const r = await read(
    api(h, `/${repo}.git/info/lfs/objects/batch`, {
      token: ALICE,
      body: { operation: "upload", transfers: ["basic", "multipart"], objects: [{ oid: sha256(buf), size: buf.length }] },
    }),
  );
  assert.equal(r.status, 200, describe(r, "batch"));
  const upload = r.json.objects[0].actions?.upload;
  assert.ok(upload?.header?.chunk_size, `a multipart upload is offered: ${JSON.stringify(r.json)}`);
  const urls = Object.keys(upload.header).filter((k) => /^\d+$/.test(k)).sort().map((k) => upload.header[k]);
  return { oid: sha256(buf), href: upload.href, urls };
}
async function putPart(url, body) {
  const res = await fetch(url, { method: "PUT", body });
  const text = await res.text();
  return { status: res.status, etag: res.headers.get("etag"), text };
}
const complete = (href, oid, parts) => read(fetch(href, { method: "POST", body: JSON.stringify({ oid, parts }) }));
const objectFile = (h, oid) => path.join(h.dataDir, "lfs", "objects", oid.slice(0, 2), oid.slice(2, 4), oid);
const stored = (h, oid) => fs.existsSync(objectFile(h, oid));
const staging = (h, oid) => fs.readdirSync(path.join(h.dataDir, "lfs", "tmp")).filter((n) => n.startsWith(`multipart-${oid}`));

// Sends the head of a part's body (announcing all of it) and leaves the request open; end() cuts
// the connection: an upload interrupted half-way.
function partialPut(url, total, head) {
  const req = http.request(url, { method: "PUT", headers: { "Content-Length": total } });
  req.on("error", () => {});
  req.write(head);
  return { end: () => req.destroy() };
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

test("parts sent in any order and at once make the object", async () => {
  const buf = bytes(4 * CHUNK + 100, 1); // 5 parts, the last 100 bytes
  const up = await startUpload(hub, "alice/one", buf);
  assert.equal(up.urls.length, 5);
  const order = [3, 5, 1, 4, 2];
  const puts = await Promise.all(order.map((n) => putPart(up.urls[n - 1], partOf(buf, n))));
  for (const [i, p] of puts.entries()) assert.equal(p.status, 200, `part ${order[i]}: ${p.status} ${p.text}`);
  const parts = puts.map((p, i) => ({ partNumber: order[i], etag: p.etag }));
  const done = await complete(up.href, up.oid, parts);
  assert.equal(done.status, 200, describe(done, "completion"));
  assert.ok(fs.readFileSync(objectFile(hub, up.oid)).equals(buf), "the object has the parts at their offsets");
  assert.deepEqual(staging(hub, up.oid), [], "the staging is gone once the object is kept");
});

test("a part that was never uploaded: the completion fails and nothing is stored", async () => {
  // Part 2 is all zeros: the sha256 of the staging file would match without it, only the
  // record of stored parts can tell.
  const buf = Buffer.concat([bytes(CHUNK, 2), Buffer.alloc(CHUNK), bytes(CHUNK, 3)]);
  const up = await startUpload(hub, "alice/one", buf);
  const p1 = await putPart(up.urls[0], partOf(buf, 1));
  const p3 = await putPart(up.urls[2], partOf(buf, 3));
  const listed = [
    { partNumber: 1, etag: p1.etag },
    { partNumber: 2, etag: p1.etag },
    { partNumber: 3, etag: p3.etag },
  ];
  const r = await complete(up.href, up.oid, listed);
  assert.equal(r.status, 400, describe(r, "completion with part 2 missing"));
  assert.ok(!stored(hub, up.oid), "no object without all its parts");
  const p2 = await putPart(up.urls[1], partOf(buf, 2));
  listed[1].etag = p2.etag;
  const ok = await complete(up.href, up.oid, listed);
  assert.equal(ok.status, 200, describe(ok, "completion once part 2 is there"));
  assert.ok(fs.readFileSync(objectFile(hub, up.oid)).equals(buf));
});

test("bytes that do not match the oid: the completion fails, nothing is stored, the upload starts over", async () => {
  const buf = bytes(3 * CHUNK, 4);
  const up = await startUpload(hub, "alice/one", buf);
  const wrong = Buffer.from(partOf(buf, 2));
  wrong[100] ^= 1;
  const puts = [await putPart(up.urls[0], partOf(buf, 1)), await putPart(up.urls[1], wrong), await putPart(up.urls[2], partOf(buf, 3))];
  const parts = puts.map((p, i) => ({ partNumber: i + 1, etag: p.etag }));
  const r = await complete(up.href, up.oid, parts);
  assert.equal(r.status, 400, describe(r, "completion of wrong bytes"));
  assert.match(r.text, /does not match/);
  assert.ok(!stored(hub, up.oid), "wrong bytes never become the object");
  assert.deepEqual(staging(hub, up.oid), [], "a failed check drops the upload's staging");
  // the same URLs, all parts again
  const again = [];
  for (let n = 1; n <= 3; n++) again.push({ partNumber: n, etag: (await putPart(up.urls[n - 1], partOf(buf, n))).etag });
  const ok = await complete(up.href, up.oid, again);
  assert.equal(ok.status, 200, describe(ok, "completion after uploading the parts again"));
  assert.ok(fs.readFileSync(objectFile(hub, up.oid)).equals(buf));
});

test("two uploads of the same object at once do not mix: a bad one fails, a good one succeeds", async () => {
  const buf = bytes(4 * CHUNK, 5);
  const a = await startUpload(hub, "alice/one", buf);
  const b = await startUpload(hub, "alice/two", buf);
  assert.notEqual(a.urls[0], b.urls[0], "each upload has its own URLs");
  const bad = Buffer.from(partOf(buf, 2));
  bad.fill(9, 0, 512);
  // a's parts 1-2, then all of b's (its part 2 wrong), then a's 3-4: b writes between a's parts
  const aEtags = [];
  for (const n of [1, 2]) aEtags.push((await putPart(a.urls[n - 1], partOf(buf, n))).etag);
  const bPuts = await Promise.all([1, 2, 3, 4].map((n) => putPart(b.urls[n - 1], n === 2 ? bad : partOf(buf, n))));
  const aRest = await Promise.all([3, 4].map((n) => putPart(a.urls[n - 1], partOf(buf, n))));
  aEtags.push(...aRest.map((p) => p.etag));
  const [ra, rb] = await Promise.all([
    complete(a.href, a.oid, aEtags.map((etag, i) => ({ partNumber: i + 1, etag }))),
    complete(b.href, b.oid, bPuts.map((p, i) => ({ partNumber: i + 1, etag: p.etag }))),
  ]);
  assert.equal(ra.status, 200, describe(ra, "the good upload"));
  assert.equal(rb.status, 400, describe(rb, "the upload with a wrong part"));
  assert.ok(fs.readFileSync(objectFile(hub, a.oid)).equals(buf), "the object is the good upload's bytes");
  // a late PUT to the finished upload's URL does not touch the object
  await putPart(a.urls[0], Buffer.alloc(CHUNK, 0x55));
  assert.ok(fs.readFileSync(objectFile(hub, a.oid)).equals(buf), "the object is unchanged by a late PUT");

  // two good uploads at once, completed at once: both succeed
  const buf2 = bytes(3 * CHUNK + 7, 6);
  const ups = [await startUpload(hub, "alice/one", buf2), await startUpload(hub, "alice/two", buf2)];
  const etags = await Promise.all(
    ups.map(async (u) => {
      const ps = await Promise.all([1, 2, 3, 4].map((n) => putPart(u.urls[n - 1], partOf(buf2, n))));
      return ps.map((p, i) => ({ partNumber: i + 1, etag: p.etag }));
    }),
  );
  const rs = await Promise.all(ups.map((u, i) => complete(u.href, u.oid, etags[i])));
  for (const r of rs) assert.equal(r.status, 200, describe(r, "concurrent good completion"));
  assert.ok(fs.readFileSync(objectFile(hub, ups[0].oid)).equals(buf2));
});

test("a part PUT cut short is not a stored part: no object with its bytes", async () => {
  const buf = bytes(3 * CHUNK, 7);
  const up = await startUpload(hub, "alice/one", buf);
  const etags = [];
  for (let n = 1; n <= 3; n++) etags.push({ partNumber: n, etag: (await putPart(up.urls[n - 1], partOf(buf, n))).etag });
  // part 2 sent again with other bytes, cut after half of them
  const cut = partialPut(up.urls[1], CHUNK, Buffer.alloc(CHUNK / 2, 0x77));
  await sleep(300);
  cut.end();
  const r = await complete(up.href, up.oid, etags);
  if (r.status === 200) assert.ok(fs.readFileSync(objectFile(hub, up.oid)).equals(buf), "an accepted object has the right bytes");
  else {
    assert.equal(r.status, 400, describe(r, "completion after a cut part"));
    assert.ok(!stored(hub, up.oid), "no object after a failed completion");
  }
  if (r.status === 200) return;
  // every part sent again in full: the upload completes
  for (let n = 1; n <= 3; n++) etags[n - 1].etag = (await putPart(up.urls[n - 1], partOf(buf, n))).etag;
  const ok = await complete(up.href, up.oid, etags);
  assert.equal(ok.status, 200, describe(ok, "completion after the parts are sent in full"));
  assert.ok(fs.readFileSync(objectFile(hub, up.oid)).equals(buf));
});

test("localhub killed mid-upload: no object; after a restart the parts stored before it count", async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "localhub-multipart-"));
  let h = await startLocalhub({ users, args, dataDir });
  const buf = bytes(3 * CHUNK + 11, 8); // 4 parts
  let up;
  const etags = [];
  try {
    await createRepo(h, ALICE, "alice/crash");
    up = await startUpload(h, "alice/crash", buf);
    for (const n of [1, 2]) etags.push({ partNumber: n, etag: (await putPart(up.urls[n - 1], partOf(buf, n))).etag });
    partialPut(up.urls[2], CHUNK, partOf(buf, 3).subarray(0, CHUNK / 2));
    await sleep(300);
    h.child.kill("SIGKILL");
  } finally {
    await h.stop();
  }
  try {
    h = await startLocalhub({ users, args, dataDir });
    assert.ok(!stored(h, up.oid), "no object after the kill");
    // the blob host moved with the new port: aim the signed URLs at it
    const b = await read(
      api(h, "/alice/crash.git/info/lfs/objects/batch", {
        token: ALICE,
        body: { operation: "upload", transfers: ["basic", "multipart"], objects: [{ oid: up.oid, size: buf.length }] },
      }),
    );
    const origin = new URL(b.json.objects[0].actions.upload.href).origin;
    const rebase = (u) => origin + new URL(u).pathname + new URL(u).search;
    const early = await complete(rebase(up.href), up.oid, [...etags, { partNumber: 3, etag: etags[0].etag }, { partNumber: 4, etag: etags[0].etag }]);
    assert.equal(early.status, 400, describe(early, "completion without parts 3 and 4"));
    assert.ok(!stored(h, up.oid));
    for (const n of [3, 4]) etags.push({ partNumber: n, etag: (await putPart(rebase(up.urls[n - 1]), partOf(buf, n))).etag });
    const ok = await complete(rebase(up.href), up.oid, etags);
    assert.equal(ok.status, 200, describe(ok, "completion after the restart, parts 1-2 from before it"));
    assert.ok(fs.readFileSync(objectFile(h, up.oid)).equals(buf));
  } finally {
    await h.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});

test("an abandoned upload's staging is removed once its URLs have expired; a live upload's stays", async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "localhub-multipart-"));
  const lifetime = ["--url-lifetime", "2"]; // staging untouched for 2 x 2 s is dead
  let h = await startLocalhub({ users, args: [...args, ...lifetime], dataDir });
  try {
    await createRepo(h, ALICE, "alice/left");
    const left = bytes(3 * CHUNK, 20);
    const up = await startUpload(h, "alice/left", left);
    assert.equal((await putPart(up.urls[0], partOf(left, 1))).status, 200);
    assert.equal(staging(h, up.oid).length, 1, "the part is staged");
    await sleep(4500);
    const live = bytes(3 * CHUNK, 21);
    const up2 = await startUpload(h, "alice/left", live);
    assert.equal((await putPart(up2.urls[0], partOf(live, 1))).status, 200);
    assert.deepEqual(staging(h, up.oid), [], "the abandoned upload's staging is gone");
    assert.equal(staging(h, up2.oid).length, 1, "the live upload's staging stays");
    const late = await putPart(up.urls[1], partOf(left, 2));
    assert.notEqual(late.status, 200, "an expired URL stores nothing");
    assert.deepEqual(staging(h, up.oid), []);

    // Killed mid-upload: at the next start, staging whose URLs have expired and half-written
    // basic uploads are gone.
    fs.writeFileSync(path.join(h.dataDir, "lfs", "tmp", "upload-1-0"), "half an object");
    h.child.kill("SIGKILL");
    await h.stop();
    await sleep(4500);
    h = await startLocalhub({ users, args: [...args, ...lifetime], dataDir });
    assert.deepEqual(fs.readdirSync(path.join(h.dataDir, "lfs", "tmp")), []);
  } finally {
    await h.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
