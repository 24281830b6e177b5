// What `ls -lR` costs the daemon beyond `find`, counted in FUSE requests (never timed): each
// request is one read(2) of /dev/fuse by the daemon, so the daemon's read syscalls
// (/proc/PID/io syscr) count them. `ls -l` asks every file for security.selinux and
// system.posix_acl_access; answered "not supported" once, it asks no more on that device, where
// "no such attribute" (what hubfs answered before) made it ask for every file: 2 requests a file.
// The user.hub.* attributes stay readable and listed; --no-xattrs turns them off, and with them
// the request per file of a tool that lists every file's attributes (ls -l of coreutils >= 9.6).
import assert from "node:assert/strict";
import fs from "node:fs";
import { after, before, test } from "node:test";
import { settleLog, startLocalhub } from "../harness/localhub.mjs";
import { HubClient, mountHubfs, sh } from "./fixture.mjs";

const TOKEN = "hf_alice_token";
const FILES = 400;
let hub;

before(async () => {
  hub = await startLocalhub({ users: [`alice:${TOKEN}:write`] });
  const client = new HubClient(hub.url, TOKEN);
  await client.createRepo("alice/tree");
  const tree = [];
  for (let i = 0; i < FILES; i++) tree.push({ path: `d${i % 4}/f${i}.txt`, data: Buffer.from(`file ${i}\n`) });
  await client.commit("alice/tree", tree);
});

after(async () => {
  await hub?.stop();
});

const syscr = (pid) => Number(/^syscr:\s*(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/io`, "utf8"))[1]);

// The daemon's read syscalls while `cmd DIR` runs on a new mount (the kernel's dentries dropped
// first, so nothing is known to the kernel before the command), and the command's output.
async function readsOf(cmd, args = []) {
  const m = mountHubfs(hub.url, { token: TOKEN, args });
  try {
    await settleLog(hub.logFile);
    sh("echo 2 > /proc/sys/vm/drop_caches");
    const before = syscr(m.pid);
    const out = sh(`${cmd} ${m.mountpoint}/models/alice/tree`);
    return { reads: syscr(m.pid) - before, out };
  } finally {
    m.unmount();
  }
}

test("ls -lR of a tree makes about the FUSE requests of find, not two more per file", async () => {
  const find = await readsOf("find");
  const ls = await readsOf("ls -lR");
  assert.equal((find.out.match(/\/f\d+\.txt$/gm) || []).length, FILES, "find lists every file");
  assert.equal((ls.out.match(/^-r/gm) || []).length, FILES, "ls -l shows every file");
  // A handful of requests more than find (the first file's two attributes, ls's own stats of
  // the folders it lists), never one per file.
  console.log(`daemon reads: ls -lR ${ls.reads}, find ${find.reads}`);
  assert.ok(ls.reads <= find.reads + FILES / 10, `ls -lR: ${ls.reads} daemon reads, find: ${find.reads}, for ${FILES} files`);
});

test("attributes outside user.* are not supported, user.hub.* are read and listed, ls -l shows no ACL mark", async () => {
  const m = mountHubfs(hub.url, { token: TOKEN });
  try {
    const file = `${m.mountpoint}/models/alice/tree/d0/f0.txt`;
    const py = (expr) =>
      sh(`python3 -c 'import os,sys\ntry: print(${expr})\nexcept OSError as e: print("errno", e.errno)' ${file}`).trim();
    assert.equal(py(`os.getxattr(sys.argv[1], "security.selinux")`), "errno 95");
    assert.equal(py(`os.getxattr(sys.argv[1], "system.posix_acl_access")`), "errno 95");
    assert.equal(py(`os.getxattr(sys.argv[1], "trusted.x")`), "errno 95");
    assert.equal(py(`os.getxattr(sys.argv[1], "user.other")`), "errno 61", "a user.* name that does not exist: ENODATA");
    assert.match(py(`os.getxattr(sys.argv[1], "user.hub.oid").decode()`), /^[0-9a-f]{40}$/);
    assert.match(py(`os.getxattr(sys.argv[1], "user.hub.repo").decode()`), /alice\/tree/);
    assert.match(py(`sorted(os.listxattr(sys.argv[1]))`), /'user\.hub\.commit'.*'user\.hub\.oid'/);
    // No '+' (an ACL) nor '.' (a security context) after the mode bits.
    assert.match(sh(`ls -l ${file}`), /^-r[-w]-r--r-- 1 /);
  } finally {
    m.unmount();
  }
});

// What `ls -l` of coreutils 9.6 and later does for each file: lstat, then llistxattr.
const LIST_EACH = `python3 -c 'import os,sys
for d, ds, fs in os.walk(sys.argv[1]):
    for n in ds + fs:
        p = os.path.join(d, n); os.lstat(p)
        try: os.listxattr(p, follow_symlinks=False)
        except OSError: pass'`;

test("--no-xattrs: no attribute at all, and listing every file's attributes makes no request per file", async () => {
  const find = await readsOf("find");
  const listed = await readsOf(LIST_EACH);
  const off = await readsOf(LIST_EACH, ["--no-xattrs"]);
  console.log(`daemon reads: listxattr of each file ${listed.reads}, with --no-xattrs ${off.reads}, find ${find.reads}`);
  assert.ok(listed.reads >= find.reads + FILES, `by default each file's attributes are a request: ${listed.reads} vs find ${find.reads}`);
  assert.ok(off.reads <= find.reads + FILES / 10, `--no-xattrs: ${off.reads} daemon reads, find: ${find.reads}, for ${FILES} files`);
  const m = mountHubfs(hub.url, { token: TOKEN, args: ["--no-xattrs"] });
  try {
    const file = `${m.mountpoint}/models/alice/tree/d0/f0.txt`;
    const py = (expr) =>
      sh(`python3 -c 'import os,sys\ntry: print(${expr})\nexcept OSError as e: print("errno", e.errno)' ${file}`).trim();
    assert.equal(py(`os.getxattr(sys.argv[1], "user.hub.oid")`), "errno 95");
    assert.equal(py(`os.listxattr(sys.argv[1])`), "errno 95");
    assert.equal(fs.readFileSync(file, "utf8"), "file 0\n", "the file reads as without the option");
  } finally {
    m.unmount();
  }
});
