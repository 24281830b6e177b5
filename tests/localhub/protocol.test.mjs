// Protocol details the official clients rely on (hub-protocol.md §1.3, §4, §5, §12) and the
// integrity of LFS uploads: a wrong upload never becomes an object, a commit never references
// an object that is not stored.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";

import { startLocalhub } from "../harness/localhub.mjs";
import {
  api,
  read,
  describe,
  createRepo,
  headSha,
  commit,
  ndjson,
  fileOp,
  lfsOp,
  uploadLfs,
  sha256,
  gitBlobSha1,
} from "../harness/hubapi.mjs";

const ALICE = "hf_alice_protocol";
const REPO = "alice/proto";
let hub;

before(async () => {
  hub = await startLocalhub({ users: [`alice:${ALICE}:write`], args: ["--multipart-threshold", "65536", "--multipart-chunk", "32768"] });
  await createRepo(hub, ALICE, REPO);
  const r = await commit(hub, ALICE, REPO, [fileOp("a.txt", "a\n"), fileOp("folder/b.txt", "b\n"), fileOp("folder/sub/c.txt", "c\n")]);
  assert.equal(r.status, 200, describe(r, "seed"));
});
after(async () => hub?.stop());

const batch = (buf, transfers = ["basic", "multipart"]) =>
  read(
    api(hub, `/${REPO}.git/info/lfs/objects/batch`, {
      token: ALICE,
      body: JSON.stringify({ operation: "upload", transfers, hash_algo: "sha_256", ref: { name: "main" }, objects: [{ oid: sha256(buf), size: buf.length }] }),
      headers: { "Content-Type": "application/vnd.git-lfs+json", Accept: "application/vnd.git-lfs+json" },
    }),
  );

test("create_pr commits make refs/pr/N, reachable with raw and encoded revisions", async () => {
  const r = await commit(hub, ALICE, REPO, [fileOp("pr.txt", "pr\n")], { query: "?create_pr=1", summary: "a PR" });
  assert.equal(r.status, 200, describe(r, "create_pr commit"));
  assert.match(r.json.pullRequestUrl, /\/discussions\/1$/);
  assert.equal(r.json.commitUrl, `${hub.url}/${REPO}/commit/${r.json.commitOid}`);
  const mainHead = await headSha(hub, REPO, ALICE);
  assert.notEqual(mainHead, r.json.commitOid, "main did not move");
  for (const rev of ["refs/pr/1", "refs%2Fpr%2F1"]) {
    const t = await read(api(hub, `/api/models/${REPO}/tree/${rev}`, { token: ALICE }));
    assert.equal(t.status, 200, describe(t, `tree ${rev}`));
    assert.ok(t.json.some((e) => e.path === "pr.txt"));
    const g = await read(api(hub, `/${REPO}/resolve/${rev}/pr.txt`, { token: ALICE }));
    assert.equal(g.status, 200, describe(g, `resolve ${rev}`));
    assert.equal(g.text, "pr\n");
    assert.equal(g.headers.get("x-repo-commit"), r.json.commitOid);
  }
  const info = await read(api(hub, `/api/models/${REPO}/revision/${encodeURIComponent("refs/pr/1")}`, { token: ALICE }));
  assert.equal(info.json.sha, r.json.commitOid);
  const refs = await read(api(hub, `/api/models/${REPO}/refs?include_prs=1`, { token: ALICE }));
  assert.deepEqual(refs.json.pullRequests, [{ name: "1", ref: "refs/pr/1", targetCommit: r.json.commitOid }]);
  assert.deepEqual(refs.json.converts, []);
  const noPrs = await read(api(hub, `/api/models/${REPO}/refs`, { token: ALICE }));
  assert.ok(Array.isArray(noPrs.json.branches) && Array.isArray(noPrs.json.tags) && Array.isArray(noPrs.json.converts));
});

