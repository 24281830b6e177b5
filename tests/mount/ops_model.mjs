// Model-based testing of the write path: the same operations run on a branch of the mount and
// on a local folder (the model), one by one. Each operation must succeed or fail the same way
// on both, and the two trees must hold the same files with the same bytes.
//
// An operation is a line of text, the format of ../shared/cases/*.ops:
//   append P <N bytes>       open(P, O_WRONLY|O_APPEND|O_CREAT), write, close
//   write P OFF <N bytes>    open(P, O_WRONLY|O_CREAT) (no O_TRUNC), pwrite at OFF, close
//   truncate P SIZE          truncate(P)
//   ftruncate P SIZE         open(P, O_RDWR), ftruncate, close
//   syncwrite P <N bytes>    open(P, O_RDWR|O_CREAT), write, fsync, write again, close
//   rename A B | unlink P | mkdir P | rmdir P
//   symlink TARGET P         a symlink at P to TARGET (relative to P's folder); the mount keeps
//                            it locally, the Hub never gets it
//   rmtree P                 rm -r P
//   fsync P                  open(P, O_RDONLY), fsync, close (commits everything staged)
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";

/** n deterministic bytes named by tag (the same on the mount and in the model). */
export function dataOf(tag, n) {
  const out = Buffer.alloc(n);
  for (let off = 0, block = 0; off < n; block++) {
    const h = crypto.createHash("sha256").update(`${tag}/${block}`).digest();
    off += h.copy(out, off, 0, Math.min(h.length, n - off));
  }
  return out;
}

/** Parses an .ops text into [{op, args, data?}]; "<N bytes>" becomes data named by the line. */
export function parseOps(text) {
  const ops = [];
  text.split("\n").forEach((raw, lineNo) => {
    const line = raw.trim();
    if (!line || line.startsWith("#")) return;
    const m = /<(\d+) bytes>/.exec(line);
    const words = line.replace(/<\d+ bytes>/, "").trim().split(/\s+/);
    ops.push({ op: words[0], args: words.slice(1), data: m ? dataOf(`line${lineNo}`, Number(m[1])) : undefined });
  });
  return ops;
}

export function formatOp(o) {
  return [o.op, ...o.args, ...(o.data ? [`<${o.data.length} bytes>`] : [])].join(" ");
}

