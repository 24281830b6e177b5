// Repository names in URLs cannot reach another repository (issue 10, item 1).
//
// alice owns the private alice/secret; mallory owns mallory/mine. Every route family is asked,
// with mallory's token and anonymously, for repository ids that would walk from mallory's
// namespace into alice's on disk ("..%2F", "%2E%2E", "." + "%2F", a canonical "alice%2Fsecret",
// NUL, backslash, overlong and look-alike Unicode names). Each answer must be a 400 or 404 (401
// anonymous) and must carry none of alice's bytes, oids or commit ids; afterwards alice's
// repository is exactly as it was. Requests go through node:http, which sends the path
// verbatim (fetch would normalise "%2E%2E" and "." segments away before they left).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";

import { startLocalhub } from "../harness/localhub.mjs";
import { api, read, describe, createRepo, headSha, commit, fileOp, lfsOp, uploadLfs, sha256 } from "../harness/hubapi.mjs";

const ALICE = "hf_alice_traversal";
const MALLORY = "hf_mallory_traversal";
const SECRET = "TOPSECRET-bytes-of-alice\n";
const LFS_SECRET = Buffer.from("LFS-SECRET-of-alice ".repeat(100));
const LFS_OID = sha256(LFS_SECRET);
let hub;
let aliceHead;
let aliceRefs;

/** One request with the path sent exactly as given. */
function raw(method, path, { token, body, headers = {} } = {}) {
  const u = new URL(hub.url);
  return new Promise((resolve, reject) => {
    const h = { ...headers };
    if (token) h.Authorization = `Bearer ${token}`;
    let payload;
    if (body !== undefined) {
      payload = Buffer.from(typeof body === "string" ? body : JSON.stringify(body));
      h["Content-Type"] ??= "application/json";
      h["Content-Length"] = payload.length;
    }
    const req = http.request({ host: u.hostname, port: u.port, method, path, headers: h, agent: false }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, text: Buffer.concat(chunks).toString("latin1") }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(payload);
  });
}

before(async () => {
  hub = await startLocalhub({ users: [`alice:${ALICE}:write`, `mallory:${MALLORY}:write`] });
  await createRepo(hub, ALICE, "alice/secret", { isPrivate: true });
  await createRepo(hub, MALLORY, "mallory/mine");
  await uploadLfs(hub, ALICE, "alice/secret", LFS_SECRET);
  const r = await commit(hub, ALICE, "alice/secret", [fileOp("f.txt", SECRET), lfsOp("w.bin", LFS_SECRET)]);
  assert.equal(r.status, 200, describe(r, "seed alice/secret"));
  await read(await api(hub, "/api/models/alice/secret/tag/main", { token: ALICE, body: { tag: "v1" } }));
  await read(await api(hub, "/api/models/alice/secret/branch/keep", { token: ALICE, body: {} }));
  aliceHead = await headSha(hub, "alice/secret", ALICE);
  aliceRefs = (await read(await api(hub, "/api/models/alice/secret/refs", { token: ALICE }))).text;
});
after(async () => hub?.stop());

// Repository ids (as URL text) that point at alice/secret once decoded and joined into a path,
// or that are invalid in other ways a file system or a reader may trip on.
const EVIL = [
  "mallory/..%2Falice%2Fsecret",
  "mallory/%2E%2E%2Falice%2Fsecret",
  "mallory/%2e%2e%2Falice%2Fsecret",
  "..%2Fmodels%2Falice/secret",
  "%2E%2E%2Fmodels%2Falice/secret",
  ".%2Falice/secret",
  "%2E/alice%2Fsecret",
  "alice/.%2Fsecret",
  "alice%2F/secret",
  "mallory/..%5Calice%5Csecret",
  "alice/secret%00",
  "alice%00/secret",
  "mallory/mine%00..%2F..%2Falice%2Fsecret",
  `mallory/${"a".repeat(300)}`,
  `${"b".repeat(5000)}/secret`,
  "%D0%B0lice/secret", // Cyrillic "а"
  "alice/s%D0%B5cret", // Cyrillic "е"
  "alice/secret%E2%80%8B", // zero-width space
  "alice/..",
  "alice/.",
  "mallory/%2E%2E",
];
// The namespace-less form: "/api/models/{name}" with the slash inside the name.
const EVIL_CANONICAL = ["alice%2Fsecret", "..%2Fmodels%2Falice%2Fsecret", "%2E%2E%2Falice%2Fsecret"];

