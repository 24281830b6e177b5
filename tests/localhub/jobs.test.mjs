// Jobs (protocol §8) as localhub runs them: a real local process per job, logs streamed as
// Server-Sent Events while it runs, COMPLETED / ERROR / CANCELED, timeouts, scheduled jobs that
// fire (a cron minute lasts --job-minute-seconds), access rules, bad input, and secrets that
// never come back. State survives a restart.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { startLocalhub } from "../harness/localhub.mjs";
import { api, read, describe } from "../harness/hubapi.mjs";

const ALICE = "hf_alice_jobs_write";
const BOB = "hf_bob_jobs_write";
const RITA = "hf_rita_jobs_read";
const SECRET = "sup3r-s3cret-value-8731";
const users = [`alice:${ALICE}:write`, `bob:${BOB}:write`, `rita:${RITA}:read`];
const orgs = ["acme:alice,rita"];
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "localhub-jobs-"));
const args = ["--job-minute-seconds", "2"];
let hub;

before(async () => {
  hub = await startLocalhub({ users, orgs, dataDir, args });
});
after(async () => {
  await hub?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const spec = (command, extra = {}) => ({ dockerImage: "python:3.12", command, arguments: [], environment: {}, flavor: "cpu-basic", ...extra });

async function runJob(body, { ns = "alice", token = ALICE } = {}) {
  const r = await read(api(hub, `/api/jobs/${ns}`, { token, body }));
  assert.equal(r.status, 200, describe(r, "run job"));
  return r.json;
}
async function inspect(id, ns = "alice") {
  const r = await read(api(hub, `/api/jobs/${ns}/${id}`, { token: ALICE }));
  assert.equal(r.status, 200, describe(r, "inspect job"));
  return r.json;
}
// Polls until the job's stage leaves RUNNING (bounded: a hang fails the test, not a speed).
async function waitDone(id, ns = "alice", ms = 30000) {
  const end = Date.now() + ms;
  for (;;) {
    const j = await inspect(id, ns);
    if (j.status.stage !== "RUNNING") return j;
    if (Date.now() > end) assert.fail(`job ${id} still RUNNING after ${ms} ms`);
    await sleep(100);
  }
}
// Reads the SSE log stream to its end; onLine is called per event as it arrives.
async function followLogs(id, onLine = () => {}, ns = "alice") {
  const res = await api(hub, `/api/jobs/${ns}/${id}/logs`, { token: ALICE, headers: { Accept: "text/event-stream" } });
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type"), /text\/event-stream/);
  const lines = [];
  let buf = "";
  const dec = new TextDecoder();
  for await (const chunk of res.body) {
    buf += dec.decode(chunk, { stream: true });
    let i;
    while ((i = buf.indexOf("\n\n")) >= 0) {
      const event = buf.slice(0, i);
      buf = buf.slice(i + 2);
      if (!event.startsWith("data: {")) continue;
      const e = JSON.parse(event.slice(6));
      assert.equal(typeof e.timestamp, "string");
      lines.push(e.data);
      await onLine(e.data);
    }
  }
  return lines;
}
const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code !== "ESRCH";
  }
};

test("a job's logs stream while it runs and the stream ends when it ends; COMPLETED with exit code 0", async () => {
  const job = await runJob(spec(["sh", "-c", "for i in 1 2 3 4; do echo line $i; sleep 0.5; done"], { labels: { name: "count" } }));
  assert.match(job.id, /^[0-9a-f]{24}$/);
  assert.equal(job.status.stage, "RUNNING");
  assert.equal(job.owner.name, "alice");
  let stageAtFirstLine;
  const lines = await followLogs(job.id, async (l) => {
    if (l === "line 1") stageAtFirstLine = (await inspect(job.id)).status.stage;
  });
  assert.match(lines[0], /^===== Job started/);
  assert.deepEqual(lines.slice(1), ["line 1", "line 2", "line 3", "line 4"]);
  assert.equal(stageAtFirstLine, "RUNNING", "the first line arrived while the job still ran");
  const done = await waitDone(job.id);
  assert.equal(done.status.stage, "COMPLETED");
  assert.equal(done.status.exitCode, 0);
  assert.ok(done.finishedAt && done.startedAt);
  // A finished job's logs replay whole; ?tail=N gives the last N.
  assert.deepEqual((await followLogs(job.id)).slice(1), ["line 1", "line 2", "line 3", "line 4"]);
  const tail = await read(api(hub, `/api/jobs/alice/${job.id}/logs?tail=2`, { token: ALICE }));
  assert.equal(tail.text.split("\n\n").filter((e) => e.startsWith("data: {")).length, 2, tail.text);
  // Listing with stage and label filters.
  const list = await read(api(hub, `/api/jobs/alice?stage=COMPLETED&label=name=count`, { token: ALICE }));
  assert.equal(list.status, 200);
  assert.ok(list.json.some((j) => j.id === job.id));
  const none = await read(api(hub, `/api/jobs/alice?stage=RUNNING&label=name=count`, { token: ALICE }));
  assert.ok(!none.json.some((j) => j.id === job.id));
});

