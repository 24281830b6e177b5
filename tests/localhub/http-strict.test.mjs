// A strict HTTP/1.1 parser (issue 10, item 4; RFC 9112): requests whose framing is ambiguous
// or malformed are refused with 400 and the connection closed, never guessed at; valid but
// unusual forms (chunk extensions, upper-case hex, agreeing duplicate Content-Length) work.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";

import { startLocalhub } from "../harness/localhub.mjs";
import { api, read } from "../harness/hubapi.mjs";

let hub;
before(async () => {
  hub = await startLocalhub({ users: ["alice:hf_alice_strict:write"] });
});
after(async () => hub?.stop());

/** Send raw bytes; resolve with the first response's status (0 if none) once the server closes or answers. */
function raw(bytes, { timeoutMs = 10000 } = {}) {
  const u = new URL(hub.url);
  return new Promise((resolve) => {
    const sock = net.connect(Number(u.port), u.hostname);
    let out = "";
    let settled = false;
    const done = (why) => {
      if (settled) return;
      settled = true;
      sock.destroy();
      resolve({ status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(out)?.[1] ?? 0), out, why });
    };
    sock.setTimeout(timeoutMs, () => done("timeout"));
    sock.on("data", (d) => {
      out += d.toString("latin1");
      const end = out.indexOf("\r\n\r\n");
      if (end < 0) return;
      const len = Number(/\r\ncontent-length: *(\d+)/i.exec(out.slice(0, end))?.[1] ?? 0);
      if (out.length >= end + 4 + len) done("answer");
    });
    sock.on("error", () => done("error"));
    sock.on("close", () => done("close"));
    sock.write(bytes);
  });
}

const YAML = JSON.stringify({ content: "hello" });
const post = (headers, body) => `POST /api/validate-yaml HTTP/1.1\r\nHost: x\r\n${headers}\r\n\r\n${body}`;
const chunked = (chunks) => post("Transfer-Encoding: chunked", chunks);

test("ambiguous or malformed framing: 400", async () => {
  const cases = {
    "Content-Length -1": post("Content-Length: -1", YAML),
    "Content-Length +20": post(`Content-Length: +${YAML.length}`, YAML),
    "Content-Length hex": post("Content-Length: 0x14", YAML),
    "Content-Length with a space inside": post("Content-Length: 2 0", YAML),
    "Content-Length overflow": post("Content-Length: 99999999999999999999999", YAML),
    "Content-Length empty": post("Content-Length: ", YAML),
    "Content-Length list": post(`Content-Length: ${YAML.length}, ${YAML.length}`, YAML),
    "two Content-Length that disagree": post(`Content-Length: ${YAML.length}\r\nContent-Length: 3`, YAML),
    "Transfer-Encoding and Content-Length": post(`Transfer-Encoding: chunked\r\nContent-Length: ${YAML.length}`, `${YAML.length.toString(16)}\r\n${YAML}\r\n0\r\n\r\n`),
    "Transfer-Encoding gzip": post("Transfer-Encoding: gzip", YAML),
    "Transfer-Encoding gzip, chunked": post("Transfer-Encoding: gzip, chunked", `1\r\nx\r\n0\r\n\r\n`),
    "Transfer-Encoding twice": post("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked", `1\r\nx\r\n0\r\n\r\n`),
    "chunk size -1": chunked(`-1\r\n${YAML}\r\n0\r\n\r\n`),
    "chunk size 0x": chunked(`0x${YAML.length.toString(16)}\r\n${YAML}\r\n0\r\n\r\n`),
    "chunk size with trailing junk": chunked(`${YAML.length.toString(16)}zz\r\n${YAML}\r\n0\r\n\r\n`),
    "chunk size empty": chunked(`\r\n${YAML}\r\n0\r\n\r\n`),
    "chunk size overflow": chunked(`ffffffffffffffffff\r\n${YAML}\r\n0\r\n\r\n`),
    "chunk without CRLF after its data": chunked(`${YAML.length.toString(16)}\r\n${YAML}XX0\r\n\r\n`),
    "space before the colon": post(`Content-Length : ${YAML.length}`, YAML),
    "folded header": `GET /api/whoami-v2 HTTP/1.1\r\nHost: x\r\nX-A: a\r\n  folded\r\n\r\n`,
    "bare LF in a header": `GET /api/whoami-v2 HTTP/1.1\r\nHost: x\r\nX-A: a\nX-B: b\r\n\r\n`,
    "NUL in a header": `GET /api/whoami-v2 HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n`,
    "two spaces in the request line": "GET  /api/whoami-v2 HTTP/1.1\r\nHost: x\r\n\r\n",
    "unknown version": "GET /api/whoami-v2 HTTP/2.0\r\nHost: x\r\n\r\n",
    "absolute-form target": "GET http://x/api/whoami-v2 HTTP/1.1\r\nHost: x\r\n\r\n",
    "method with a slash": "GE/T /api/whoami-v2 HTTP/1.1\r\nHost: x\r\n\r\n",
  };
  const wrong = [];
  for (const [what, bytes] of Object.entries(cases)) {
    const r = await raw(bytes);
    if (r.status !== 400) wrong.push(`${what}: ${r.status} (${r.why}) ${r.out.slice(0, 60)}`);
  }
  assert.deepEqual(wrong, [], "every case answers 400");
  const ok = await read(api(hub, "/api/models"));
  assert.equal(ok.status, 200, "localhub still answers");
});

test("valid unusual framing still works", async () => {
  const cases = {
    "plain Content-Length": post(`Content-Length: ${YAML.length}\r\nConnection: close`, YAML),
    "agreeing duplicate Content-Length": post(`Content-Length: ${YAML.length}\r\nContent-Length: ${YAML.length}\r\nConnection: close`, YAML),
    "chunked, upper-case hex, extension": post("Transfer-Encoding: Chunked\r\nConnection: close", `${YAML.length.toString(16).toUpperCase()};name=value\r\n${YAML}\r\n0\r\n\r\n`),
    "chunked in pieces, with a trailer": post("Transfer-Encoding: chunked\r\nConnection: close", `5\r\n${YAML.slice(0, 5)}\r\n${(YAML.length - 5).toString(16)}\r\n${YAML.slice(5)}\r\n0\r\nX-Trailer: t\r\n\r\n`),
    "leading empty line": `\r\n${post(`Content-Length: ${YAML.length}\r\nConnection: close`, YAML)}`,
  };
  const wrong = [];
  for (const [what, bytes] of Object.entries(cases)) {
    const r = await raw(bytes);
    if (r.status !== 200) wrong.push(`${what}: ${r.status} ${r.out.slice(0, 100)}`);
  }
  assert.deepEqual(wrong, [], "every case answers 200");
});