function routes(id) {
  const ndjson = [
    JSON.stringify({ key: "header", value: { summary: "evil", description: "" } }),
    JSON.stringify({ key: "file", value: { path: "f.txt", content: Buffer.from("pwned").toString("base64"), encoding: "base64" } }),
  ].join("\n");
  return [
    ["GET", `/api/models/${id}`],
    ["GET", `/api/models/${id}?blobs=true`],
    ["GET", `/api/models/${id}/revision/main`],
    ["GET", `/api/models/${id}/tree/main`],
    ["GET", `/api/models/${id}/tree/main?recursive=true&expand=true`],
    ["POST", `/api/models/${id}/paths-info/main`, { paths: ["f.txt", "w.bin"], expand: true }],
    ["GET", `/api/models/${id}/refs?include_prs=1`],
    ["GET", `/api/models/${id}/commits/main`],
    ["POST", `/api/models/${id}/preupload/main`, { files: [{ path: "f.txt", size: 5, sample: "cHduZWQ=" }] }],
    ["POST", `/api/models/${id}/commit/main`, ndjson, { "Content-Type": "application/x-ndjson" }],
    ["POST", `/api/models/${id}/commit/main?create_pr=1`, ndjson, { "Content-Type": "application/x-ndjson" }],
    ["POST", `/api/models/${id}/branch/evil`, {}],
    ["DELETE", `/api/models/${id}/branch/keep`],
    ["POST", `/api/models/${id}/tag/main`, { tag: "evil" }],
    ["DELETE", `/api/models/${id}/tag/v1`],
    ["POST", `/api/models/${id}/super-squash/main`, { message: "squashed" }],
    ["PUT", `/api/models/${id}/settings`, { private: false }],
    ["GET", `/api/models/${id}/auth-check`],
    ["GET", `/api/models/${id}/auth-check/write`],
    ["GET", `/${id}/resolve/main/f.txt`],
    ["HEAD", `/${id}/resolve/main/f.txt`],
    ["GET", `/${id}/resolve/main/w.bin`],
    ["GET", `/${id}/raw/main/f.txt`],
    ["GET", `/${id}/raw/main/w.bin`],
    ["POST", `/${id}.git/info/lfs/objects/batch`,
      { operation: "download", transfers: ["basic"], objects: [{ oid: LFS_OID, size: LFS_SECRET.length }] },
      { "Content-Type": "application/vnd.git-lfs+json" }],
    ["POST", `/${id}.git/info/lfs/objects/batch`,
      { operation: "upload", transfers: ["basic"], ref: { name: "main" }, objects: [{ oid: "1".repeat(64), size: 3 }] },
      { "Content-Type": "application/vnd.git-lfs+json" }],
  ];
}

function assertNothingLeaked(r, what) {
  assert.ok([400, 401, 404].includes(r.status), `${what}: expected 400/404 (401 anonymous), got ${r.status}: ${r.text.slice(0, 300)}`);
  for (const needle of ["TOPSECRET", "LFS-SECRET", LFS_OID, aliceHead, "keep", "v1"]) {
    if (needle === "keep" || needle === "v1") {
      // ref names only leak through a refs listing
      if (r.text.includes('"branches"')) assert.fail(`${what}: refs listed: ${r.text.slice(0, 300)}`);
      continue;
    }
    assert.ok(!r.text.includes(needle), `${what}: the answer leaks ${needle.slice(0, 20)}: ${r.text.slice(0, 300)}`);
    for (const [k, v] of Object.entries(r.headers))
      assert.ok(!String(v).includes(needle), `${what}: header ${k} leaks ${needle.slice(0, 20)}`);
  }
}