test("stdout and stderr both reach the logs; a non-zero exit is ERROR with the code", async () => {
  const job = await runJob(spec(["sh", "-c", "echo out; echo err >&2; exit 7"]));
  const lines = await followLogs(job.id);
  assert.ok(lines.includes("out") && lines.includes("err"), JSON.stringify(lines));
  const done = await waitDone(job.id);
  assert.equal(done.status.stage, "ERROR");
  assert.equal(done.status.exitCode, 7);
  assert.match(done.status.message, /exit code 7/);
});

test("a command that does not exist is ERROR with a message saying so", async () => {
  const job = await runJob(spec(["no-such-command-xyz", "arg"]));
  const done = await waitDone(job.id);
  assert.equal(done.status.stage, "ERROR");
  assert.match(done.status.message, /no-such-command-xyz.*No such file/);
  const lines = await followLogs(job.id);
  assert.ok(lines.some((l) => /no-such-command-xyz/.test(l)), "the reason is in the logs too");
});

test("cancel kills the whole process group -> CANCELED; cancelling a finished job is refused", async () => {
  const job = await runJob(spec(["sh", "-c", "sleep 300 & echo child $!; echo main $$; wait"]));
  const pids = {};
  const follow = followLogs(job.id, (l) => {
    const m = /^(child|main) (\d+)$/.exec(l);
    if (m) pids[m[1]] = Number(m[2]);
  });
  const end = Date.now() + 10000;
  while (!(pids.child && pids.main) && Date.now() < end) await sleep(50);
  assert.ok(pids.child && pids.main, "the job printed its pids");
  assert.ok(alive(pids.child) && alive(pids.main));
  const c = await read(api(hub, `/api/jobs/alice/${job.id}/cancel`, { token: ALICE, method: "POST" }));
  assert.equal(c.status, 200, describe(c, "cancel"));
  await follow; // the log stream ends with the job
  const done = await waitDone(job.id);
  assert.equal(done.status.stage, "CANCELED");
  const gone = Date.now() + 5000;
  while ((alive(pids.child) || alive(pids.main)) && Date.now() < gone) await sleep(50);
  assert.ok(!alive(pids.main), "main process gone");
  assert.ok(!alive(pids.child), "background child gone too");

  const again = await read(api(hub, `/api/jobs/alice/${job.id}/cancel`, { token: ALICE, method: "POST" }));
  assert.equal(again.status, 400, describe(again, "cancel finished"));
  assert.match(again.json.error, /not running/);
  assert.equal((await inspect(job.id)).status.stage, "CANCELED", "nothing changed");
});

test("a job that outlives timeoutSeconds is killed -> ERROR", async () => {
  const job = await runJob(spec(["sleep", "60"], { timeoutSeconds: 1 }));
  const done = await waitDone(job.id);
  assert.equal(done.status.stage, "ERROR");
  assert.match(done.status.message, /timed out/);
});

test("bad specs are refused with 400 and create nothing", async () => {
  const before = (await read(api(hub, "/api/jobs/alice", { token: ALICE }))).json.length;
  const bad = [
    ["malformed JSON", '{"dockerImage": "x", "command": ['],
    ["not an object", "[1,2]"],
    ["no image", spec(["true"], { dockerImage: undefined })],
    ["image and space", spec(["true"], { spaceId: "alice/space" })],
    ["no command", spec([])],
    ["command not strings", spec(["echo", 1])],
    ["unknown flavor", spec(["true"], { flavor: "quantum-xl" })],
    ["environment not strings", spec(["true"], { environment: { A: 1 } })],
    ["secrets not an object", spec(["true"], { secrets: "x" })],
    ["negative timeout", spec(["true"], { timeoutSeconds: -1 })],
  ];
  for (const [what, body] of bad) {
    const r = await read(api(hub, "/api/jobs/alice", { token: ALICE, body, headers: { "Content-Type": "application/json" } }));
    assert.equal(r.status, 400, describe(r, what));
    assert.equal(typeof r.json?.error, "string", what);
  }
  const flavor = await read(api(hub, "/api/jobs/alice", { token: ALICE, body: spec(["true"], { flavor: "quantum-xl" }) }));
  assert.match(flavor.json.error, /Unknown flavor: quantum-xl/);
  assert.equal((await read(api(hub, "/api/jobs/alice", { token: ALICE }))).json.length, before);
  const missing = await read(api(hub, "/api/jobs/alice/0123456789abcdef01234567", { token: ALICE }));
  assert.equal(missing.status, 404);
});

