// What `ls -lR` costs the daemon beyond `find`, counted in FUSE requests (never timed): each
// request is one read(2) of /dev/fuse by the daemon, so the daemon's read syscalls
// (/proc/PID/io syscr) count them. `ls -l` asks every file for security.selinux and
// system.posix_acl_access; answered "not supported" once, it asks no more on that device, where
// "no such attribute" (what hubfs answered before) made it ask for every file: 2 requests a file.
// The user.hub.* attributes stay readable and listed.
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
async function readsOf(cmd) {
  const m = mountHubfs(hub.url, { token: TOKEN });
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
