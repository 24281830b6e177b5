// The README's commands, run as written: the shell blocks of "Using the mount" are read from
// README.md, /mnt/hub and /mnt/model become temporary folders, and each line must succeed
// against a localhub serving the demo samples (the ones tools/demo.sh shows).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { repoRoot, startLocalhub } from "../harness/localhub.mjs";
import { HubClient, blocking, hubfsBin, isMounted, watchMount } from "./fixture.mjs";

const TOKEN = "hf_me_token";

/** The lines of each ```sh block of the README's "Using the mount" section, comments removed. */
function readmeBlocks() {
  const text = fs.readFileSync(path.join(repoRoot, "README.md"), "utf8");
  const section = text.slice(text.indexOf("## Using the mount"), text.indexOf("\n## ", text.indexOf("## Using the mount") + 1));
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) =>
    m[1].split("\n").map((l) => l.replace(/\s+#\s.*$/, "").trim()).filter(Boolean),
  );
}

test("every command of the README's 'Using the mount' runs as written on the demo samples", { timeout: 300000 }, async () => {
  const blocks = readmeBlocks();
  assert.equal(blocks.length, 2, "the reading block and the writing block");
  const hub = await startLocalhub({ users: [`me:${TOKEN}:write`], args: ["--samples"] });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "hubfs-readme-"));
  const mnt = { "/mnt/hub": path.join(work, "hub"), "/mnt/model": path.join(work, "model") };
  for (const d of Object.values(mnt)) fs.mkdirSync(d);
  const env = { ...process.env, HF_ENDPOINT: hub.url, HF_TOKEN: TOKEN, HF_HOME: path.join(work, "hfhome"), XDG_CACHE_HOME: path.join(work, "cache") };
  const outputs = [];
  const watched = new Map();  // README path -> forget()
  const runLine = (line) => {
    let cmd = line.replace(/\/mnt\/(hub|model)/g, (m) => mnt[m]).replace(/^hubfs /, `${hubfsBin} `);
    const r = blocking(120000, () => spawnSync("bash", ["-c", cmd], { cwd: work, env, encoding: "utf8", timeout: 120000 }));
    assert.equal(r.status, 0, `README line failed: ${line}\n${r.stdout}\n${r.stderr}`);
    outputs.push({ line, out: r.stdout });
    // The README's mounts are watched as the fixture's are (watchdog, exit handlers).
    const made = /^hubfs (?:mount|hub) (\S+)/.exec(line)?.[1];
    const gone = /^hubfs unmount (\S+)/.exec(line)?.[1];
    if (made) watched.set(made, watchMount(made.replace(/\/mnt\/(hub|model)/g, (m) => mnt[m])));
    if (gone) watched.get(gone)?.(), watched.delete(gone);
    return r.stdout;
  };
  try {
    await new HubClient(hub.url, TOKEN).createRepo("me/model");
    fs.mkdirSync(path.join(work, "checkpoint"));
    fs.writeFileSync(path.join(work, "checkpoint", "weights.bin"), "checkpoint 3\n");
    for (const line of blocks[0]) runLine(line);
    const out = (prefix) => outputs.find((o) => o.line.startsWith(prefix))?.out ?? "";
    assert.match(out("ls /mnt/hub/models/demo/tiny-model@refs%2Fpr%2F1"), /PR_NOTES\.md/);
    assert.match(out("cat /mnt/hub/models/demo/tiny-model@v1.0/config.json"), /TinyModel/);
    assert.match(out("getfattr -d"), /user\.hub\.lfs\.sha256/);
    // The writing block needs the whole-Hub mount again (the reading block ended by replacing it).
    runLine("hubfs mount /mnt/hub");
    for (const line of blocks[1]) runLine(line);
    const tree = await (await fetch(`${hub.url}/api/models/me/model/tree/main/checkpoint`, { headers: { Authorization: `Bearer ${TOKEN}` } })).json();
    assert.deepEqual(tree.map((e) => e.path), ["checkpoint/weights.bin"], "the checkpoint is on the Hub");
    runLine("hubfs unmount /mnt/hub");
    // The fstab entry, as mount(8) runs it: `hubfs hub /mnt/hub -o OPTIONS`.
    const readme = fs.readFileSync(path.join(repoRoot, "README.md"), "utf8");
    const fstab = /`hub \/mnt\/hub fuse\.hubfs (\S+) 0 0`/.exec(readme);
    assert.ok(fstab, "the README's fstab line");
    runLine(`hubfs hub /mnt/hub -o ${fstab[1]}`);
    assert.match(runLine("ls /mnt/hub/models/demo"), /tiny-model/);
    assert.match(runLine("hubfs --help"), /^usage:/);
  } finally {
    for (const forget of watched.values()) forget();
    // The fstab mount is still up: its `hubfs unmount` must succeed too (checked after clean-up).
    const failures = [];
    for (const d of Object.values(mnt)) {
      if (!isMounted(d)) continue;
      const u = spawnSync(hubfsBin, ["unmount", d, "--timeout", "30"], { encoding: "utf8", timeout: 60000 });
      if (u.status !== 0) failures.push(`hubfs unmount ${d}: exit ${u.status} ${u.stderr}`);
      spawnSync("fusermount3", ["-u", "-z", d], { stdio: "ignore", timeout: 30000 });
    }
    await hub.stop();
    fs.rmSync(work, { recursive: true, force: true });
    assert.deepEqual(failures, []);
  }
});
