// Everyday use of a writable mount, as a user does it: editing with vim, a Python atomic save,
// `git clone` into a branch. Editors' scratch files and the `.git` folder stay local; each save
// makes one commit. Every result is checked on the Hub side (localhub's HTTP API).
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, test } from "node:test";
import { allPages, api, read } from "../harness/hubapi.mjs";
import { startLocalhub } from "../harness/localhub.mjs";
import { HubClient, blocking, hubfsBin, isMounted, mountHubfs, pollUntil, sleep, watchMount } from "./fixture.mjs";

const TOKEN = "hf_alice_token";
const REPO = "alice/everyday";
const CONTROL = ".hubfs-commit";
async function hubCommitCount(hub, rev = "main") {
  const r = await read(api(hub, `/api/models/${REPO}/commits/${encodeURIComponent(rev)}`, { token: TOKEN }));
  assert.equal(r.status, 200, r.text);
  return Number(r.headers.get("x-total-count"));
}

/** The files of a revision on the Hub, but the .gitattributes every new repository starts with. */
async function hubPaths(hub, rev = "main") {
  const { items } = await allPages(hub, `/api/models/${REPO}/tree/${encodeURIComponent(rev)}?recursive=1`, TOKEN);
  return items.filter((e) => e.type === "file" && e.path !== ".gitattributes").map((e) => e.path).sort();
}

async function hubFile(hub, p, rev = "main") {
  const res = await fetch(`${hub.url}/${REPO}/resolve/${encodeURIComponent(rev)}/${p}`, { headers: { Authorization: `Bearer ${TOKEN}` } });
  const body = Buffer.from(await res.arrayBuffer());
  return res.status === 200 ? body.toString() : null;
}

/** Runs a program with a timeout (every call into the mount has one); throws on failure. */
function run(cmd, args, opts = {}) {
  return execFileSync(cmd, args, { encoding: "utf8", timeout: 60000, stdio: ["ignore", "pipe", "pipe"], ...opts });
}

/** fsync of a folder: `sync DIR`, which commits every staged change of its branch. */
function syncDir(dir) {
  run("sync", [dir], { timeout: 120000 });
}

/** A localhub with REPO seeded, and a mount of it; both always stopped. */
async function withMount(files, fn, mountArgs = []) {
  const hub = await startLocalhub({ users: [`alice:${TOKEN}:write`] });
  let m;
  try {
    const client = new HubClient(hub.url, TOKEN);
    await client.createRepo(REPO);
    if (files.length) await client.commit(REPO, files.map(([p, d]) => ({ path: p, data: Buffer.from(d) })), { summary: "seed" });
    m = mountHubfs(hub.url, { token: TOKEN, args: mountArgs });
    await fn({ hub, m, root: path.join(m.mountpoint, "models", REPO) });
  } catch (e) {
    if (m && fs.existsSync(m.logFile)) e.message += `\nhubfs log (tail):\n${fs.readFileSync(m.logFile, "utf8").split("\n").slice(-40).join("\n")}`;
    throw e;
  } finally {
    m?.unmount({ timeout: 20 });  // throws if `hubfs unmount` fails
    await hub.stop();
  }
}