async function assertAliceUntouched(what) {
  assert.equal(await headSha(hub, "alice/secret", ALICE), aliceHead, `${what}: alice's main moved`);
  const refs = (await read(await api(hub, "/api/models/alice/secret/refs", { token: ALICE }))).text;
  assert.equal(refs, aliceRefs, `${what}: alice's refs changed`);
  const info = await read(await api(hub, "/api/models/alice/secret", { token: ALICE }));
  assert.equal(info.json.private, true, `${what}: alice's repo is no longer private`);
  const anon = await read(await api(hub, "/api/models/alice/secret"));
  assert.equal(anon.status, 401, `${what}: alice's repo became visible anonymously`);
}

test("sanity: alice reads her repo, mallory and anonymous get 404/401", async () => {
  const own = await raw("GET", "/alice/secret/resolve/main/f.txt", { token: ALICE });
  assert.equal(own.text, SECRET);
  const m = await raw("GET", "/alice/secret/resolve/main/f.txt", { token: MALLORY });
  assert.equal(m.status, 404);
  const a = await raw("GET", "/alice/secret/resolve/main/f.txt");
  assert.equal(a.status, 401);
});

for (const who of [["mallory", () => MALLORY], ["anonymous", () => undefined]]) {
  test(`traversal in repository ids reaches nothing (${who[0]})`, async () => {
    for (const id of EVIL) {
      for (const [method, path, body, headers] of routes(id)) {
        const r = await raw(method, path, { token: who[1](), body, headers });
        assertNothingLeaked(r, `${who[0]} ${method} ${path.slice(0, 160)}`);
      }
    }
    for (const name of EVIL_CANONICAL) {
      for (const path of [`/api/models/${name}`, `/api/models/${name}/tree/main`, `/api/models/${name}/refs`,
                          `/api/models/${name}/revision/main`, `/${name}/resolve/main/f.txt`]) {
        const r = await raw("GET", path, { token: who[1]() });
        assertNothingLeaked(r, `${who[0]} GET ${path}`);
      }
      const r = await raw("PUT", `/api/models/${name}/settings`, { token: who[1](), body: { private: false } });
      assertNothingLeaked(r, `${who[0]} PUT settings of ${name}`);
    }
    await assertAliceUntouched(who[0]);
  });
}

test("invalid names in repository URLs answer 400, whatever exists on disk", async () => {
  for (const id of ["mallory/..%2Falice%2Fsecret", "alice/secret%00", "%D0%B0lice/secret", `mallory/${"a".repeat(300)}`]) {
    const r = await raw("GET", `/api/models/${id}`, { token: MALLORY });
    assert.equal(r.status, 400, `GET /api/models/${id}: ${r.status} ${r.text}`);
    assert.equal(typeof JSON.parse(r.text).error, "string");
  }
});

test("create, delete and move refuse names that walk out of a namespace", async () => {
  const attempts = [
    ["POST", "/api/repos/create", { name: "../alice/secret", organization: "mallory" }],
    ["POST", "/api/repos/create", { name: "mallory/../../alice/secret2" }],
    ["POST", "/api/repos/create", { name: "secret\u0000x", organization: "mallory" }],
    ["POST", "/api/repos/create", { name: "s\u0435cret", organization: "mallory" }],
    ["DELETE", "/api/repos/delete", { name: "../alice/secret", organization: "mallory" }],
    ["DELETE", "/api/repos/delete", { name: "secret", organization: "mallory/../alice" }],
    ["POST", "/api/repos/move", { fromRepo: "mallory/../alice/secret", toRepo: "mallory/stolen" }],
    ["POST", "/api/repos/move", { fromRepo: "mallory/mine", toRepo: "mallory/../alice/secret" }],
  ];
  for (const [method, path, body] of attempts) {
    const r = await raw(method, path, { token: MALLORY, body });
    assert.ok([400, 403, 404].includes(r.status), `${method} ${path} ${JSON.stringify(body)}: ${r.status} ${r.text}`);
    assertNothingLeaked({ ...r, status: 400 }, `${method} ${JSON.stringify(body)}`);
  }
  await assertAliceUntouched("create/delete/move");
  const mine = await read(await api(hub, "/api/models/mallory/mine", { token: MALLORY }));
  assert.equal(mine.status, 200, "mallory/mine is still there");
});