test("access: only members of the namespace with a write token", async () => {
  const body = spec(["true"]);
  const cases = [
    [undefined, "alice", 401],
    ["hf_not_a_token", "alice", 401],
    [BOB, "alice", 403],
    [RITA, "acme", 403], // member, read token
    [ALICE, "bob", 403],
  ];
  for (const [token, ns, status] of cases) {
    for (const [method, p, b] of [["POST", `/api/jobs/${ns}`, body], ["GET", `/api/jobs/${ns}`], ["GET", `/api/scheduled-jobs/${ns}`]]) {
      const r = await read(api(hub, p, { token, method, body: b }));
      assert.equal(r.status, status, describe(r, `${method} ${p} as ${token ?? "anonymous"}`));
    }
  }
  const org = await runJob(body, { ns: "acme" });
  assert.equal(org.owner.name, "acme");
  assert.equal(org.owner.type, "org");
  // Another namespace's job id is not found through mine.
  const r = await read(api(hub, `/api/jobs/alice/${org.id}`, { token: ALICE }));
  assert.equal(r.status, 404);
  await waitDone(org.id, "acme");
});

test("secrets reach the process but never an answer, a log line or the data folder's job list", async () => {
  const job = await runJob(
    // The command compares with the secret in two pieces, so that the job object never holds it whole.
    spec(["sh", "-c", `test "$TOKEN" = "${SECRET.slice(0, 6)}""${SECRET.slice(6)}" && echo secret-ok; echo leak: $TOKEN`], {
      secrets: { TOKEN: SECRET },
    }),
  );
  assert.deepEqual(job.secrets, ["TOKEN"]);
  assert.ok(!JSON.stringify(job).includes(SECRET));
  const lines = await followLogs(job.id);
  assert.ok(lines.includes("secret-ok"), "the process got the secret: " + JSON.stringify(lines));
  assert.ok(lines.includes("leak: ***"), "printed secret redacted: " + JSON.stringify(lines));
  const done = await waitDone(job.id);
  assert.equal(done.status.stage, "COMPLETED");
  const got = await read(api(hub, `/api/jobs/alice/${job.id}`, { token: ALICE }));
  const secretFree = (t) => !t.includes(SECRET);
  assert.ok(secretFree(got.text));
  assert.ok(secretFree((await read(api(hub, "/api/jobs/alice", { token: ALICE }))).text));
  assert.ok(secretFree(fs.readFileSync(path.join(dataDir, "jobs", "jobs.json"), "utf8")));
  assert.ok(!fs.readFileSync(path.join(dataDir, "jobs", "logs", `${job.id}.jsonl`), "utf8").includes(SECRET));
  assert.ok(!hub.stderr().includes(SECRET));
});

test("without network when the machine allows it (localhub says which on stderr)", async () => {
  const isolated = /jobs run without network/.test(hub.stderr());
  assert.ok(isolated || /jobs run WITH network/.test(hub.stderr()), hub.stderr());
  // /proc/self/net/dev lists the interfaces of the process's own network namespace.
  const job = await runJob(spec(["sh", "-c", "tail -n +3 /proc/self/net/dev | cut -d: -f1 | tr -d ' '"]));
  const lines = (await followLogs(job.id)).slice(1);
  if (isolated) assert.deepEqual(lines, ["lo"]);
  else assert.ok(lines.length >= 1);
});