describe("editors and temp files", () => {
  test("a vim save (swap file on, fsync on) makes exactly one commit, and no swap or backup file reaches the Hub", { timeout: 180000 }, async () => {
    await withMount([["v.txt", "line one\n"]], async ({ hub, root }) => {
      const before = await hubCommitCount(hub);
      const seen = path.join(os.tmpdir(), `vim-swaps-${process.pid}`);
      // As a user's session: edit, let vim sync its swap file (:preserve), write, quit. The
      // swap file lives next to the file (`directory` starts with "."), as vim's default.
      run("vim", ["-u", "NONE", "-i", "NONE", "-N", "-es",
                  "-c", "set fsync swapsync=fsync directory=. backupdir=. writebackup",
                  "-c", "$put ='line two'", "-c", "preserve",
                  "-c", `call writefile(glob('.*.sw?', 1, 1), '${seen}')`,
                  "-c", "wq", "v.txt"], { cwd: root });
      const swaps = fs.readFileSync(seen, "utf8").trim();
      fs.rmSync(seen, { force: true });
      assert.match(swaps, /\.v\.txt\.swp/, "vim made its swap file in the mount");
      const on = await pollUntil(async () => (await hubFile(hub, "v.txt")) === "line one\nline two\n");
      assert.ok(on, "the saved text is on the Hub");
      await sleep(3000);  // a second, late commit would show now
      assert.equal(await hubCommitCount(hub), before + 1, "one save, one commit");
      assert.deepEqual(await hubPaths(hub), ["v.txt"], "no swap, probe or backup file on the Hub");
    });
  });

  test("a Python atomic save (tempfile in the same folder, fsync, os.replace) makes one commit with the final content and no temp file", { timeout: 180000 }, async () => {
    await withMount([["cfg.json", '{"lr": 1}\n'], ["other.txt", "x\n"]], async ({ hub, root }) => {
      const before = await hubCommitCount(hub);
      const script = `
import os, sys, tempfile
d = sys.argv[1]
with tempfile.NamedTemporaryFile("w", dir=d, delete=False) as f:
    f.write('{"lr": 2}\\n')
    f.flush()
    os.fsync(f.fileno())
os.replace(f.name, os.path.join(d, "cfg.json"))
print(os.path.basename(f.name))
`;
      const tmpName = run("python3", ["-c", script, root]).trim();
      assert.match(tmpName, /^tmp/);
      const on = await pollUntil(async () => (await hubFile(hub, "cfg.json")) === '{"lr": 2}\n');
      assert.ok(on, "the rename's commit carries the new content (no sync needed after os.replace)");
      await sleep(3000);
      assert.equal(await hubCommitCount(hub), before + 1, "one save, one commit");
      assert.deepEqual(await hubPaths(hub), ["cfg.json", "other.txt"], `no ${tmpName} on the Hub`);
    });
  });

  test("scratch files stay visible in the mount but local: fsync of one commits nothing, .hubfs-commit lists them as local", { timeout: 180000 }, async () => {
    await withMount([["a.txt", "a\n"]], async ({ hub, root }) => {
      const before = await hubCommitCount(hub);
      fs.writeFileSync(path.join(root, ".DS_Store"), "finder");
      fs.writeFileSync(path.join(root, "notes.txt~"), "backup");
      run("sync", [path.join(root, ".DS_Store")]);  // fsync of a scratch file: returns 0, no commit
      assert.equal(fs.readFileSync(path.join(root, "notes.txt~"), "utf8"), "backup");
      const control = fs.readFileSync(path.join(root, CONTROL), "utf8");
      assert.match(control, /^staged: 0 changes/m);
      assert.match(control, /^  local \.DS_Store 6 /m);
      assert.match(control, /^  local notes\.txt~ 6 /m);
      fs.writeFileSync(path.join(root, "b.txt"), "b\n");
      syncDir(root);
      assert.equal(await hubCommitCount(hub), before + 1);
      assert.deepEqual(await hubPaths(hub), ["a.txt", "b.txt"]);
      assert.ok(fs.existsSync(path.join(root, ".DS_Store")), "still in the mount after the commit");
    });
  });

  test("--scratch adds patterns of files that never reach the Hub", { timeout: 180000 }, async () => {
    await withMount([], async ({ hub, root }) => {
      fs.mkdirSync(path.join(root, "runs"));
      fs.writeFileSync(path.join(root, "runs", "train.log"), "loss 1\n");
      fs.writeFileSync(path.join(root, "model.txt"), "weights\n");
      syncDir(root);
      assert.deepEqual(await hubPaths(hub), ["model.txt"]);
    }, ["--scratch", "*.log"]);
  });
});

