// Plain-fetch helpers for localhub's own tests: the Hub HTTP API as the clients use it
// (../../../shared/reference/hub-protocol.md §4, §5), without any client library.

import crypto from "node:crypto";

export const sha256 = (buf) => crypto.createHash("sha256").update(buf).digest("hex");
export const gitBlobSha1 = (buf) =>
  crypto.createHash("sha1").update(`blob ${buf.length}\0`).update(buf).digest("hex");
export const b64 = (buf) => Buffer.from(buf).toString("base64");

/**
 * fetch against the hub. `path` is appended to hub.url unless it is absolute.
 * opts: token, method, body (string|Buffer|object → JSON), headers, redirect, timeoutMs.
 * Every request is bounded (default 30 s): a server that hangs fails the test, it never waits.
 */
export async function api(hub, path, opts = {}) {
  const url = /^https?:\/\//.test(path) ? path : hub.url + path;
  const headers = { ...(opts.headers ?? {}) };
  if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
  let body = opts.body;
  if (body !== undefined && typeof body !== "string" && !Buffer.isBuffer(body) && !(body instanceof Uint8Array)) {
    body = JSON.stringify(body);
    headers["Content-Type"] ??= "application/json";
  }
  return fetch(url, {
    method: opts.method ?? (body !== undefined ? "POST" : "GET"),
    headers,
    body,
    redirect: opts.redirect,
    signal: AbortSignal.timeout(opts.timeoutMs ?? 30000),
  });
}

/** Response (or a promise of one) → {status, headers, text, json (or undefined)}, body consumed. */
export async function read(resOrPromise) {
  const res = await resOrPromise;
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** Describe a response for assertion messages. */
export function describe(r, req = "") {
  const h = {};
  for (const [k, v] of r.headers) if (/^x-|^content-|^location|^link|^etag|^retry/i.test(k)) h[k] = v.length > 200 ? v.slice(0, 200) + "…" : v;
  return `${req}\n  → ${r.status} ${JSON.stringify(h)} ${r.text.slice(0, 400)}`;
}

export async function createRepo(hub, token, fullName, { isPrivate = false, type } = {}) {
  const [organization, name] = fullName.split("/");
  const body = { name, organization, visibility: isPrivate ? "private" : "public" };
  if (type) body.type = type;
  const r = await read(await api(hub, "/api/repos/create", { token, body }));
  if (r.status !== 200) throw new Error(`create ${fullName} failed: ${describe(r)}`);
  return r.json;
}

/** sha of a revision (default main), or null when the request fails. */
export async function headSha(hub, repo, token, rev = "main") {
  const r = await read(await api(hub, `/api/models/${repo}/revision/${encodeURIComponent(rev)}`, { token }));
  return r.status === 200 ? r.json.sha : null;
}

/** Build an NDJSON commit body. ops: [{key, value}] appended after the header line. */
export function ndjson(summary, ops, { parentCommit, description } = {}) {
  const header = { summary, description: description ?? "" };
  if (parentCommit) header.parentCommit = parentCommit;
  return [{ key: "header", value: header }, ...ops].map((l) => JSON.stringify(l)).join("\n");
}

export const fileOp = (path, content) => ({ key: "file", value: { path, content: b64(content), encoding: "base64" } });
export const lfsOp = (path, buf) => ({ key: "lfsFile", value: { path, algo: "sha256", oid: sha256(buf), size: buf.length } });
export const deleteOp = (path) => ({ key: "deletedFile", value: { path } });

/** POST a commit; body is either a string (sent verbatim) or [ops] (built with ndjson). */
export async function commit(hub, token, repo, body, { rev = "main", summary = "test commit", parentCommit, query = "" } = {}) {
  const text = typeof body === "string" ? body : ndjson(summary, body, { parentCommit });
  return read(
    await api(hub, `/api/models/${repo}/commit/${encodeURIComponent(rev)}${query}`, {
      token,
      body: text,
      headers: { "Content-Type": "application/x-ndjson" },
    }),
  );
}

/** Upload an LFS object through the batch API (basic or multipart, whatever is offered). */
export async function uploadLfs(hub, token, repo, buf, { transfers = ["basic", "multipart"] } = {}) {
  const oid = sha256(buf);
  const r = await read(
    await api(hub, `/${repo}.git/info/lfs/objects/batch`, {
      token,
      body: JSON.stringify({
        operation: "upload",
        transfers,
        hash_algo: "sha_256",
        ref: { name: "main" },
        objects: [{ oid, size: buf.length }],
      }),
      headers: { "Content-Type": "application/vnd.git-lfs+json", Accept: "application/vnd.git-lfs+json" },
    }),
  );
  if (r.status !== 200) throw new Error(`LFS batch failed: ${describe(r)}`);
  const obj = r.json.objects[0];
  if (obj.error) throw new Error(`LFS batch object error: ${JSON.stringify(obj.error)}`);
  const upload = obj.actions?.upload;
  if (!upload) return { oid, size: buf.length, uploaded: false };
  const header = upload.header ?? {};
  if (header.chunk_size) {
    const chunk = Number(header.chunk_size);
    const parts = [];
    const keys = Object.keys(header).filter((k) => /^\d+$/.test(k)).sort();
    for (const [i, k] of keys.entries()) {
      const res = await fetch(header[k], { method: "PUT", body: buf.subarray(i * chunk, (i + 1) * chunk) });
      await res.arrayBuffer();
      if (!res.ok) throw new Error(`part ${k} PUT: ${res.status}`);
      parts.push({ partNumber: i + 1, etag: res.headers.get("etag") });
    }
    const done = await fetch(upload.href, {
      method: "POST",
      body: JSON.stringify({ oid, parts }),
      headers: { "Content-Type": "application/vnd.git-lfs+json", Accept: "application/vnd.git-lfs+json" },
    });
    await done.arrayBuffer();
    if (!done.ok) throw new Error(`multipart completion: ${done.status}`);
  } else {
    const res = await fetch(upload.href, { method: "PUT", body: buf });
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`basic PUT: ${res.status}`);
  }
  return { oid, size: buf.length, uploaded: true };
}

/** All pages of a Link-paginated listing; returns {items, pages, links}. */
export async function allPages(hub, path, token) {
  const items = [];
  const links = [];
  let url = hub.url + path;
  let pages = 0;
  while (url) {
    const res = await api(hub, url, { token });
    const r = await read(res);
    if (r.status !== 200) throw new Error(`page ${pages + 1}: ${describe(r, url)}`);
    pages++;
    items.push(...r.json);
    const link = res.headers.get("link");
    links.push(link);
    const m = link && /<([^>]+)>;\s*rel="next"/.exec(link);
    url = m ? m[1] : null;
    if (pages > 1000) throw new Error("pagination does not end");
  }
  return { items, pages, links };
}
