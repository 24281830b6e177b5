// Errors as the Hub gives them (protocol §3.1, §3.3, §12.2) and the access rules of
// tools/localhub/README.md: X-Error-Code, JSON {"error"} bodies, 401 vs 404 for private repos,
// bad tokens, read tokens.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";

import { startLocalhub } from "../harness/localhub.mjs";
import { api, read, describe, createRepo, headSha, commit, fileOp, sha256 } from "../harness/hubapi.mjs";

const ALICE = "hf_alice_errors_write";
const BOB = "hf_bob_errors_write";
const RITA = "hf_rita_errors_read"; // read-only member of org acme
let hub;
let pubHead;

before(async () => {
  hub = await startLocalhub({
    users: [`alice:${ALICE}:write`, `bob:${BOB}:write`, `rita:${RITA}:read`],
    orgs: ["acme:alice,rita"],
  });
  await createRepo(hub, ALICE, "alice/public");
  await createRepo(hub, ALICE, "alice/private", { isPrivate: true });
  await createRepo(hub, ALICE, "acme/team-private", { isPrivate: true });
  for (const repo of ["alice/public", "alice/private", "acme/team-private"]) {
    const r = await commit(hub, ALICE, repo, [fileOp("a.txt", "a\n"), fileOp("dir/b.txt", "b\n")]);
    assert.equal(r.status, 200, describe(r, `seed ${repo}`));
  }
  pubHead = await headSha(hub, "alice/public", ALICE);
});
after(async () => hub?.stop());

async function expectError(path, { token, method, body, headers, status, code, what }) {
  const r = await read(await api(hub, path, { token, method, body, headers, redirect: "manual" }));
  const label = what ?? `${method ?? "GET"} ${path} (${token ? "token" : "anonymous"})`;
  assert.equal(r.status, status, describe(r, label));
  if (code !== undefined) assert.equal(r.headers.get("x-error-code"), code, `${label}: X-Error-Code${describe(r)}`);
  if (method !== "HEAD") assert.equal(typeof r.json?.error, "string", `${label}: JSON {"error"}${describe(r)}`);
  return r;
}

test("missing repo: 404 RepoNotFound with a token, 401 anonymous", async () => {
  for (const path of [
    "/api/models/alice/nope",
    "/api/models/alice/nope/revision/main",
    "/api/models/alice/nope/tree/main",
    "/api/models/alice/nope/refs",
    "/api/models/alice/nope/commits/main",
    "/alice/nope/resolve/main/a.txt",
    "/api/datasets/alice/public", // a model id asked for as a dataset
  ]) {
    await expectError(path, { token: ALICE, status: 404, code: "RepoNotFound" });
    await expectError(path, { status: 401, code: "RepoNotFound" });
  }
  await expectError("/api/models/alice/nope/paths-info/main", { token: ALICE, body: { paths: ["a"] }, status: 404, code: "RepoNotFound" });
  await expectError("/alice/nope/resolve/main/a.txt", { token: ALICE, method: "HEAD", status: 404, code: "RepoNotFound" });
});

test("unknown revision: 404 RevisionNotFound", async () => {
  for (const path of [
    "/api/models/alice/public/revision/no-such-branch",
    "/api/models/alice/public/tree/no-such-branch",
    "/api/models/alice/public/commits/no-such-branch",
    "/alice/public/resolve/no-such-branch/a.txt",
    `/alice/public/resolve/${"0".repeat(40)}/a.txt`,
  ]) {
    await expectError(path, { token: ALICE, status: 404, code: "RevisionNotFound" });
    await expectError(path, { status: 404, code: "RevisionNotFound" }); // public repo: anonymous too
  }
  await expectError("/alice/public/resolve/no-such-branch/a.txt", { method: "HEAD", status: 404, code: "RevisionNotFound" });
  await expectError("/api/models/alice/public/paths-info/no-such-branch", { body: { paths: ["a.txt"] }, status: 404, code: "RevisionNotFound" });
});

test("unknown file or folder: 404 EntryNotFound, with X-Repo-Commit on resolve", async () => {
  const r = await expectError("/alice/public/resolve/main/missing.txt", { status: 404, code: "EntryNotFound" });
  assert.equal(r.headers.get("x-repo-commit"), pubHead);
  const h = await expectError("/alice/public/resolve/main/missing.txt", { method: "HEAD", status: 404, code: "EntryNotFound" });
  assert.equal(h.headers.get("x-repo-commit"), pubHead);
  await expectError("/alice/public/resolve/main/dir", { status: 404, code: "EntryNotFound", what: "resolve of a folder" });
  await expectError("/api/models/alice/public/tree/main/no-such-dir", { status: 404, code: "EntryNotFound" });
  await expectError("/alice/public/raw/main/missing.txt", { status: 404, code: "EntryNotFound" });
  // deleting a missing file in a commit
  const d = await commit(hub, ALICE, "alice/public", [{ key: "deletedFile", value: { path: "missing.txt" } }]);
  assert.equal(d.status, 404, describe(d, "delete a missing file"));
  assert.equal(d.headers.get("x-error-code"), "EntryNotFound");
  assert.equal(await headSha(hub, "alice/public", ALICE), pubHead);
});

