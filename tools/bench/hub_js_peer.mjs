// The peer of the write benchmarks (mount_write.sh, run.sh's write workload): one uploadFiles
// call of @huggingface/hub (useXet: false), timed inside node (startup and module load not counted).
//   node hub_js_peer.mjs upload REPO SRC DEST   prints seconds; SRC a file or a folder (all files under it)
//   node hub_js_peer.mjs list REPO              prints "path size lfs-oid|-" of every file at main
// env: HUB_JS (the client's dist/index.mjs), LH_URL (the hub)
import { pathToFileURL } from "node:url";
const hub = await import(pathToFileURL(process.env.HUB_JS).href);
const [mode, repo, src, dest] = process.argv.slice(2);
const hubUrl = process.env.LH_URL, accessToken = "hf_bench_token";
async function head() {
  const res = await fetch(`${hubUrl}/api/models/${repo}/revision/main`, { headers: { Authorization: `Bearer ${accessToken}` } });
  if (!res.ok) throw new Error(`revision of ${repo}: HTTP ${res.status}`);
  return (await res.json()).sha;
}
if (mode === "upload") {
  const before = await head();
  const t0 = performance.now();
  const out = await hub.uploadFiles({
    repo, files: [{ path: dest, content: pathToFileURL(src) }], commitTitle: "bench upload",
    hubUrl, accessToken, useXet: false,
  });
  const t1 = performance.now();
  const after = await head();
  if (after === before || after !== out.commit.oid) throw new Error(`head ${after}, commit ${out.commit.oid}, before ${before}`);
  console.log(((t1 - t0) / 1000).toFixed(3));
} else if (mode === "list") {
  for await (const e of hub.listFiles({ repo, recursive: true, hubUrl, accessToken }))
    if (e.type === "file") console.log(`${e.path} ${e.size} ${e.lfs?.oid ?? "-"}`);
} else throw new Error(`unknown mode ${mode}`);
