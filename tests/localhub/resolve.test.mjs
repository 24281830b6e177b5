// The read path with plain fetch: resolve HEAD/GET for regular and LFS files (protocol §4.6,
// §12.3–12.6), single ranges, the 302 to the blob host, and Link pagination of the tree (§1.7).

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
  fileOp,
  lfsOp,
  uploadLfs,
  allPages,
  sha256,
  gitBlobSha1,
} from "../harness/hubapi.mjs";

const ALICE = "hf_alice_resolve";
const REPO = "alice/files";
let hub;
let head;
const text = Buffer.from(Array.from({ length: 100 }, (_, i) => `line ${String(i).padStart(3, "0")}\n`).join("")); // 900 bytes
const lfsBuf = (() => {
  const b = Buffer.alloc(300 * 1024 + 7);
  for (let i = 0; i < b.length; i++) b[i] = (i * 7 + (i >> 9)) & 0xff;
  return b;
})();
const empty = Buffer.alloc(0);

before(async () => {
  hub = await startLocalhub({ users: [`alice:${ALICE}:write`] });
  await createRepo(hub, ALICE, REPO);
  await uploadLfs(hub, ALICE, REPO, lfsBuf);
  const r = await commit(hub, ALICE, REPO, [
    fileOp("text.txt", text),
    fileOp("empty.txt", empty),
    fileOp("dir with space/ünïcode #1.txt", "unicode\n"),
    lfsOp("weights/model.bin", lfsBuf),
  ]);
  assert.equal(r.status, 200, describe(r, "seed"));
  head = r.json.commitOid;
});
after(async () => hub?.stop());

const resolveUrl = (path, rev = "main") =>
  `/${REPO}/resolve/${rev}/${path.split("/").map(encodeURIComponent).join("/")}`;

async function get(path, headers = {}, opts = {}) {
  const res = await api(hub, resolveUrl(path, opts.rev), { token: opts.token ?? ALICE, headers, method: opts.method, redirect: opts.redirect });
  const body = Buffer.from(await res.arrayBuffer());
  return { res, body };
}