function withFd(file, flags, fn) {
  const fd = fs.openSync(file, flags, 0o644);
  try {
    return fn(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Runs one operation under root; returns "ok" or the errno name it failed with. */
export function runOp(root, o) {
  const p = (i) => path.join(root, o.args[i]);
  const C = fs.constants;
  try {
    switch (o.op) {
      case "append":
        withFd(p(0), C.O_WRONLY | C.O_APPEND | C.O_CREAT, (fd) => fs.writeSync(fd, o.data));
        break;
      case "write":
        withFd(p(0), C.O_WRONLY | C.O_CREAT, (fd) => fs.writeSync(fd, o.data, 0, o.data.length, Number(o.args[1])));
        break;
      case "truncate":
        fs.truncateSync(p(0), Number(o.args[1]));
        break;
      case "ftruncate":
        withFd(p(0), C.O_RDWR, (fd) => fs.ftruncateSync(fd, Number(o.args[1])));
        break;
      case "syncwrite":
        withFd(p(0), C.O_RDWR | C.O_CREAT, (fd) => {
          fs.writeSync(fd, o.data, 0, o.data.length, 0);
          fs.fsyncSync(fd);
          fs.ftruncateSync(fd, Math.floor(o.data.length / 2));
          fs.writeSync(fd, o.data, 0, Math.min(3, o.data.length), 1);
        });
        break;
      case "rename":
        fs.renameSync(p(0), p(1));
        break;
      case "unlink":
        fs.unlinkSync(p(0));
        break;
      case "symlink":
        fs.symlinkSync(o.args[0], p(1));
        break;
      case "mkdir":
        fs.mkdirSync(p(0));
        break;
      case "rmdir":
        fs.rmdirSync(p(0));
        break;
      case "rmtree":
        if (!fs.existsSync(p(0))) throw Object.assign(new Error("missing"), { code: "ENOENT" });
        fs.rmSync(p(0), { recursive: true });
        break;
      case "fsync":
        withFd(p(0), C.O_RDONLY, (fd) => fs.fsyncSync(fd));
        break;
      default:
        throw new Error(`unknown operation ${o.op}`);
    }
    return "ok";
  } catch (e) {
    if (!e.code || e.code.startsWith("ERR_")) throw e;
    return e.code;
  }
}

/** Every file, folder and symlink under root: relative path -> "dir", "file <size> <sha256>" or "link <target>". */
export function snapshot(root, skip = new Set([".hubfs-commit"])) {
  const out = new Map();
  const walk = (dir, rel) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (skip.has(e.name)) continue;
      const r = rel ? `${rel}/${e.name}` : e.name;
      const full = path.join(dir, e.name);
      if (e.isSymbolicLink()) {
        out.set(r, `link ${fs.readlinkSync(full)}`);
      } else if (e.isDirectory()) {
        out.set(r, "dir");
        walk(full, r);
      } else {
        const data = fs.readFileSync(full);
        out.set(r, `file ${data.length} ${crypto.createHash("sha256").update(data).digest("hex")}`);
      }
    }
  };
  walk(root, "");
  return out;
}

/** Differences between two snapshots, as readable lines ("" when equal). */
export function diffSnapshots(got, want) {
  const lines = [];
  for (const [k, v] of want) if (got.get(k) !== v) lines.push(`${k}: mount has ${got.get(k) ?? "nothing"}, model has ${v}`);
  for (const [k, v] of got) if (!want.has(k)) lines.push(`${k}: mount has ${v}, model has nothing`);
  return lines.join("\n");
}

/** A seeded PRNG (mulberry32): the same seed, the same sequence. */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `count` random operations, drawn against the model folder as it evolves (so most of them
 * touch paths that exist); `apply(o)` runs each as it is drawn and returns nothing.
 */
export function randomOps(seed, count, modelRoot, apply) {
  const rand = prng(seed);
  const pick = (xs) => xs[Math.floor(rand() * xs.length)];
  const sizes = [0, 1, 100, 4096, 70000, 1 << 20, (1 << 20) + 17];
  const names = ["a", "b", "c", "f1.bin", "f2.txt", "f3", "keep.txt"];
  for (let i = 0; i < count; i++) {
    const existing = [...snapshot(modelRoot).entries()];
    const files = existing.filter(([, v]) => v.startsWith("file")).map(([k]) => k);
    const dirs = existing.filter(([, v]) => v === "dir").map(([k]) => k);
    const anyPath = () => {
      const r = rand();
      if (r < 0.5 && files.length) return pick(files);
      if (r < 0.7 && dirs.length) return pick(dirs);
      const parent = dirs.length && rand() < 0.5 ? pick(dirs) + "/" : "";
      return parent + pick(names);
    };
    const data = () => dataOf(`seed${seed}/op${i}`, pick(sizes));
    const kind = pick(["append", "write", "write", "truncate", "ftruncate", "syncwrite", "rename", "rename", "unlink",
                       "mkdir", "mkdir", "rmdir", "rmtree", "fsync", "symlink"]);
    let o;
    switch (kind) {
      case "append": o = { op: kind, args: [anyPath()], data: data() }; break;
      case "write": o = { op: kind, args: [anyPath(), String(pick([0, 5, 4095, 5000, 1 << 20]))], data: data() }; break;
      case "truncate":
      case "ftruncate": o = { op: kind, args: [anyPath(), String(pick([0, 3, 5000, 1 << 20]))] }; break;
      case "syncwrite": o = { op: kind, args: [anyPath()], data: data() }; break;
      case "rename": o = { op: kind, args: [anyPath(), anyPath()] }; break;
      case "symlink": o = { op: kind, args: [pick(names), anyPath()] }; break;
      case "fsync": o = { op: kind, args: [files.length ? pick(files) : anyPath()] }; break;
      default: o = { op: kind, args: [anyPath()] };
    }
    apply(o);
  }
}