test("a scheduled job fires on its cron schedule; suspend stops it, resume restarts it; delete removes it", async () => {
  const bad = await read(api(hub, "/api/scheduled-jobs/alice", { token: ALICE, body: { jobSpec: spec(["true"]), schedule: "every now and then" } }));
  assert.equal(bad.status, 400, describe(bad, "bad schedule"));
  const badSpec = await read(api(hub, "/api/scheduled-jobs/alice", { token: ALICE, body: { jobSpec: spec(["true"], { flavor: "nope" }), schedule: "* * * * *" } }));
  assert.equal(badSpec.status, 400);

  const r = await read(api(hub, "/api/scheduled-jobs/alice", { token: ALICE, body: { jobSpec: spec(["echo", "tick"]), schedule: "* * * * *" } }));
  assert.equal(r.status, 200, describe(r, "schedule"));
  const sid = r.json.id;
  assert.equal(r.json.suspend, false);
  assert.equal(typeof r.json.status.nextJobRunAt, "string");
  const fired = async () =>
    (await read(api(hub, "/api/jobs/alice", { token: ALICE }))).json.filter((j) => j.initiator?.id === sid);
  // --job-minute-seconds 2: two firings within a bounded wait.
  let end = Date.now() + 20000;
  while ((await fired()).length < 2 && Date.now() < end) await sleep(200);
  const jobs = await fired();
  assert.ok(jobs.length >= 2, `fired ${jobs.length} times`);
  for (const j of jobs) assert.equal((await waitDone(j.id)).status.stage, "COMPLETED");
  const info = await read(api(hub, `/api/scheduled-jobs/alice/${sid}`, { token: ALICE }));
  assert.ok(jobs.some((j) => j.id === info.json.status.lastJob.id));

  assert.equal((await read(api(hub, `/api/scheduled-jobs/alice/${sid}/suspend`, { token: ALICE, method: "POST" }))).status, 200);
  await sleep(300); // a firing decided just before the suspend may still land
  const atSuspend = (await fired()).length;
  await sleep(5000); // 2.5 cron minutes
  assert.equal((await fired()).length, atSuspend, "no firing while suspended");
  const s = await read(api(hub, `/api/scheduled-jobs/alice/${sid}`, { token: ALICE }));
  assert.equal(s.json.suspend, true);
  assert.equal(s.json.status.nextJobRunAt, null);

  assert.equal((await read(api(hub, `/api/scheduled-jobs/alice/${sid}/resume`, { token: ALICE, method: "POST" }))).status, 200);
  end = Date.now() + 15000;
  while ((await fired()).length <= atSuspend && Date.now() < end) await sleep(200);
  assert.ok((await fired()).length > atSuspend, "fires again after resume");

  const list = await read(api(hub, "/api/scheduled-jobs/alice", { token: ALICE }));
  assert.ok(list.json.some((x) => x.id === sid));
  assert.equal((await read(api(hub, `/api/scheduled-jobs/alice/${sid}`, { token: ALICE, method: "DELETE" }))).status, 200);
  assert.equal((await read(api(hub, `/api/scheduled-jobs/alice/${sid}`, { token: ALICE }))).status, 404);
  await sleep(300);
  const atDelete = (await fired()).length;
  await sleep(4500);
  assert.equal((await fired()).length, atDelete, "no firing after delete");
});

test("scheduled secrets stay hidden; jobs, logs and schedules survive a restart", async () => {
  const r = await read(
    api(hub, "/api/scheduled-jobs/alice", {
      token: ALICE,
      body: {
        jobSpec: spec(["sh", "-c", `test "$K" = "${SECRET.slice(0, 6)}""${SECRET.slice(6)}" && echo ok`], { secrets: { K: SECRET } }),
        schedule: "@yearly",
        suspend: true,
      },
    }),
  );
  assert.equal(r.status, 200, describe(r));
  assert.deepEqual(r.json.jobSpec.secrets, ["K"]);
  assert.ok(!r.text.includes(SECRET));
  const sid = r.json.id;
  const run = await read(api(hub, `/api/scheduled-jobs/alice/${sid}/run`, { token: ALICE, method: "POST" }));
  assert.equal(run.status, 200, describe(run, "trigger now"));
  const lines = await followLogs(run.json.id);
  assert.ok(lines.includes("ok"), JSON.stringify(lines));
  assert.equal((await waitDone(run.json.id)).status.stage, "COMPLETED");

  await hub.stop();
  hub = await startLocalhub({ users, orgs, dataDir, args });
  const again = await inspect(run.json.id);
  assert.equal(again.status.stage, "COMPLETED");
  assert.ok((await followLogs(run.json.id)).includes("ok"), "logs kept");
  const s = await read(api(hub, `/api/scheduled-jobs/alice/${sid}`, { token: ALICE }));
  assert.equal(s.status, 200);
  assert.equal(s.json.suspend, true);
  const run2 = await read(api(hub, `/api/scheduled-jobs/alice/${sid}/run`, { token: ALICE, method: "POST" }));
  assert.ok((await followLogs(run2.json.id)).includes("ok"), "the schedule's secret survived the restart");
});