test("HEAD and GET of a regular file: 200 with metadata", async () => {
  const { res: h, body: hb } = await get("text.txt", { "Accept-Encoding": "identity" }, { method: "HEAD" });
  assert.equal(h.status, 200);
  assert.equal(hb.length, 0);
  assert.equal(h.headers.get("content-length"), String(text.length));
  assert.equal(h.headers.get("x-repo-commit"), head);
  assert.equal(h.headers.get("etag")?.replace(/^W\//, "").replace(/"/g, ""), gitBlobSha1(text));
  assert.equal(h.headers.get("accept-ranges"), "bytes");
  const { res: g, body } = await get("text.txt");
  assert.equal(g.status, 200);
  assert.ok(body.equals(text));
  assert.equal(g.headers.get("x-repo-commit"), head);
  // pinned to the commit and through the unicode/space path
  const { res: u, body: ub } = await get("dir with space/ünïcode #1.txt", {}, { rev: head });
  assert.equal(u.status, 200);
  assert.equal(ub.toString(), "unicode\n");
  // an empty file
  const { res: e, body: eb } = await get("empty.txt", {}, { method: "HEAD" });
  assert.equal(e.status, 200);
  assert.equal(e.headers.get("content-length"), "0");
  assert.equal(eb.length, 0);
  // anonymous works on a public repo
  const anon = await api(hub, resolveUrl("text.txt"));
  assert.equal(anon.status, 200);
  await anon.arrayBuffer();
});

test("single ranges on a regular file: 206, Content-Range, 416 past EOF", async () => {
  const n = text.length;
  const cases = [
    ["bytes=0-0", 0, 0],
    ["bytes=10-19", 10, 19],
    ["bytes=890-", 890, n - 1],
    ["bytes=0-", 0, n - 1],
    [`bytes=100-${n + 500}`, 100, n - 1], // end past EOF is clamped
    [`bytes=${n - 1}-${n - 1}`, n - 1, n - 1],
  ];
  for (const [range, a, b] of cases) {
    const { res, body } = await get("text.txt", { Range: range });
    assert.equal(res.status, 206, `${range}: status`);
    assert.equal(res.headers.get("content-range"), `bytes ${a}-${b}/${n}`, range);
    assert.equal(res.headers.get("content-length"), String(b - a + 1), range);
    assert.ok(body.equals(text.subarray(a, b + 1)), `${range}: body`);
  }
  for (const range of [`bytes=${n}-`, `bytes=${n + 10}-${n + 20}`]) {
    const { res } = await get("text.txt", { Range: range });
    assert.equal(res.status, 416, `${range}: status`);
    const cr = res.headers.get("content-range");
    assert.equal(cr, `bytes */${n}`, `${range}: Content-Range of a 416`);
  }
  // A HEAD with a range describes the partial response
  const { res: hr } = await get("text.txt", { Range: "bytes=0-0" }, { method: "HEAD" });
  assert.ok([200, 206].includes(hr.status));
});

test("odd ranges, on the API host and the blob host: suffix 206; reversed, garbage and multi-range the whole file (200)", async () => {
  // hub-protocol.md §12.6: a single range is honoured; an invalid one is ignored as RFC 9110 §14.2
  // and S3 do (200 with the whole body); several ranges are answered in full (localhub's
  // hub_resolve.cpp: "several ranges: answer in full", a multipart answer is never sent).
  for (const [file, buf] of [["text.txt", text], ["weights/model.bin", lfsBuf]]) {
    const n = buf.length;
    const suffix = await get(file, { Range: "bytes=-7" });
    assert.equal(suffix.res.status, 206, `${file} bytes=-7`);
    assert.equal(suffix.res.headers.get("content-range"), `bytes ${n - 7}-${n - 1}/${n}`, `${file} bytes=-7`);
    assert.ok(suffix.body.equals(buf.subarray(n - 7)), `${file} bytes=-7: the last 7 bytes`);
    const longSuffix = await get(file, { Range: `bytes=-${n + 100}` });
    assert.equal(longSuffix.res.status, 206, `${file} suffix longer than the file`);
    assert.equal(longSuffix.res.headers.get("content-range"), `bytes 0-${n - 1}/${n}`);
    assert.ok(longSuffix.body.equals(buf));
    for (const range of ["bytes=9-3", "bytes=abc", "bytes=1-x", "items=0-5", "bytes=", "bytes=0-3,10-12", "bytes=-3,0-1"]) {
      const { res, body } = await get(file, { Range: range });
      assert.equal(res.status, 200, `${file} ${range}: status`);
      assert.equal(res.headers.get("content-range"), null, `${file} ${range}: no Content-Range`);
      assert.equal(res.headers.get("content-length"), String(n), `${file} ${range}: Content-Length`);
      assert.ok(body.equals(buf), `${file} ${range}: the whole file`);
    }
  }
});

test("LFS resolve: 302 to the blob host with X-Linked-Etag, X-Linked-Size, X-Repo-Commit", async () => {
  for (const method of ["GET", "HEAD"]) {
    const { res } = await get("weights/model.bin", {}, { method, redirect: "manual" });
    assert.equal(res.status, 302, `${method} status`);
    const loc = res.headers.get("location");
    assert.ok(loc, "Location");
    const u = new URL(loc); // absolute
    assert.notEqual(u.hostname, new URL(hub.url).hostname, "the blob host has another host name");
    assert.match(u.hostname, /^127\./, "blob host in 127.0.0.0/8");
    assert.equal(res.headers.get("x-linked-etag")?.replace(/"/g, ""), sha256(lfsBuf), `${method} X-Linked-Etag`);
    assert.equal(res.headers.get("x-linked-size"), String(lfsBuf.length), `${method} X-Linked-Size`);
    assert.equal(res.headers.get("x-repo-commit"), head, `${method} X-Repo-Commit`);
    assert.equal(res.headers.get("x-xet-hash"), null, "no Xet headers (§12.7)");
    // The blob URL works without a token (clients drop it across hosts)
    const blob = await fetch(loc, { method });
    const body = Buffer.from(await blob.arrayBuffer());
    assert.equal(blob.status, 200, `${method} blob status`);
    assert.equal(blob.headers.get("content-length"), String(lfsBuf.length), `${method} blob Content-Length`);
    if (method === "GET") assert.ok(body.equals(lfsBuf), "blob bytes");
  }
  // fetch following the redirect gets the content
  const { res, body } = await get("weights/model.bin");
  assert.equal(res.status, 200);
  assert.ok(body.equals(lfsBuf));
  // /raw/ gives the pointer, not the content
  const raw = await api(hub, `/${REPO}/raw/main/weights/model.bin`, { token: ALICE });
  const pointer = await raw.text();
  assert.equal(raw.status, 200);
  assert.equal(pointer, `version https://git-lfs.github.com/spec/v1\noid sha256:${sha256(lfsBuf)}\nsize ${lfsBuf.length}\n`);
});

test("ranges on an LFS file, through the redirect and on the blob host", async () => {
  const n = lfsBuf.length;
  for (const [range, a, b] of [
    ["bytes=0-0", 0, 0],
    ["bytes=1000-70000", 1000, 70000],
    [`bytes=${n - 10}-`, n - 10, n - 1],
  ]) {
    const { res, body } = await get("weights/model.bin", { Range: range });
    assert.equal(res.status, 206, range);
    assert.equal(res.headers.get("content-range"), `bytes ${a}-${b}/${n}`, range);
    assert.ok(body.equals(lfsBuf.subarray(a, b + 1)), `${range}: body`);
  }
  const { res } = await get("weights/model.bin", { Range: `bytes=${n}-` });
  assert.equal(res.status, 416);
  await res.arrayBuffer().catch(() => {});
});

test("tree pagination: absolute Link rel=next, followed to the end, exact counts", async () => {
  const REPO2 = "alice/paginated";
  await createRepo(hub, ALICE, REPO2);
  const N = 2150;
  const ops = Array.from({ length: N }, (_, i) => fileOp(`d${i % 7}/f${String(i).padStart(4, "0")}.txt`, `${i}`));
  const r = await commit(hub, ALICE, REPO2, ops);
  assert.equal(r.status, 200, describe(r, "commit 2150 files"));
  const { items, pages, links } = await allPages(hub, `/api/models/${REPO2}/tree/main?recursive=true&expand=false`, ALICE);
  assert.ok(pages >= 3, `pages: ${pages}`);
  assert.equal(items.length, N + 1 + 7); // + .gitattributes + 7 folders
  assert.equal(new Set(items.map((e) => e.path)).size, items.length, "no duplicates across pages");
  assert.equal(items.filter((e) => e.type === "file").length, N + 1);
  // every Link but the last is absolute, on the host the client used, quoted rel
  for (const link of links.slice(0, -1)) {
    assert.match(link, /^<http:\/\/[^>]+>; rel="next"$/, `Link: ${link}`);
    const next = new URL(/^<([^>]+)>/.exec(link)[1]);
    assert.equal(next.origin, hub.url);
    assert.equal(next.pathname, `/api/models/${REPO2}/tree/main`);
    assert.equal(next.searchParams.get("recursive"), "true", "the next URL keeps the query");
  }
  assert.equal(links.at(-1), null, "the last page has no Link");
  // non-recursive listing of a folder
  const sub = await allPages(hub, `/api/models/${REPO2}/tree/main/d3`, ALICE);
  assert.equal(sub.items.length, Array.from({ length: N }, (_, i) => i).filter((i) => i % 7 === 3).length);
  // commits pagination with limit=1
  const commits = await allPages(hub, `/api/models/${REPO2}/commits/main?limit=1`, ALICE);
  assert.equal(commits.items.length, 2);
  assert.equal(commits.pages, 2);
});

test("repositories named like route keywords (resolve, raw, info, ...) resolve too", async () => {
  // /{ns}/{name}/resolve/{rev}/{path}: the name itself may be "resolve" or "raw" (valid repo names)
  const failures = [];
  for (const name of ["resolve", "raw", "info", "tree", "api", "datasets", "blob"]) {
    const repo = `alice/${name}`;
    await createRepo(hub, ALICE, repo);
    const c = await commit(hub, ALICE, repo, [fileOp("t.txt", "route\n")]);
    assert.equal(c.status, 200, describe(c, `commit to ${repo}`));
    for (const kind of ["resolve", "raw"]) {
      const r = await read(api(hub, `/${repo}/${kind}/main/t.txt`, { token: ALICE }));
      if (r.status !== 200 || r.text !== "route\n") failures.push(describe(r, `GET /${repo}/${kind}/main/t.txt`));
    }
    const info = await read(api(hub, `/api/models/${repo}/tree/main`, { token: ALICE }));
    if (info.status !== 200) failures.push(describe(info, `GET /api/models/${repo}/tree/main`));
  }
  assert.deepEqual(failures, []);
});