test("private repo: 401 anonymous, 404 RepoNotFound for another user, 200 for the owner", async () => {
  for (const path of [
    "/api/models/alice/private",
    "/api/models/alice/private/revision/main",
    "/api/models/alice/private/tree/main",
    "/api/models/alice/private/refs",
    "/api/models/alice/private/commits/main",
    "/alice/private/resolve/main/a.txt",
    "/alice/private/raw/main/a.txt",
  ]) {
    await expectError(path, { status: 401, code: "RepoNotFound" });
    const other = await expectError(path, { token: BOB, status: 404, code: "RepoNotFound" });
    // exactly like a missing repository: the body does not reveal existence
    const missing = await read(await api(hub, path.replace("alice/private", "alice/nonexistent"), { token: BOB }));
    assert.equal(other.text, missing.text, `${path}: private and missing answer differently`);
    const own = await read(await api(hub, path, { token: ALICE }));
    assert.equal(own.status, 200, describe(own, `${path} as the owner`));
  }
  // unknown revision/entry in a private repo are not leaked either
  await expectError("/alice/private/resolve/nope/a.txt", { token: BOB, status: 404, code: "RepoNotFound" });
  await expectError("/alice/private/resolve/main/missing", { token: BOB, status: 404, code: "RepoNotFound" });
  await expectError("/api/models/alice/private/paths-info/main", { token: BOB, body: { paths: ["a.txt"] }, status: 404, code: "RepoNotFound" });
  // not listed to others
  const listing = await read(await api(hub, "/api/models?author=alice", { token: BOB }));
  assert.equal(listing.status, 200, describe(listing, "bob lists alice's models"));
  assert.deepEqual(listing.json.map((m) => m.id), ["alice/public"]);
  const anon = await read(await api(hub, "/api/models?author=alice"));
  assert.equal(anon.status, 200, describe(anon, "anonymous lists alice's models"));
  assert.deepEqual(anon.json.map((m) => m.id), ["alice/public"]);
  // org members read org-private repos (rita's read token included)
  const rita = await read(await api(hub, "/api/models/acme/team-private", { token: RITA }));
  assert.equal(rita.status, 200, describe(rita, "org member reads org-private repo"));
  await expectError("/api/models/acme/team-private", { token: BOB, status: 404, code: "RepoNotFound" });
});

test("bad token: 401 with X-Error-Message, even on public resources", async () => {
  for (const [path, opts] of [
    ["/api/whoami-v2", {}],
    ["/api/models/alice/public", {}],
    ["/api/models/alice/public/tree/main", {}],
    ["/alice/public/resolve/main/a.txt", {}],
    ["/api/models/alice/public/commit/main", { body: '{"key":"header","value":{"summary":"x"}}' }],
    ["/api/repos/create", { body: { name: "x", organization: "alice" } }],
  ]) {
    const r = await expectError(path, { token: "hf_this_token_is_unknown", status: 401, ...opts });
    assert.equal(r.headers.get("x-error-message"), "Invalid credentials in Authorization header", describe(r, path));
  }
  // whoami without any token is a 401 too
  await expectError("/api/whoami-v2", { status: 401 });
  assert.equal(await headSha(hub, "alice/public", ALICE), pubHead);
});

test("write needs a write token with access to the namespace: 403", async () => {
  const acmeHead = await headSha(hub, "acme/team-private", ALICE);
  // rita (read token) is a member of acme but cannot commit, create or upload
  let r = await commit(hub, RITA, "acme/team-private", [fileOp("rita.txt", "r")]);
  assert.equal(r.status, 403, describe(r, "commit with a read token"));
  assert.equal(typeof r.json?.error, "string");
  assert.equal(await headSha(hub, "acme/team-private", ALICE), acmeHead);
  r = await read(await api(hub, "/api/repos/create", { token: RITA, body: { name: "r", organization: "rita" } }));
  assert.equal(r.status, 403, describe(r, "create with a read token"));
  r = await read(await api(hub, "/api/repos/create", { token: RITA, body: { name: "r", organization: "acme" } }));
  assert.equal(r.status, 403, describe(r, "create in org with a read token"));
  const buf = Buffer.from("lfs content");
  r = await read(
    await api(hub, "/acme/team-private.git/info/lfs/objects/batch", {
      token: RITA,
      body: { operation: "upload", transfers: ["basic"], ref: { name: "main" }, objects: [{ oid: sha256(buf), size: buf.length }] },
    }),
  );
  assert.equal(r.status, 403, describe(r, "LFS upload batch with a read token"));
  r = await read(await api(hub, "/api/models/acme/team-private/branch/rita", { token: RITA, body: {} }));
  assert.equal(r.status, 403, describe(r, "create branch with a read token"));
  r = await read(await api(hub, "/api/models/acme/team-private/preupload/main", { token: RITA, body: { files: [{ path: "x", size: 1, sample: "" }] } }));
  assert.ok([200, 403].includes(r.status), describe(r, "preupload with a read token")); // allowed on the Hub for PRs
  // bob (write token) cannot write to alice's public repo
  r = await commit(hub, BOB, "alice/public", [fileOp("bob.txt", "b")]);
  assert.equal(r.status, 403, describe(r, "commit to another user's public repo"));
  assert.equal(await headSha(hub, "alice/public", ALICE), pubHead);
  r = await read(await api(hub, "/api/repos/create", { token: BOB, body: { name: "x", organization: "acme" } }));
  assert.equal(r.status, 403, describe(r, "create in an org one is not a member of"));
  // alice (write, member) can write to acme
  r = await commit(hub, ALICE, "acme/team-private", [fileOp("alice.txt", "a")]);
  assert.equal(r.status, 200, describe(r, "org member with write token commits"));
});

