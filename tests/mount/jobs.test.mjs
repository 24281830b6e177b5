// Jobs as files (/jobs/<ns>/), on a real mount against localhub, which runs each job as a real
// process (a cron minute lasts 2 s here); every outcome is checked on the Hub side through its
// HTTP API too.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { api, read } from "../harness/hubapi.mjs";
import { startLocalhub } from "../harness/localhub.mjs";
import { alive, hubfsBin, mountHubfs, withMountedHub, writeTo } from "./fixture.mjs";

const ALICE = "hf_alice_jobs_token";
const SECRET = "sup3r-s3cret-value-5519";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The file as `cat` prints it (cat reads to the end of the file, whatever stat said). */
function cat(file) {
  const r = spawnSync("cat", [file], { encoding: "utf8", timeout: 60000 });
  assert.equal(r.status, 0, `cat ${file}: ${r.stderr}`);
  return r.stdout;
}

async function hubJob(hub, id) {
  const r = await read(api(hub, `/api/jobs/alice/${id}`, { token: ALICE }));
  assert.equal(r.status, 200, r.text);
  return r.json;
}
async function hubJobs(hub) {
  const r = await read(api(hub, "/api/jobs/alice", { token: ALICE }));
  assert.equal(r.status, 200, r.text);
  return r.json;
}

/** Polls status.json until the job has left RUNNING (bounded: a hang fails, not a speed). */
async function waitEnded(dir, id, ms = 60000) {
  const end = Date.now() + ms;
  for (;;) {
    const s = JSON.parse(fs.readFileSync(path.join(dir, id, "status.json"), "utf8"));
    if (!["SCHEDULING", "RUNNING", "UPDATING"].includes(s.stage)) return s;
    if (Date.now() > end) assert.fail(`job ${id} still ${s.stage} after ${ms} ms`);
    await sleep(200);
  }
}

/** Starts a job through the run file; returns the id the run file reads back. */
function runJob(dir, spec) {
  assert.equal(writeTo(path.join(dir, "run"), JSON.stringify(spec) + "\n"), "");
  const m = /last started: ([0-9a-f]+)/.exec(fs.readFileSync(path.join(dir, "run"), "utf8"));
  assert.ok(m, "run reads back the new id");
  return m[1];
}

async function withMount(fn) {
  const hub = await startLocalhub({ users: [`alice:${ALICE}:write`], orgs: ["acme:alice"], args: ["--job-minute-seconds", "2"] });
  return withMountedHub(hub, async () => {
    return mountHubfs(hub.url, { token: ALICE });
  }, (m) => fn({ hub, m, dir: path.join(m.mountpoint, "jobs", "alice") }));
}

const image = "python:3.12";
const pad = "0".repeat(5000);

