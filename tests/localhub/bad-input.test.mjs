// Bad input: malformed JSON and NDJSON, bad base64, path traversal in commits, over-long names.
// Every rejection must be a 400 (or 422 for invalid paths, as the Hub does) with a JSON
// {"error": message} body, and must leave the repository exactly as it was.

import { test, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";

import { startLocalhub } from "../harness/localhub.mjs";
import { api, read, describe, createRepo, headSha, commit, ndjson, fileOp } from "../harness/hubapi.mjs";

const ALICE = "hf_alice_badinput";
const REPO = "alice/bad-input";
let hub;
let head; // head of REPO before every rejected request

before(async () => {
  hub = await startLocalhub({ users: [`alice:${ALICE}:write`] });
  await createRepo(hub, ALICE, REPO);
  const r = await commit(hub, ALICE, REPO, [fileOp("keep.txt", "kept\n"), fileOp("dir/a.txt", "a\n")], { summary: "seed" });
  assert.equal(r.status, 200, describe(r, "seed commit"));
  head = r.json.commitOid;
});
after(async () => hub?.stop());
// Each test compares with the head as it found it, so one failure does not cascade.
beforeEach(async () => {
  head = await headSha(hub, REPO, ALICE);
});

/** Assert a rejection with a JSON error body. */
function assertRejected(r, what, statuses = [400]) {
  assert.ok(statuses.includes(r.status), `${what}: expected ${statuses.join(" or ")}${describe(r)}`);
  assert.equal(typeof r.json, "object", `${what}: body is not JSON${describe(r)}`);
  assert.equal(typeof r.json?.error, "string", `${what}: no {"error": string}${describe(r)}`);
  assert.ok(r.json.error.length > 0, `${what}: empty error message`);
  assert.match(r.headers.get("content-type") ?? "", /json/, `${what}: content-type`);
}

async function assertUnchanged(what) {
  assert.equal(await headSha(hub, REPO, ALICE), head, `${what}: the head commit moved`);
}

// ---------------------------------------------------------------------------------------------

test("malformed JSON bodies → 400 with a JSON error", async () => {
  const syntaxErrors = ["{not json", "[1, 2", '{"name": "x"', "\u0000\u0001", "{'single': 'quotes'}", '{"a": 1,}'];
  const notObjects = ["", "null", "42", '"a string"', "[]"];
  const endpoints = [
    // [path, content type, does a valid non-object body have to be refused too?]
    ["/api/repos/create", "application/json", true],
    [`/api/models/${REPO}/paths-info/main`, "application/json", true],
    [`/api/models/${REPO}/preupload/main`, "application/json", true],
    [`/${REPO}.git/info/lfs/objects/batch`, "application/vnd.git-lfs+json", true],
    // branch options and validate-yaml are lenient about empty/non-object bodies, not about syntax
    [`/api/models/${REPO}/branch/newbranch`, "application/json", false],
    ["/api/validate-yaml", "application/json", false],
  ];
  for (const [url, type, strict] of endpoints) {
    for (const body of strict ? [...syntaxErrors, ...notObjects] : syntaxErrors) {
      const r = await read(await api(hub, url, { token: ALICE, body, headers: { "Content-Type": type } }));
      assertRejected(r, `POST ${url} with body ${JSON.stringify(body)}`);
    }
  }
  await assertUnchanged("malformed JSON");
  // no branch was created by any of the above
  const refs = await read(await api(hub, `/api/models/${REPO}/refs`, { token: ALICE }));
  assert.deepEqual(refs.json.branches.map((b) => b.name), ["main"]);
  // no repo was created
  const list = await read(await api(hub, "/api/models?author=alice", { token: ALICE }));
  assert.equal(list.status, 200, describe(list, "list alice's models"));
  assert.deepEqual(list.json.map((m) => m.id), [REPO]);
});

test("JSON of the wrong shape → 400", async () => {
  const cases = [
    ["/api/repos/create", { name: 42, organization: "alice" }],
    ["/api/repos/create", { organization: "alice" }],
    [`/api/models/${REPO}/paths-info/main`, { paths: "keep.txt" }],
    [`/api/models/${REPO}/paths-info/main`, { paths: [1, 2] }],
    [`/api/models/${REPO}/preupload/main`, { files: "x" }],
    [`/api/models/${REPO}/preupload/main`, { files: [{ path: "../x", size: 1, sample: "" }] }],
    [`/${REPO}.git/info/lfs/objects/batch`, { operation: "upload" }],
    [`/${REPO}.git/info/lfs/objects/batch`, { operation: "delete", objects: [] }],
    // fields of the wrong JSON type (these were 500s: nlohmann's value() throws on a type mismatch)
    [`/${REPO}.git/info/lfs/objects/batch`, { operation: 5, objects: [] }],
    [`/${REPO}.git/info/lfs/objects/batch`, { operation: "upload", ref: { name: 7 }, objects: [{ oid: 1, size: -1 }] }],
    [`/api/models/${REPO}/branch/typed`, { overwrite: "yes", emptyBranch: "no", startingPoint: 3 }],
  ];
  for (const [url, body] of cases) {
    const r = await read(await api(hub, url, { token: ALICE, body }));
    if (url.includes("/branch/") && r.status === 200) continue; // lenient: non-boolean flags read as false
    if (url.includes("/batch") && r.status === 200 && r.json.objects.every((o) => o.error?.code === 422)) continue; // per-object errors
    assertRejected(r, `POST ${url} ${JSON.stringify(body)}`, [400, 422]);
  }
  await read(await api(hub, `/api/models/${REPO}/branch/typed`, { token: ALICE, method: "DELETE" }));
  const typed = await commit(hub, ALICE, REPO, `${JSON.stringify({ key: "header", value: { summary: "s" } })}\n` +
    JSON.stringify({ key: "file", value: { path: "t.txt", content: "eA==", encoding: 64 } }));
  assertRejected(typed, "a commit with encoding: 64", [400]);
  await assertUnchanged("wrong JSON shapes");
});

test("malformed NDJSON commit bodies → 400 and nothing committed", async () => {
  const good = JSON.stringify(fileOp("new.txt", "new\n"));
  const header = JSON.stringify({ key: "header", value: { summary: "s", description: "" } });
  const cases = {
    "empty body": "",
    "only whitespace": "\n\n",
    "not JSON": "this is not json",
    "header not JSON": `{"key": "header", "value": {\n${good}`,
    "operation line not JSON": `${header}\n${good}\n{"key": "file", "value": `,
    "no header line": good,
    "header without summary": `${JSON.stringify({ key: "header", value: { description: "d" } })}\n${good}`,
    "line is an array": `${header}\n[1,2,3]`,
    "line is a string": `${header}\n"file"`,
    "value is not an object": `${header}\n${JSON.stringify({ key: "file", value: "x" })}`,
    "unknown key": `${header}\n${JSON.stringify({ key: "renameEverything", value: { path: "x" } })}`,
    "file without path": `${header}\n${JSON.stringify({ key: "file", value: { content: "eA==", encoding: "base64" } })}`,
    "file without content": `${header}\n${JSON.stringify({ key: "file", value: { path: "x.txt", encoding: "base64" } })}`,
    "path not a string": `${header}\n${JSON.stringify({ key: "file", value: { path: 7, content: "eA==", encoding: "base64" } })}`,
    "unknown encoding": `${header}\n${JSON.stringify({ key: "file", value: { path: "x.txt", content: "eA==", encoding: "rot13" } })}`,
    "lfsFile with a bad oid": `${header}\n${JSON.stringify({ key: "lfsFile", value: { path: "x.bin", algo: "sha256", oid: "xyz", size: 3 } })}`,
    "lfsFile with a negative size": `${header}\n${JSON.stringify({ key: "lfsFile", value: { path: "x.bin", algo: "sha256", oid: "a".repeat(64), size: -1 } })}`,
    "trailing garbage after valid lines": `${header}\n${good}\n}}}`,
  };
  for (const [what, body] of Object.entries(cases)) {
    const r = await commit(hub, ALICE, REPO, body);
    assertRejected(r, `commit: ${what}`, [400, 422]);
    await assertUnchanged(`commit: ${what}`);
  }
  // The same NDJSON with and without a trailing newline is accepted (sanity check of the above).
  const ok = await commit(hub, ALICE, REPO, `${header}\n${good}\n`);
  assert.equal(ok.status, 200, describe(ok, "valid commit with trailing newline"));
  head = ok.json.commitOid;
  const ok2 = await commit(hub, ALICE, REPO, `${header}\n${JSON.stringify(fileOp("new2.txt", "x"))}`);
  assert.equal(ok2.status, 200, describe(ok2, "valid commit without trailing newline"));
  head = ok2.json.commitOid;
});

test("bad base64 in a file operation → 400, nothing committed", async () => {
  for (const content of ["!!!!", "a===", "abc$def", "YWJj\u0000", "==YWJj", "YW Jj!"]) {
    const body = ndjson("bad b64", [
      fileOp("fine.txt", "fine\n"),
      { key: "file", value: { path: "bad.txt", content, encoding: "base64" } },
    ]);
    const r = await commit(hub, ALICE, REPO, body);
    assertRejected(r, `base64 content ${JSON.stringify(content)}`);
    await assertUnchanged(`base64 ${JSON.stringify(content)}`);
  }
  const tree = await read(await api(hub, `/api/models/${REPO}/tree/main`, { token: ALICE }));
  assert.ok(!tree.json.some((e) => e.path === "fine.txt" || e.path === "bad.txt"), "a partial commit happened");
});

test("path traversal and invalid paths in commit operations → 400/422, repo unchanged", async () => {
  const badPaths = [
    "../escape.txt",
    "a/../../escape.txt",
    "dir/../keep.txt",
    "..",
    ".",
    "./x/../../y",
    "/etc/passwd",
    "/abs.txt",
    "nul\u0000byte.txt",
    "back\\slash.txt",
    "..\\escape.txt",
    ".git/config",
    "sub/.git/hooks/post-commit",
    ".git",
    "a//b.txt",
    "",
    "dir/",
  ];
  for (const p of badPaths) {
    for (const op of [
      { key: "file", value: { path: p, content: "eA==", encoding: "base64" } },
      { key: "lfsFile", value: { path: p, algo: "sha256", oid: "a".repeat(64), size: 1 } },
      { key: "deletedFile", value: { path: p } },
    ]) {
      // a/b.txt with a double slash may be normalised by a lenient server; it must still not escape
      const r = await commit(hub, ALICE, REPO, ndjson("traversal", [fileOp("ok.txt", "ok"), op]));
      if (p === "a//b.txt" && r.status === 200) {
        head = r.json.commitOid;
        continue;
      }
      // "dir/" names an existing folder: a 409 conflict (or 404 "no such file" on delete) is fine
      assertRejected(r, `${op.key} with path ${JSON.stringify(p)}`, p === "dir/" ? [400, 404, 409, 422] : [400, 422]);
      await assertUnchanged(`${op.key} ${JSON.stringify(p)}`);
    }
  }
  for (const p of ["../x", "/x", ".git", "a\\b"]) {
    const r = await commit(hub, ALICE, REPO, ndjson("traversal", [{ key: "deletedFolder", value: { path: p } }]));
    assertRejected(r, `deletedFolder ${JSON.stringify(p)}`, [400, 422]);
    await assertUnchanged(`deletedFolder ${JSON.stringify(p)}`);
  }
  // Nothing was written as a plain file: localhub's work dir holds no escape.txt anywhere.
  const { execFileSync } = await import("node:child_process");
  const found = execFileSync("find", [path.dirname(hub.dataDir), "-name", "escape.txt"], { encoding: "utf8" });
  assert.equal(found.trim(), "", `files written outside the repo: ${found}`);
  // and the tree holds only the seeded names
  const tree = await read(await api(hub, `/api/models/${REPO}/tree/main?recursive=true`, { token: ALICE }));
  for (const e of tree.json) assert.match(e.path, /^[A-Za-z0-9._\/-]+$/, `odd path in tree: ${JSON.stringify(e.path)}`);
  assert.ok(!tree.json.some((e) => e.path.split("/").some((s) => s === ".." || s === "." || s === ".git" || s === "")));
});

test("paths-info and tree with traversal paths do not escape", async () => {
  const r = await read(await api(hub, `/api/models/${REPO}/paths-info/main`, { token: ALICE, body: { paths: ["../../etc/passwd", "/etc/passwd"] } }));
  assert.ok([200, 400, 422].includes(r.status), describe(r, "paths-info traversal"));
  if (r.status === 200) assert.deepEqual(r.json, []);  // either refused or nothing found: never a leak
  const t = await read(await api(hub, `/api/models/${REPO}/tree/main/..%2F..%2F..`, { token: ALICE }));
  assert.ok([400, 404].includes(t.status), describe(t, "tree ../../.."));
  const res = await read(await api(hub, `/${REPO}/resolve/main/..%2F..%2Flocalhub.json`, { token: ALICE }));
  assert.ok([400, 404].includes(res.status), describe(res, "resolve ../../localhub.json"));
});

test("over-long and invalid repo names → 400, nothing created", async () => {
  const cases = [
    ["alice", "x".repeat(97)],
    ["alice", "y".repeat(5000)],
    ["alice", "bad name"],
    ["alice", "-leading"],
    ["alice", "trailing."],
    ["alice", "double--dash"],
    ["alice", "dot..dot"],
    ["alice", "name.git"],
    ["alice", ""],
    ["alice", "..\u0000"],
  ];
  for (const [organization, name] of cases) {
    const r = await read(await api(hub, "/api/repos/create", { token: ALICE, body: { name, organization } }));
    assertRejected(r, `create ${organization}/${JSON.stringify(name.slice(0, 40))} (${name.length} chars)`, [400, 422]);
  }
  // 96 characters is the longest valid name
  const longest = "z".repeat(96);
  const ok = await read(await api(hub, "/api/repos/create", { token: ALICE, body: { name: longest, organization: "alice" } }));
  assert.equal(ok.status, 200, describe(ok, "create a 96-character name"));
  // an over-long name in a URL is not a server error
  const g = await read(await api(hub, `/api/models/alice/${"q".repeat(3000)}`, { token: ALICE }));
  assert.ok([400, 404].includes(g.status), describe(g, "GET an over-long repo id"));
  const listing = await read(await api(hub, "/api/models?author=alice", { token: ALICE }));
  assert.equal(listing.status, 200, describe(listing, "list alice's models"));
  assert.deepEqual(listing.json.map((m) => m.id).sort(), [REPO, `alice/${longest}`].sort());
});

test("an over-long path in a commit is rejected", async () => {
  const longPath = "d/".repeat(3000) + "f.txt";
  const r = await commit(hub, ALICE, REPO, [fileOp(longPath, "x")]);
  assert.ok([400, 413, 422].includes(r.status), describe(r, "commit a 6 kB path"));
  await assertUnchanged("long path");
});

test("over-long branch and tag names are a 400, not a server error, and leak no paths", async () => {
  const failures = [];
  for (const [what, url, body] of [
    ["branch of 300 chars", `/api/models/${REPO}/branch/${"b".repeat(300)}`, {}],
    ["branch of 5000 chars", `/api/models/${REPO}/branch/${"b".repeat(5000)}`, {}],
    ["branch with a 300-char segment", `/api/models/${REPO}/branch/${encodeURIComponent("x/" + "c".repeat(300))}`, {}],
    ["tag of 300 chars", `/api/models/${REPO}/tag/main`, { tag: "t".repeat(300) }],
    ["tag of 5000 chars", `/api/models/${REPO}/tag/main`, { tag: "t".repeat(5000) }],
  ]) {
    const r = await read(api(hub, url, { token: ALICE, body }));
    if (![400, 414, 422, 431].includes(r.status)) failures.push(describe(r, what));
    else if (r.text.includes(hub.dataDir)) failures.push(`${what}: the error reveals the data directory: ${r.text.slice(0, 300)}`);
  }
  const refs = await read(api(hub, `/api/models/${REPO}/refs`, { token: ALICE }));
  assert.deepEqual(refs.json.branches.map((b) => b.name), ["main"]);
  assert.deepEqual(refs.json.tags, []);
  assert.deepEqual(failures, []);
});

test("an invalid branch name is a 400", async () => {
  const bad = await read(await api(hub, `/api/models/${REPO}/branch/${encodeURIComponent("bad..name")}`, { token: ALICE, body: {} }));
  assertRejected(bad, "create branch bad..name", [400, 422]);
});
