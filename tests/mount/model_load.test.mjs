// Loading a model on a real mount against localhub, counted in localhub's log: a safetensors-like
// file (an 8-byte header length, a JSON header, then tensors of 4 KiB to 16 MiB) read as a loader
// does, the header and then each tensor with one pread, costs each byte once in a few large
// parallel GETs: hubfs sees one stream and keeps its read-ahead window open. The kernel sends a
// large pread's pieces in parallel and they reach hubfs out of order (a few MiB ahead, then back);
// the second test makes that order deterministic (the reader reads each tensor's pieces out of
// order itself, with POSIX_FADV_RANDOM so that the kernel sends just what is read): a window
// dropped on each such read never grew past its first 32 MiB: many small requests, and a reader
// that catches up with them.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import { after, before, test } from "node:test";
import { blobRanges, settleLog, startLocalhub } from "../harness/localhub.mjs";
import { HubClient, mountHubfs } from "./fixture.mjs";

const TOKEN = "hf_alice_token";
const KiB = 1024;
const MiB = 1 << 20;
let hub, client, model, tensors;

// Tensors as a transformer's layers (big F16 matrices, small F32 norms and biases), laid out
// F32 first, as the safetensors library writes them: [name, bytes].
function layout() {
  const out = [];
  for (let i = 0; i < 6; i++) {
    out.push([`layers.${i}.norm.weight`, 4 * KiB], [`layers.${i}.attn.bias`, 16 * KiB]);
  }
  out.push(["embed.weight", 32 * MiB]);
  for (let i = 0; i < 8; i++) {
    for (const w of ["q", "k", "v", "o"]) out.push([`layers.${i}.attn.${w}.weight`, 2 * MiB]);
    out.push([`layers.${i}.mlp.up.weight`, 6 * MiB + 512 * KiB], [`layers.${i}.mlp.down.weight`, 3 * MiB]);
  }
  return out;
}

function safetensors() {
  const header = {};
  let offset = 0;
  for (const [name, bytes] of layout()) {
    header[name] = { dtype: bytes >= MiB ? "F16" : "F32", shape: [bytes / (bytes >= MiB ? 2 : 4)], data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = Buffer.from(JSON.stringify(header));
  json = Buffer.concat([json, Buffer.alloc(-json.length & 7, " ")]);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, json, crypto.randomBytes(offset)]);
}

before(async () => {
  hub = await startLocalhub({ users: [`alice:${TOKEN}:write`] });
  client = new HubClient(hub.url, TOKEN);
  await client.createRepo("alice/model");
  model = safetensors();
  tensors = layout().length;
  await client.commit("alice/model", [{ path: "model.safetensors", data: model, lfs: true }]);
});

after(async () => {
  await hub?.stop();
});

const fetched = (ranges) => ranges.reduce((n, [a, b]) => n + (b - a + 1), 0);

// The loader: the header length, the header, then every tensor in header order with one pread,
// or (pieces = true) in 1 MiB pieces in the order the kernel may deliver a large read's: the
// first two, then the second half, then the rest. Prints a digest of the bytes read per tensor in order.
function load(file, pieces) {
  const script = `
import hashlib, json, os, struct, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
if sys.argv[2] == "pieces":
    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_RANDOM)
(n,) = struct.unpack("<Q", os.pread(fd, 8, 0))
header = json.loads(os.pread(fd, n, 8))
h = hashlib.sha256()
for name, info in header.items():
    begin, end = info["data_offsets"]
    size, at = end - begin, 8 + n + begin
    if sys.argv[2] != "pieces" or size <= 2 << 20:
        b = os.pread(fd, size, at)
    else:
        parts = [(o, min(1 << 20, size - o)) for o in range(0, size, 1 << 20)]
        half = len(parts) // 2
        order = parts[:2] + parts[max(2, half):] + parts[2:max(2, half)]
        got = {o: os.pread(fd, k, at + o) for o, k in order}
        b = b"".join(got[o] for o, _ in parts)
    assert len(b) == size, (name, len(b), size)
    h.update(b)
os.close(fd)
print(len(header), h.hexdigest())
`;
  return execFileSync("python3", ["-c", script, file, pieces ? "pieces" : "whole"], { encoding: "utf8" }).trim();
}

function expected() {
  const n = Number(model.readBigUInt64LE(0));
  const h = crypto.createHash("sha256");
  h.update(model.subarray(8 + n));
  return `${tensors} ${h.digest("hex")}`;
}

// --memory-limit 1G lets the window double to 256 MiB (at the default 160M the prefetch half caps
// it at 80 MiB, where requests stay 2-3 MiB whatever the window does).
async function loadCounted(pieces) {
  const m = mountHubfs(hub.url, { token: TOKEN, args: ["--memory-limit", "1G"] });
  try {
    const file = `${m.mountpoint}/models/alice/model/model.safetensors`;
    const since = (await settleLog(hub.logFile)).length;
    assert.equal(load(file, pieces), expected(), "the tensors read are the file's");
    await settleLog(hub.logFile);
    return blobRanges(hub.logFile, since, model.length);
  } finally {
    m.unmount();
  }
}

// Each byte once, in few large requests: the window kept open doubles (32, 64, 128 MiB...) and
// each new stretch goes out as 16 GETs, 6 MiB each by the third: 46 GETs for this file. A window
// dropped on each read that arrived out of order started again at 32 MiB (16 GETs of 2 MiB):
// 64 to 90 GETs in four runs of the old code, none over 3 MiB.
function checkOneStream(ranges) {
  const mib = model.length / MiB;
  const largest = Math.max(...ranges.map(([a, b]) => b - a + 1));
  const list = JSON.stringify(ranges.map(([a, b]) => [a / MiB, (b - a + 1) / MiB]));
  assert.ok(fetched(ranges) <= model.length * 1.02, `fetched ${(fetched(ranges) / MiB).toFixed(1)} MiB for a ${mib.toFixed(1)} MiB file: ${list}`);
  assert.ok(ranges.length <= mib / 3, `${ranges.length} GETs for ${mib.toFixed(1)} MiB (MiB offset, MiB): ${list}`);
  assert.ok(largest >= 4 * MiB, `the largest GET ${largest / MiB} MiB: the window never grew (MiB offset, MiB): ${list}`);
}

test("a loader reading the header and then each tensor with one pread fetches each byte once in large parallel GETs", async () => {
  checkOneStream(await loadCounted(false));
});

test("a loader whose reads reach hubfs out of order (a large read's pieces) still reads one stream", async () => {
  checkOneStream(await loadCounted(true));
});