describe("paths the Hub refuses", () => {
  test("git clone into a branch works; sync commits the working tree and keeps .git local", { timeout: 180000 }, async () => {
    const src = fs.mkdtempSync(path.join(os.tmpdir(), "hubfs-gitsrc-"));
    try {
      const git = (args, cwd) => run("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], { cwd });
      git(["init", "-q", "-b", "main"], src);
      fs.writeFileSync(path.join(src, "README.md"), "# cloned\n");
      fs.mkdirSync(path.join(src, "lib"));
      fs.writeFileSync(path.join(src, "lib", "code.py"), "print(1)\n");
      git(["add", "."], src);
      git(["commit", "-q", "-m", "init"], src);
      await withMount([["a.txt", "a\n"]], async ({ hub, root }) => {
        fs.writeFileSync(path.join(root, "notes.txt"), "mine\n");
        git(["clone", "-q", src, path.join(root, "cloned")], root);
        assert.equal(git(["status", "--porcelain"], path.join(root, "cloned")), "", "the clone is a working git repository");
        syncDir(root);
        assert.deepEqual(await hubPaths(hub), ["a.txt", "cloned/README.md", "cloned/lib/code.py", "notes.txt"]);
        const control = fs.readFileSync(path.join(root, CONTROL), "utf8");
        assert.match(control, /^staged: 0 changes/m);
        assert.match(control, /^  local cloned\/\.git\/HEAD \d+ \(the Hub refuses a '\.git' folder\)/m);
      });
    } finally {
      fs.rmSync(src, { recursive: true, force: true });
    }
  });

  test("a name with a backslash is refused when it is made (EINVAL), and the rest commits", { timeout: 180000 }, async () => {
    await withMount([], async ({ hub, root, m }) => {
      assert.throws(() => fs.writeFileSync(path.join(root, "a\\b.txt"), "x"), (e) => e.code === "EINVAL");
      assert.throws(() => fs.mkdirSync(path.join(root, "dir\\x")), (e) => e.code === "EINVAL");
      fs.writeFileSync(path.join(root, "ok.txt"), "ok\n");
      assert.throws(() => fs.renameSync(path.join(root, "ok.txt"), path.join(root, "o\\k.txt")), (e) => e.code === "EINVAL");
      syncDir(root);
      assert.deepEqual(await hubPaths(hub), ["ok.txt"]);
      assert.match(fs.readFileSync(m.logFile, "utf8"), /backslash/);
    });
  });
});

describe("identities and offline mounts", () => {
  const BOB = "hf_bob_token";
  const READER = "hf_reader_token";
  const USERS = [`alice:${TOKEN}:write`, `bob:${BOB}:write`, `reader:${READER}:read`];

  /** `hubfs unmount` as a user runs it: {status, stderr, seconds}. */
  function hubfsUnmount(m) {
    const t0 = Date.now();
    const r = blocking(90000, () => spawnSync(hubfsBin, ["unmount", m.mountpoint, "--timeout", "60"], { encoding: "utf8", timeout: 90000 }));
    return { status: r.status, stderr: r.stderr, seconds: (Date.now() - t0) / 1000 };
  }

  test("a read-only token gives a read-only mount: EROFS at the first write, and the log says why", { timeout: 120000 }, async () => {
    const hub = await startLocalhub({ users: USERS });
    let m;
    try {
      await new HubClient(hub.url, TOKEN).createRepo(REPO);
      m = mountHubfs(hub.url, { token: READER });
      const root = path.join(m.mountpoint, "models", REPO);
      assert.throws(() => fs.writeFileSync(path.join(root, "x.txt"), "x"), (e) => e.code === "EROFS");
      assert.throws(() => fs.mkdirSync(path.join(m.mountpoint, "models/reader/new")), (e) => e.code === "EROFS");
      assert.match(fs.readFileSync(m.logFile, "utf8"), /may only read: the mount is read-only/);
    } finally {
      m?.unmount();
      await hub.stop();
    }
  });

  test("a repository the token may not write to answers EACCES at the first write, not at the commit", { timeout: 120000 }, async () => {
    const hub = await startLocalhub({ users: USERS });
    let m;
    try {
      await new HubClient(hub.url, BOB).createRepo("bob/theirs");
      await new HubClient(hub.url, TOKEN).createRepo(REPO);
      m = mountHubfs(hub.url, { token: TOKEN });
      assert.throws(() => fs.writeFileSync(path.join(m.mountpoint, "models/bob/theirs/x.txt"), "x"), (e) => e.code === "EACCES");
      fs.writeFileSync(path.join(m.mountpoint, "models", REPO, "mine.txt"), "mine\n");  // her own repository is writable
      assert.match(fs.readFileSync(m.logFile, "utf8"), /may not write to models\/bob\/theirs/);
    } finally {
      m?.unmount();
      await hub.stop();
    }
  });

  test("changes staged with one token are never committed by a mount with another's; unmount says what stays staged", { timeout: 240000 }, async () => {
    const hub = await startLocalhub({ users: USERS, orgs: ["team:alice,bob"] });
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "hubfs-identity-"));
    const cacheDir = path.join(work, "cache");
    const repo = "team/shared";
    const mounts = [];
    const mount = (token) => {
      const m = mountHubfs(hub.url, { token, cacheDir });
      mounts.push(m);
      return m;
    };
    const commits = async () =>
      Number((await read(api(hub, `/api/models/${repo}/commits/main`, { token: TOKEN }))).headers.get("x-total-count"));
    try {
      await new HubClient(hub.url, TOKEN).createRepo(repo);
      const before = await commits();
      const alice = mount(TOKEN);
      fs.writeFileSync(path.join(alice.mountpoint, "models", repo, "by-alice.txt"), "alice's work\n");
      alice.kill9();  // staged, never committed

      const bob = mount(BOB);
      const bobRoot = path.join(bob.mountpoint, "models", repo);
      await sleep(4000);  // recovered changes are committed within a second or two, if at all
      assert.equal(await commits(), before, "bob's mount committed nothing of alice's");
      const control = fs.readFileSync(path.join(bobRoot, CONTROL), "utf8");
      assert.match(control, /^state: held/m);
      assert.match(control, /staged by alice/);
      assert.throws(() => fs.writeFileSync(path.join(bobRoot, "by-bob.txt"), "b"), (e) => e.code === "EACCES");
      const u = hubfsUnmount(bob);
      assert.equal(u.status, 1, `unmount exits 1 while changes stay staged: ${u.stderr}`);
      assert.match(u.stderr, /still staged/);
      assert.match(u.stderr, /team\/shared@main/);
      assert.equal(await commits(), before);

      const again = mount(TOKEN);  // alice's own mount commits them
      const done = await pollUntil(async () => (await commits()) === before + 1);
      assert.ok(done, "alice's next mount committed her change");
      const r = hubfsUnmount(again);
      assert.equal(r.status, 0, r.stderr);

      // Asked explicitly (`adopt`), bob's mount commits what alice staged, as bob.
      const alice2 = mount(TOKEN);
      fs.writeFileSync(path.join(alice2.mountpoint, "models", repo, "second.txt"), "alice again\n");
      alice2.kill9();
      const bob2 = mount(BOB);
      const bob2Root = path.join(bob2.mountpoint, "models", repo);
      fs.writeFileSync(path.join(bob2Root, CONTROL), "adopt\n");
      fs.writeFileSync(path.join(bob2Root, CONTROL), "commit\n");
      assert.equal(await commits(), before + 2, "adopted changes are committed");
      const last = (await read(api(hub, `/api/models/${repo}/commits/main`, { token: TOKEN }))).json[0];
      assert.deepEqual(last.authors.map((a) => a.user), ["bob"], "committed as bob");
    } finally {
      for (const m of mounts) m.unmount();
      await hub.stop();
      fs.rmSync(work, { recursive: true, force: true });
    }
  });

  test("--offline is read-only (EROFS) and hubfs unmount returns at once", { timeout: 120000 }, async () => {
    const hub = await startLocalhub({ users: USERS });
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "hubfs-offline-"));
    const cacheDir = path.join(work, "cache");
    let m;
    try {
      const client = new HubClient(hub.url, TOKEN);
      await client.createRepo(REPO);
      await client.commit(REPO, [{ path: "a.txt", data: Buffer.from("a\n") }]);
      m = mountHubfs(hub.url, { token: TOKEN, cacheDir });
      assert.equal(fs.readFileSync(path.join(m.mountpoint, "models", REPO, "a.txt"), "utf8"), "a\n");
      m.unmount();
      m = mountHubfs(hub.url, { token: TOKEN, cacheDir, args: ["--offline"] });
      const root = path.join(m.mountpoint, "models", REPO);
      assert.equal(fs.readFileSync(path.join(root, "a.txt"), "utf8"), "a\n");
      assert.throws(() => fs.writeFileSync(path.join(root, "b.txt"), "b"), (e) => e.code === "EROFS");
      const u = hubfsUnmount(m);
      assert.equal(u.status, 0, u.stderr);
      assert.ok(u.seconds < 20, `unmount took ${u.seconds} s`);
    } finally {
      m?.unmount();
      await hub.stop();
      fs.rmSync(work, { recursive: true, force: true });
    }
  });
});