describe("jobs as files", () => {
  test("run a job: tail -f logs shows its lines while it runs; status.json says COMPLETED; cat gives every line", { timeout: 180000 }, async () => {
    await withMount(async ({ hub, m, dir }) => {
      assert.deepEqual(fs.readdirSync(path.join(m.mountpoint, "jobs")).sort(), ["acme", "alice"]);
      assert.deepEqual(fs.readdirSync(dir).sort(), ["index", "run", "scheduled"]);
      // A first line of 5000 bytes: past 4 KiB, tail -f trusts only the size stat shows.
      const script = "printf '%05000d\\n' 0; for i in 1 2 3 4 5 6; do echo line $i; sleep 0.7; done";
      const id = runJob(dir, { image, command: ["sh", "-c", script] });
      assert.ok(fs.readdirSync(dir).includes(id), "the new job is a folder");
      assert.match(fs.readFileSync(path.join(dir, "index"), "utf8"), new RegExp(`^${id}\\t(RUNNING|COMPLETED)\\t`, "m"));
      assert.ok((await hubJobs(hub)).some((j) => j.id === id), "the Hub lists the job");

      // tail -f, as a user runs it, in the background; each line noted with the job's stage then.
      const tail = spawn("tail", ["-n", "+1", "-f", path.join(dir, id, "logs")], { stdio: ["ignore", "pipe", "pipe"] });
      const seen = [];
      let buf = "";
      let tailErr = "";
      tail.stderr.on("data", (d) => (tailErr += d));
      tail.stdout.on("data", (d) => {
        buf += d;
        for (let i; (i = buf.indexOf("\n")) >= 0; buf = buf.slice(i + 1)) {
          const line = buf.slice(0, i);
          seen.push({ line, stage: hubJob(hub, id).then((j) => j.status.stage) });
        }
      });
      try {
        const end = Date.now() + 60000;
        while (seen.length < 7 && Date.now() < end) await sleep(100);
        await sleep(1500); // nothing more comes (a size that shrank would make tail print it all again)
        const shown = seen.map((s) => (s.line === pad ? "<pad>" : s.line));
        assert.deepEqual(shown, ["<pad>", "line 1", "line 2", "line 3", "line 4", "line 5", "line 6"], tailErr);
        assert.equal(await seen[1].stage, "RUNNING", "tail -f showed line 1 while the job still ran");
      } finally {
        tail.kill();
      }
      const s = await waitEnded(dir, id);
      assert.equal(s.stage, "COMPLETED");
      assert.equal(s.exit_code, 0);
      assert.deepEqual(s.command, ["sh", "-c", script]);
      const onHub = await hubJob(hub, id);
      assert.equal(onHub.status.stage, "COMPLETED");
      assert.equal(onHub.status.exitCode, 0);
      const all = `${pad}\nline 1\nline 2\nline 3\nline 4\nline 5\nline 6\n`;
      assert.equal(cat(path.join(dir, id, "logs")), all);
      assert.equal(fs.statSync(path.join(dir, id, "logs")).size, all.length, "stat shows the log's length");

      // A finished job nobody followed: cat gives its whole log at the first read.
      const quick = runJob(dir, { image, command: ["sh", "-c", "seq 1 200"] });
      const end = Date.now() + 30000;
      while ((await hubJob(hub, quick)).status.stage === "RUNNING" && Date.now() < end) await sleep(100);
      const lines = cat(path.join(dir, quick, "logs")).split("\n");
      assert.equal(lines.length, 201);
      assert.equal(lines[199], "200");
    });
  });

  test("cancel a long job: CANCELED on the mount and on the Hub, its processes gone; a second cancel is EINVAL", { timeout: 120000 }, async () => {
    await withMount(async ({ hub, dir }) => {
      const id = runJob(dir, { image, command: ["sh", "-c", "sleep 300 & echo child $!; echo main $$; wait"] });
      const pids = {};
      const end = Date.now() + 30000;
      while (!(pids.child && pids.main) && Date.now() < end) {
        for (const m of cat(path.join(dir, id, "logs")).matchAll(/^(child|main) (\d+)$/gm)) pids[m[1]] = Number(m[2]);
        await sleep(200);
      }
      assert.ok(pids.child && pids.main, "the job printed its pids");
      assert.ok(alive(pids.child) && alive(pids.main));
      assert.equal(writeTo(path.join(dir, id, "cancel"), "\n"), "");
      const s = await waitEnded(dir, id);
      assert.equal(s.stage, "CANCELED");
      assert.equal((await hubJob(hub, id)).status.stage, "CANCELED");
      const gone = Date.now() + 10000;
      while ((alive(pids.child) || alive(pids.main)) && Date.now() < gone) await sleep(100);
      assert.ok(!alive(pids.main), "the job's process is gone");
      assert.ok(!alive(pids.child), "its background child is gone too");
      assert.equal(writeTo(path.join(dir, id, "cancel"), "\n"), "EINVAL", "cancel of a finished job");
      assert.equal((await hubJob(hub, id)).status.stage, "CANCELED", "nothing changed");
    });
  });

  test("bad input: malformed spec and unknown flavor are EINVAL and create nothing; a missing command ends ERROR saying so; the mount never shows a secret", { timeout: 120000 }, async () => {
    await withMount(async ({ hub, m, dir }) => {
      const before = (await hubJobs(hub)).length;
      assert.equal(writeTo(path.join(dir, "run"), '{"image": "x", "command": ['), "EINVAL", "malformed JSON");
      assert.equal(writeTo(path.join(dir, "run"), `{"image": "x", "command": ["true"], "secrets": {"K": "${SECRET}"`), "EINVAL");
      assert.equal(writeTo(path.join(dir, "run"), JSON.stringify({ image, command: ["true"], enviroment: {} })), "EINVAL", "unknown key");
      assert.equal(writeTo(path.join(dir, "run"), JSON.stringify({ image, command: ["true"], flavor: "quantum-xl" })), "EINVAL", "the Hub refuses the flavor");
      assert.equal((await hubJobs(hub)).length, before, "no job was created");
      assert.doesNotMatch(fs.readFileSync(path.join(dir, "run"), "utf8"), /last started/);
      assert.match(fs.readFileSync(m.logFile, "utf8"), /Unknown flavor: quantum-xl/, "the Hub's message is in the log");

      const missing = runJob(dir, { image, command: ["no-such-command-xyz", "arg"] });
      const s = await waitEnded(dir, missing);
      assert.equal(s.stage, "ERROR");
      assert.match(s.message, /no-such-command-xyz.*No such file/);
      assert.match(cat(path.join(dir, missing, "logs")), /no-such-command-xyz/);

      const cmd = `test "$TOKEN" = "${SECRET.slice(0, 6)}""${SECRET.slice(6)}" && echo secret-ok; echo leak: $TOKEN`;
      const id = runJob(dir, { image, command: ["sh", "-c", cmd], secrets: { TOKEN: SECRET } });
      const done = await waitEnded(dir, id);
      assert.equal(done.stage, "COMPLETED");
      assert.deepEqual(done.secrets, ["TOKEN"]);
      const logs = cat(path.join(dir, id, "logs"));
      assert.match(logs, /^secret-ok$/m, "the job got the secret");
      const status = spawnSync(hubfsBin, ["status"], { encoding: "utf8", timeout: 30000 });
      const shown = {
        "status.json": fs.readFileSync(path.join(dir, id, "status.json"), "utf8"),
        logs,
        index: fs.readFileSync(path.join(dir, "index"), "utf8"),
        "hubfs status": status.stdout + status.stderr,
        "the hubfs log": fs.readFileSync(m.logFile, "utf8"),
      };
      for (const [what, text] of Object.entries(shown)) assert.ok(!text.includes(SECRET), `the secret shows in ${what}`);
      assert.ok(!JSON.stringify(await hubJob(hub, id)).includes(SECRET));
      assert.equal(writeTo(path.join(dir, id, "status.json"), "x"), "EACCES", "status.json is read-only");
      assert.throws(() => fs.readFileSync(path.join(dir, id, "cancel")), (e) => e.code === "EACCES", "cancel is write-only");
      assert.ok(!fs.existsSync(path.join(dir, "0123456789abcdef01234567")), "a job the Hub does not know is no folder");

      // A log still followed at unmount (a running job's): the unmount ends its stream.
      const long = runJob(dir, { image, command: ["sh", "-c", "echo waiting; sleep 300"] });
      const end = Date.now() + 30000;
      while (!cat(path.join(dir, long, "logs")).includes("waiting") && Date.now() < end) await sleep(200);
      assert.equal((await hubJob(hub, long)).status.stage, "RUNNING");
      const u = spawnSync(hubfsBin, ["unmount", m.mountpoint, "--timeout", "20"], { encoding: "utf8", timeout: 60000 });
      assert.equal(u.status, 0, `unmount while a log is followed: ${u.stderr}`);
    });
  });

  test("a scheduled job fires (twice), suspend stops it, resume restarts it, rmdir deletes it", { timeout: 180000 }, async () => {
    await withMount(async ({ hub, dir }) => {
      const sched = path.join(dir, "scheduled");
      assert.equal(writeTo(path.join(sched, "new"), JSON.stringify({ image, command: ["true"] })), "EINVAL", "no schedule");
      assert.equal(writeTo(path.join(sched, "new"), JSON.stringify({ schedule: "every now and then", image, command: ["true"] })), "EINVAL", "the Hub refuses the schedule");
      assert.equal(writeTo(path.join(sched, "new"), JSON.stringify({ schedule: "* * * * *", image, command: ["echo", "tick"] })), "");
      const sid = /last created: ([0-9a-f]+)/.exec(fs.readFileSync(path.join(sched, "new"), "utf8"))?.[1];
      assert.ok(sid, "new reads back the id");
      assert.deepEqual(fs.readdirSync(sched).sort(), ["index", "new", sid].sort());
      const spec = JSON.parse(fs.readFileSync(path.join(sched, sid, "spec.json"), "utf8"));
      assert.equal(spec.schedule, "* * * * *");
      assert.equal(spec.suspend, false);
      assert.deepEqual(spec.job.command, ["echo", "tick"]);

      const fired = async () => (await hubJobs(hub)).filter((j) => j.initiator?.id === sid);
      let end = Date.now() + 30000;
      while ((await fired()).length < 2 && Date.now() < end) await sleep(200);
      const jobs = await fired();
      assert.ok(jobs.length >= 2, `fired ${jobs.length} times`);
      const listed = fs.readdirSync(dir);
      for (const j of jobs) assert.ok(listed.includes(j.id), "its runs are jobs of the namespace");
      // Each run is a job of its own, read through the mount (one run once ended ERROR on a
      // loaded machine, cause unknown: at least one must complete, and print).
      const ended = [];
      for (const j of jobs) ended.push(await waitEnded(dir, j.id));
      const done = ended.find((s) => s.stage === "COMPLETED");
      assert.ok(done, JSON.stringify(ended));
      assert.equal(cat(path.join(dir, done.id, "logs")), "tick\n");
      assert.match(JSON.parse(fs.readFileSync(path.join(sched, sid, "spec.json"), "utf8")).last_job ?? "", /^[0-9a-f]+$/);

      assert.equal(writeTo(path.join(sched, sid, "suspend"), "\n"), "");
      assert.equal(JSON.parse(fs.readFileSync(path.join(sched, sid, "spec.json"), "utf8")).suspend, true);
      assert.match(fs.readFileSync(path.join(sched, "index"), "utf8"), new RegExp(`^${sid}\\t\\* \\* \\* \\* \\*\\tsuspended\\t`, "m"));
      await sleep(500); // a firing decided just before the suspend may still land
      const atSuspend = (await fired()).length;
      await sleep(5000); // 2.5 cron minutes
      assert.equal((await fired()).length, atSuspend, "no firing while suspended");

      assert.equal(writeTo(path.join(sched, sid, "resume"), "\n"), "");
      end = Date.now() + 30000;
      while ((await fired()).length <= atSuspend && Date.now() < end) await sleep(200);
      assert.ok((await fired()).length > atSuspend, "fires again after resume");

      fs.rmdirSync(path.join(sched, sid));
      const gone = await read(api(hub, `/api/scheduled-jobs/alice/${sid}`, { token: ALICE }));
      assert.equal(gone.status, 404, "deleted on the Hub");
      assert.ok(!fs.readdirSync(sched).includes(sid));
      assert.throws(() => fs.rmdirSync(path.join(sched, sid)), (e) => e.code === "ENOENT");
    });
  });
});
