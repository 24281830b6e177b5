// The write path never loses or corrupts data: operation sequences checked against a local
// folder as the model (a replayed case and random seeds), then against the Hub after unmount;
// and each way a write was once lost, as the user's scenario.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { describe } from "node:test";
import { repoRoot } from "../harness/localhub.mjs";
import { sha256 } from "./fixture.mjs";
import { diffSnapshots, formatOp, parseOps, randomOps, runOp, snapshot } from "./ops_model.mjs";
import { hubFile, hubTree, hubfsUnmount, mountTest } from "./write_env.mjs";

// Cases found from outside (../shared/cases beside the repository) are copied into cases/.
const caseDirs = [path.join(path.dirname(new URL(import.meta.url).pathname), "cases"), path.join(repoRoot, "..", "shared", "cases")];
const caseFiles = new Map();
for (const dir of caseDirs)
  if (fs.existsSync(dir)) for (const f of fs.readdirSync(dir)) if (f.endsWith(".ops") && !caseFiles.has(f)) caseFiles.set(f, path.join(dir, f));

/** The model: a local folder that starts as a copy of the branch (the repository's .gitattributes). */
function makeModel(env) {
  const model = path.join(env.work, "model");
  fs.cpSync(env.root, model, { recursive: true });
  return model;
}

/** Runs ops on the mount's branch and on the model; throws with the sequence so far on a mismatch. */
function replay(env, model, ops, { checkEvery = 1 } = {}) {
  const done = [];
  const fail = (why) => {
    throw new Error(`${why}\noperations so far:\n${done.map(formatOp).join("\n")}`);
  };
  const apply = (o) => {
    done.push(o);
    const want = runOp(model, o);
    const got = runOp(env.root, o);
    if (got !== want) fail(`${formatOp(o)}: mount answered ${got}, the model ${want}`);
    if (done.length % checkEvery === 0) {
      const diff = diffSnapshots(snapshot(env.root), snapshot(model));
      if (diff) fail(`after ${formatOp(o)} the trees differ:\n${diff}`);
    }
  };
  for (const o of ops) apply(o);
  return { apply, done };
}

/** Unmounts (commits everything) and checks the Hub's files against the model's. */
async function assertHubMatchesModel(env, model) {
  hubfsUnmount(env.mount);
  const want = [...snapshot(model).entries()].filter(([, v]) => v !== "dir");
  const tree = await hubTree(env.hub);
  assert.deepEqual([...tree.keys()].sort(), want.map(([k]) => k).sort(), "the Hub holds the model's files");
  for (const [p, v] of want) {
    const bytes = await hubFile(env.hub, p);
    const size = Number(v.split(" ")[1]);
    assert.equal(bytes.length, size, `size of ${p} on the Hub`);
    assert.equal(`file ${bytes.length} ${sha256(bytes)}`, v, `bytes of ${p} on the Hub`);
  }
}

describe("operation sequences against a local folder", () => {
  for (const [name, file] of caseFiles) {
    mountTest(`case ${name}: the mount and then the Hub hold what a local folder holds`, { files: [] }, async (env) => {
      const model = makeModel(env);
      replay(env, model, parseOps(fs.readFileSync(file, "utf8")));
      await assertHubMatchesModel(env, model);
    });
  }

  const seeds = (process.env.HUBFS_OPS_SEEDS || "1,2,3").split(",").map(Number);
  const count = Number(process.env.HUBFS_OPS_COUNT || 60);
  for (const seed of seeds) {
    mountTest(`random sequence, seed ${seed} (${count} operations)`, { files: [] }, async (env) => {
      const model = makeModel(env);
      const r = replay(env, model, [], { checkEvery: 5 });
      randomOps(seed, count, model, r.apply);
      const diff = diffSnapshots(snapshot(env.root), snapshot(model));
      if (diff) throw new Error(`trees differ at the end:\n${diff}\noperations:\n${r.done.map(formatOp).join("\n")}`);
      await assertHubMatchesModel(env, model);
    }, 600000);
  }
});