describe("errors and modes a user expects", () => {
  test("symlinks, FIFOs, sockets and devices live in the mount only: they work, survive a commit and a rename, never reach the Hub; hard links are EPERM; chmod +x lets ./run.sh run", { timeout: 120000 }, async () => {
    await withMount([["a.txt", "a\n"]], async ({ hub, root }) => {
      fs.symlinkSync("a.txt", path.join(root, "link"));
      assert.equal(fs.readlinkSync(path.join(root, "link")), "a.txt");
      assert.ok(fs.lstatSync(path.join(root, "link")).isSymbolicLink());
      assert.equal(fs.lstatSync(path.join(root, "link")).size, "a.txt".length);
      assert.equal(fs.readFileSync(path.join(root, "link"), "utf8"), "a\n", "followed to its target");
      assert.throws(() => fs.linkSync(path.join(root, "a.txt"), path.join(root, "hard")), (e) => e.code === "EPERM");
      run("mkfifo", ["fifo"], { cwd: root });
      run("mknod", ["dev", "c", "1", "3"], { cwd: root });
      assert.ok(fs.statSync(path.join(root, "fifo")).isFIFO());
      const dev = fs.statSync(path.join(root, "dev"));
      assert.ok(dev.isCharacterDevice());
      assert.equal(dev.rdev, (1 << 8) | 3, "its device number");
      // The FIFO is a pipe: a writer and a reader meet through it.
      assert.equal(run("sh", ["-c", "echo through > fifo & cat fifo; wait"], { cwd: root }), "through\n");
      fs.writeFileSync(path.join(root, "b.txt"), "b\n");
      syncDir(root);
      assert.deepEqual(await hubPaths(hub), ["a.txt", "b.txt"], "only regular files are committed");
      fs.mkdirSync(path.join(root, "d"));
      fs.renameSync(path.join(root, "link"), path.join(root, "d", "link"));
      assert.equal(fs.readlinkSync(path.join(root, "d", "link")), "a.txt", "kept across the commit and moved");
      const control = fs.readFileSync(path.join(root, CONTROL), "utf8");
      assert.match(control, /local d\/link .*symlink/, control);
      assert.match(control, /local fifo .*FIFO/, control);
      assert.match(control, /staged: 0 changes/, "they are no change to commit");
      fs.unlinkSync(path.join(root, "fifo"));
      assert.ok(!fs.existsSync(path.join(root, "fifo")));
      const script = path.join(root, "run.sh");
      fs.writeFileSync(script, "#!/bin/sh\necho ran\n");
      fs.chmodSync(script, 0o755);
      assert.equal(fs.statSync(script).mode & 0o777, 0o755);
      assert.equal(run(script, []), "ran\n");
    });
  });

  test("a namespace that does not exist is ENOENT, mkdir of one is EPERM; repositories list as writable; df -i shows free inodes", { timeout: 120000 }, async () => {
    await withMount([["a.txt", "a\n"]], async ({ m }) => {
      const models = path.join(m.mountpoint, "models");
      assert.throws(() => fs.readdirSync(path.join(models, "typo-ns")), (e) => e.code === "ENOENT");
      assert.throws(() => fs.mkdirSync(path.join(models, "new-ns")), (e) => e.code === "EPERM");
      assert.throws(() => fs.mkdirSync(path.join(models, "alice")), (e) => e.code === "EEXIST");
      const listing = run("ls", ["-l", path.join(models, "alice")]);
      assert.match(listing, /^drwxr-xr-x .* everyday$/m, listing);
      const ifree = Number(run("df", ["--output=iavail", m.mountpoint]).trim().split("\n").pop());
      assert.ok(ifree > 1000000, `df -i free inodes: ${ifree}`);
    });
  });

  test("a commit of new files only is titled Upload, as the official client titles it", { timeout: 120000 }, async () => {
    await withMount([["a.txt", "a\n"]], async ({ hub, root }) => {
      fs.writeFileSync(path.join(root, "one.txt"), "1\n");
      fs.writeFileSync(path.join(root, "two.txt"), "2\n");
      syncDir(root);
      const r = await read(api(hub, `/api/models/${REPO}/commits/main`, { token: TOKEN }));
      assert.equal(r.json[0].title, "Upload 2 files with hubfs");
    });
  });

  test("mounting onto a folder that holds files is refused unless --nonempty", { timeout: 120000 }, async () => {
    const hub = await startLocalhub({ users: [`alice:${TOKEN}:write`] });
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "hubfs-nonempty-"));
    const mp = path.join(work, "mnt");
    const mountArgs = ["mount", mp, "--endpoint", hub.url, "--cache-dir", path.join(work, "cache")];
    let forget = () => {};
    try {
      fs.mkdirSync(mp);
      fs.writeFileSync(path.join(mp, "mine.txt"), "would be hidden");
      const r = spawnSync(hubfsBin, mountArgs, { encoding: "utf8", timeout: 60000, env: { ...process.env, HF_TOKEN: TOKEN } });
      assert.equal(r.status, 1);
      assert.match(r.stderr, /is not empty/);
      const ok = spawnSync(hubfsBin, [...mountArgs, "--nonempty"], { encoding: "utf8", timeout: 60000, env: { ...process.env, HF_TOKEN: TOKEN } });
      assert.equal(ok.status, 0, ok.stderr);
      forget = watchMount(mp);
      assert.ok(fs.readdirSync(mp).includes("models"));
    } finally {
      forget();
      const u = isMounted(mp) ? spawnSync(hubfsBin, ["unmount", mp], { encoding: "utf8", timeout: 60000 }) : null;
      spawnSync("fusermount3", ["-u", "-z", mp], { stdio: "ignore", timeout: 30000 });
      await hub.stop();
      if (u) assert.equal(u.status, 0, `hubfs unmount: ${u.stderr}`);
      fs.rmSync(work, { recursive: true, force: true });
    }
  });
});