test("paths-info accepts form and JSON bodies and skips unknown paths", async () => {
  const form = await read(
    api(hub, `/api/models/${REPO}/paths-info/main`, {
      token: ALICE,
      body: "paths=a.txt&paths=folder&paths=nope.txt&expand=False",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
    }),
  );
  assert.equal(form.status, 200, describe(form, "form paths-info"));
  assert.deepEqual(form.json.map((e) => `${e.type}:${e.path}`).sort(), ["directory:folder", "file:a.txt"]);
  const json = await read(api(hub, `/api/models/${REPO}/paths-info/main`, { token: ALICE, body: { paths: ["folder/sub/c.txt"], expand: true } }));
  assert.equal(json.status, 200);
  assert.equal(json.json.length, 1);
  assert.equal(json.json[0].oid, gitBlobSha1(Buffer.from("c\n")));
  assert.match(json.json[0].lastCommit.id, /^[0-9a-f]{40}$/);
  assert.match(json.json[0].lastCommit.date, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
  const many = await read(api(hub, `/api/models/${REPO}/paths-info/main`, { token: ALICE, body: { paths: Array.from({ length: 1001 }, (_, i) => `p${i}`) } }));
  assert.equal(many.status, 413, describe(many, "paths-info with 1001 paths"));
});

test("If-None-Match with the current ETag answers 304 on resolve", async () => {
  const first = await api(hub, `/${REPO}/resolve/main/a.txt`, { token: ALICE });
  await first.arrayBuffer();
  const etag = first.headers.get("etag");
  const second = await api(hub, `/${REPO}/resolve/main/a.txt`, { token: ALICE, headers: { "If-None-Match": etag } });
  assert.equal(second.status, 304);
  await second.arrayBuffer();
});

test("a basic upload whose bytes do not match the oid is refused and not stored", async () => {
  const buf = Buffer.from("the real content of the object");
  const b = await batch(buf, ["basic"]);
  assert.equal(b.status, 200, describe(b, "batch"));
  const href = b.json.objects[0].actions.upload.href;
  for (const wrong of [Buffer.from("the REAL content of the object"), buf.subarray(0, 10), Buffer.concat([buf, Buffer.from("x")])]) {
    const put = await read(fetch(href, { method: "PUT", body: wrong }));
    // more bytes than announced: 413 (the upload stops at the announced size)
    assert.equal(put.status, wrong.length > buf.length ? 413 : 400, describe(put, "PUT of wrong bytes"));
  }
  // still not stored: the batch offers the upload again, and a commit referencing it fails
  const again = await batch(buf, ["basic"]);
  assert.ok(again.json.objects[0].actions?.upload, "a failed upload must not count as stored");
  const head = await headSha(hub, REPO, ALICE);
  const c = await commit(hub, ALICE, REPO, [lfsOp("never.bin", buf)]);
  assert.ok([400, 404, 422].includes(c.status), describe(c, "commit of an object that was never stored"));
  assert.equal(await headSha(hub, REPO, ALICE), head);
  // an lfsFile whose size does not match the stored object
  await uploadLfs(hub, ALICE, REPO, buf);
  const lie = await commit(hub, ALICE, REPO, [{ key: "lfsFile", value: { path: "lie.bin", algo: "sha256", oid: sha256(buf), size: buf.length + 1 } }]);
  assert.ok([400, 422].includes(lie.status), describe(lie, "lfsFile with a wrong size"));
  assert.equal(await headSha(hub, REPO, ALICE), head);
  // without size (Python copies) it works
  const nosize = await commit(hub, ALICE, REPO, [{ key: "lfsFile", value: { path: "nosize.bin", algo: "sha256", oid: sha256(buf) } }]);
  assert.equal(nosize.status, 200, describe(nosize, "lfsFile without size"));
});

test("multipart: exact part count, ETags, completion; bad completions are refused", async () => {
  const buf = Buffer.alloc(100 * 1024 + 5);
  for (let i = 0; i < buf.length; i++) buf[i] = (i * 13) & 0xff;
  const b = await batch(buf);
  assert.equal(b.status, 200, describe(b, "batch"));
  assert.equal(b.json.transfer, "multipart");
  const obj = b.json.objects[0];
  const header = obj.actions.upload.header;
  assert.equal(header.chunk_size, "32768");
  const keys = Object.keys(header).filter((k) => k !== "chunk_size").sort();
  assert.deepEqual(keys, ["00001", "00002", "00003", "00004"]); // ceil(102405 / 32768)
  const etags = [];
  for (const [i, k] of keys.entries()) {
    const res = await fetch(header[k], { method: "PUT", body: buf.subarray(i * 32768, (i + 1) * 32768) });
    await res.arrayBuffer();
    assert.equal(res.status, 200);
    assert.ok(res.headers.get("etag"), `part ${k} has an ETag`);
    etags.push(res.headers.get("etag"));
  }
  const complete = (parts) =>
    read(
      fetch(obj.actions.upload.href, {
        method: "POST",
        body: JSON.stringify({ oid: obj.oid, parts }),
        headers: { "Content-Type": "application/vnd.git-lfs+json", Accept: "application/vnd.git-lfs+json" },
      }),
    );
  const good = etags.map((etag, i) => ({ partNumber: i + 1, etag }));
  for (const [what, parts] of [
    ["a missing part", good.slice(0, 3)],
    ["a wrong etag", good.map((p, i) => (i === 1 ? { ...p, etag: '"0000"' } : p))],
    ["no parts", []],
    ["a part number out of range", [...good, { partNumber: 5, etag: good[0].etag }]],
  ]) {
    const r = await complete(parts);
    assert.equal(r.status, 400, describe(r, `completion with ${what}`));
    const again = await batch(buf);
    assert.ok(again.json.objects[0].actions?.upload, `after a completion with ${what} the object must not be stored`);
  }
  // parts may come in any order in the completion
  const ok = await complete([...good].reverse());
  assert.equal(ok.status, 200, describe(ok, "completion"));
  const stored = await batch(buf);
  assert.equal(stored.json.objects[0].actions, undefined, "a stored object gets no actions");
  const c = await commit(hub, ALICE, REPO, [lfsOp("multi.bin", buf)]);
  assert.equal(c.status, 200, describe(c, "commit"));
  const got = Buffer.from(await (await api(hub, `/${REPO}/resolve/main/multi.bin`, { token: ALICE })).arrayBuffer());
  assert.ok(got.equals(buf), "the assembled object is byte-equal");
});

test("multipart part PUTs outside the announced parts, or larger than a part, are refused", async () => {
  // Upload URLs are signed like presigned URLs: only the announced parts (an edited part number
  // breaks the signature), each at most chunk_size bytes (the last one the remainder), may be stored.
  const buf = Buffer.alloc(70000, 6); // 3 parts of 32768: 32768, 32768, 4464
  const b = await batch(buf);
  const header = b.json.objects[0].actions.upload.header;
  assert.deepEqual(Object.keys(header).filter((k) => k !== "chunk_size").sort(), ["00001", "00002", "00003"]);
  const partUrl = (n) => header["00001"].replace(/\/part\/1\?/, `/part/${n}?`);
  assert.ok(partUrl(9).includes("/part/9?"), `part URL shape: ${header["00001"]}`);
  const failures = [];
  for (const [what, url, body] of [
    ["part 4 of 3", partUrl(4), Buffer.alloc(10)],
    ["part 99999999999", partUrl(99999999999), Buffer.alloc(10)],
    ["part 1 with 1 MiB (chunk is 32 KiB)", header["00001"], Buffer.alloc(1024 * 1024)],
    ["last part with more than the remainder", header["00003"], Buffer.alloc(32768)],
  ]) {
    const r = await read(fetch(url, { method: "PUT", body }));
    if (![400, 403, 404, 413].includes(r.status)) failures.push(describe(r, `PUT ${what}`));
  }
  assert.deepEqual(failures, []);
});

test("deletedFolder and overwriting files", async () => {
  const r = await commit(hub, ALICE, REPO, [
    { key: "deletedFolder", value: { path: "folder/" } },
    fileOp("a.txt", "A\n"),
  ]);
  assert.equal(r.status, 200, describe(r, "deletedFolder"));
  const t = await read(api(hub, `/api/models/${REPO}/tree/main?recursive=true`, { token: ALICE }));
  assert.ok(!t.json.some((e) => e.path.startsWith("folder")));
  const a = await read(api(hub, `/${REPO}/resolve/main/a.txt`, { token: ALICE }));
  assert.equal(a.text, "A\n");
  const missing = await commit(hub, ALICE, REPO, [{ key: "deletedFolder", value: { path: "no-such-folder" } }]);
  assert.ok([400, 404].includes(missing.status), describe(missing, "deletedFolder of a missing folder"));
});

test("preupload answers every file with path, uploadMode and shouldIgnore", async () => {
  const files = [
    { path: "a.txt", size: 2, sample: Buffer.from("A\n").toString("base64") },
    { path: "bin.dat", size: 4, sample: Buffer.from([1, 0, 2, 3]).toString("base64") },
    { path: "model.safetensors", size: 10, sample: Buffer.from("0123456789").toString("base64") },
    { path: "empty.txt", size: 0, sample: "" },
  ];
  const r = await read(api(hub, `/api/models/${REPO}/preupload/main`, { token: ALICE, body: { files } }));
  assert.equal(r.status, 200, describe(r, "preupload"));
  const modes = Object.fromEntries(r.json.files.map((f) => [f.path, f.uploadMode]));
  assert.deepEqual(modes, { "a.txt": "regular", "bin.dat": "lfs", "model.safetensors": "lfs", "empty.txt": "regular" });
  for (const f of r.json.files) assert.equal(f.shouldIgnore, false);
  assert.equal(r.json.files.find((f) => f.path === "a.txt").oid, gitBlobSha1(Buffer.from("A\n")));
  assert.equal(r.json.commitOid, await headSha(hub, REPO, ALICE));
});

test("commit list items: title is the summary, message the description only (as the Hub)", async () => {
  // huggingface_hub docs: the first commit of a repo is title='initial commit', message=''.
  const r = await commit(hub, ALICE, REPO, ndjson("Summary line", [fileOp("msg.txt", "m")], { description: "Body text\nsecond line" }));
  assert.equal(r.status, 200, describe(r));
  const list = await read(api(hub, `/api/models/${REPO}/commits/main`, { token: ALICE }));
  const top = list.json[0];
  const first = list.json.at(-1);
  assert.equal(top.id, r.json.commitOid);
  assert.deepEqual(
    { title: top.title, message: top.message, initialTitle: first.title, initialMessage: first.message },
    { title: "Summary line", message: "Body text\nsecond line", initialTitle: "initial commit", initialMessage: "" },
  );
  assert.match(top.date, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.ok(Array.isArray(top.authors) && top.authors[0].user === "alice");
});

test("repo info: id, sha, siblings, blobs=true, HEAD alias, dates", async () => {
  const info = await read(api(hub, `/api/models/${REPO}?blobs=true`, { token: ALICE }));
  assert.equal(info.status, 200);
  assert.equal(info.json.id, REPO);
  assert.equal(info.json.sha, await headSha(hub, REPO, ALICE));
  assert.match(info.json.lastModified, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  const multi = info.json.siblings.find((s) => s.rfilename === "multi.bin");
  assert.ok(multi?.lfs, "LFS sibling has lfs");
  assert.equal(multi.lfs.size, multi.size);
  assert.match(multi.lfs.sha256, /^[0-9a-f]{64}$/);
  const head = await read(api(hub, `/api/models/${REPO}/revision/HEAD?expand=sha`, { token: ALICE }));
  assert.equal(head.status, 200, describe(head, "revision HEAD"));
  assert.equal(head.json.sha, info.json.sha);
  assert.equal(head.json.id, REPO);
});