test("anonymous writes: 401 (no credentials), nothing changes", async () => {
  const buf = Buffer.from("anonymous lfs");
  const cases = [
    ["anonymous LFS batch upload", () => read(api(hub, "/alice/public.git/info/lfs/objects/batch", {
      body: { operation: "upload", transfers: ["basic"], ref: { name: "main" }, objects: [{ oid: sha256(buf), size: buf.length }] },
    }))],
    ["anonymous create", () => read(api(hub, "/api/repos/create", { body: { name: "x", organization: "alice" } }))],
    ["anonymous commit", () => commit(hub, undefined, "alice/public", [fileOp("anon.txt", "a")])],
    ["anonymous branch", () => read(api(hub, "/api/models/alice/public/branch/anon", { body: {} }))],
  ];
  const failures = [];
  for (const [what, run] of cases) {
    const r = await run();
    if (r.status !== 401) failures.push(describe(r, what));
  }
  assert.equal(await headSha(hub, "alice/public", ALICE), pubHead);
  assert.deepEqual(failures, [], "expected 401 for each anonymous write");
});

test("whoami-v2 describes the token", async () => {
  const r = await read(await api(hub, "/api/whoami-v2", { token: RITA }));
  assert.equal(r.status, 200);
  assert.equal(r.json.type, "user");
  assert.equal(r.json.name, "rita");
  assert.deepEqual(r.json.orgs.map((o) => o.name), ["acme"]);
  assert.equal(r.json.auth.accessToken.role, "read");
  const a = await read(await api(hub, "/api/whoami-v2", { token: ALICE }));
  assert.equal(a.json.auth.accessToken.role, "write");
  const check = await read(await api(hub, "/api/models/alice/private/auth-check", { token: BOB }));
  assert.equal(check.status, 404, describe(check, "auth-check of a private repo by another user"));
  const ok = await read(await api(hub, "/api/models/acme/team-private/auth-check", { token: RITA }));
  assert.ok(ok.status >= 200 && ok.status < 300, describe(ok, "auth-check by a member"));
});

test("existing repo and branch: 409; stale parentCommit: 412", async () => {
  let r = await read(await api(hub, "/api/repos/create", { token: ALICE, body: { name: "public", organization: "alice" } }));
  assert.equal(r.status, 409, describe(r, "create existing repo"));
  // huggingface_hub's create_repo(exist_ok=True) returns RepoUrl(body["url"]) on a 409.
  assert.equal(r.json?.url, `${hub.url}/alice/public`, describe(r, "409 body carries the repo url"));
  assert.equal(typeof r.json?.error, "string");
  r = await read(await api(hub, "/api/repos/create", { token: ALICE, body: { name: "alice/private", type: "dataset" } }));
  assert.equal(r.status, 200, describe(r, "create a dataset named like a model"));
  r = await read(await api(hub, "/api/repos/create", { token: ALICE, body: { name: "alice/private", type: "dataset" } }));
  assert.equal(r.status, 409, describe(r, "create existing dataset"));
  assert.equal(r.json?.url, `${hub.url}/datasets/alice/private`, describe(r, "409 url of a dataset"));
  r = await read(await api(hub, "/api/models/alice/public/branch/main", { token: ALICE, body: {} }));
  assert.equal(r.status, 409, describe(r, "create existing branch"));
  const first = await read(await api(hub, "/api/models/alice/public/commits/main", { token: ALICE }));
  const initial = first.json.at(-1).id;
  r = await commit(hub, ALICE, "alice/public", [fileOp("x.txt", "x")], { parentCommit: initial });
  assert.equal(r.status, 412, describe(r, "stale parentCommit"));
  assert.equal(typeof r.json?.error, "string");
  assert.equal(await headSha(hub, "alice/public", ALICE), pubHead);
  // a parentCommit that is not a commit of the repo
  r = await commit(hub, ALICE, "alice/public", [fileOp("x.txt", "x")], { parentCommit: "f".repeat(40) });
  assert.ok([400, 404, 412].includes(r.status), describe(r, "unknown parentCommit"));
  assert.equal(await headSha(hub, "alice/public", ALICE), pubHead);
});