describe("the command line", () => {
  test("hubfs without arguments prints its usage and exits 2; an unknown command says so", () => {
    const none = spawnSync(hubfsBin, [], { encoding: "utf8", timeout: 30000 });
    assert.equal(none.status, 2);
    assert.match(none.stderr, /^usage:/);
    const bogus = spawnSync(hubfsBin, ["bogus"], { encoding: "utf8", timeout: 30000 });
    assert.equal(bogus.status, 2);
    assert.match(bogus.stderr, /unknown command 'bogus'/);
  });

  /** Every column of a table starts at its header's column, in every row. */
  function assertAligned(table) {
    const [header, ...rows] = table.split("\n").filter(Boolean);
    const starts = [...header.matchAll(/\S+/g)].map((m) => m.index);
    for (const row of rows)
      for (const at of starts.slice(1))
        assert.ok(row[at] !== " " && row[at - 1] === " ", `column at ${at} misaligned:\n${header}\n${row}`);
  }

  test("hubfs status: aligned tables whatever the mount path's length, only branches with changes, and --json", { timeout: 180000 }, async () => {
    const hub = await startLocalhub({ users: [`alice:${TOKEN}:write`] });
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "hubfs-status-"));
    const mp = path.join(work, "a-mount-point-whose-path-is-much-longer-than-any-fixed-column-width", "mnt");
    fs.mkdirSync(mp, { recursive: true });
    const env = { ...process.env, HF_TOKEN: TOKEN };
    let forget = () => {};
    try {
      const client = new HubClient(hub.url, TOKEN);
      await client.createRepo(REPO);
      await client.createRepo("alice/other");
      const m = spawnSync(hubfsBin, ["mount", mp, "--endpoint", hub.url, "--cache-dir", path.join(work, "cache")], { env, encoding: "utf8", timeout: 60000 });
      assert.equal(m.status, 0, m.stderr);
      forget = watchMount(mp);
      fs.writeFileSync(path.join(mp, "models", REPO, "done.txt"), "committed\n");
      syncDir(path.join(mp, "models", REPO));  // committed: nothing staged there any more
      fs.writeFileSync(path.join(mp, "models/alice/other/waiting.txt"), "staged\n");
      let text = "";
      const shown = await pollUntil(() => {
        text = run(hubfsBin, ["status"]);
        return text.includes("models/alice/other@main");
      }, 15000);
      assert.ok(shown, `the staged branch is listed:\n${text}`);
      const [mounts, staged] = text.split("\n\n");
      assertAligned(mounts);
      assertAligned(staged);
      assert.ok(mounts.includes(mp));
      assert.doesNotMatch(staged, /everyday@main/, "a branch with nothing staged is not listed");
      assert.match(staged, /models\/alice\/other@main\s+1\s+7 B\s+idle/);
      const json = JSON.parse(run(hubfsBin, ["status", "--json"]));
      const mine = json.find((x) => x.mountpoint === mp);
      assert.deepEqual(mine.branches.map((b) => [b.branch, b.changes, b.bytes]), [["models/alice/other@main", 1, 7]]);
    } finally {
      forget();
      const u = isMounted(mp) ? spawnSync(hubfsBin, ["unmount", mp, "--timeout", "30"], { encoding: "utf8", timeout: 60000 }) : null;
      spawnSync("fusermount3", ["-u", "-z", mp], { stdio: "ignore", timeout: 30000 });
      await hub.stop();
      if (u) assert.equal(u.status, 0, `hubfs unmount: ${u.stderr}`);
      fs.rmSync(work, { recursive: true, force: true });
    }
  });
});

describe("a person sees what a long operation does", () => {
  test("hubfs unmount shows the commit's upload: bytes sent, total", { timeout: 240000 }, async () => {
    // Every answer of this Hub is slow, so the upload's parts take a while.
    const hub = await startLocalhub({ users: [`alice:${TOKEN}:write`], args: ["--latency-ms", "1500"] });
    let m;
    try {
      await new HubClient(hub.url, TOKEN).createRepo(REPO);
      m = mountHubfs(hub.url, { token: TOKEN });
      const big = Buffer.alloc(64 << 20);
      for (let i = 0; i < big.length; i += 4096) big[i] = i & 255;
      fs.writeFileSync(path.join(m.mountpoint, "models", REPO, "weights.bin"), big);
      const r = blocking(200000, () => spawnSync(hubfsBin, ["unmount", m.mountpoint, "--timeout", "180"], { encoding: "utf8", timeout: 200000 }));
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stderr, /committing models\/alice\/everyday@main: [\d.]+ [KMG]?i?B \/ 64\.0 MiB sent/, r.stderr);
    } finally {
      m?.unmount();
      await hub.stop();
    }
  });
});
