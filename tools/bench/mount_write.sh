#!/usr/bin/env bash
# Write speed through the mount against the official JS client (@huggingface/hub uploadFiles,
# useXet: false, as tests/conformance uses it) on the same localhub emulating a WAN Hub. Each
# time ends when the client returns: `sync` returns once the Hub accepted the commit, as does
# uploadFiles. Afterwards (not timed) both sides check through the API that the branch head moved
# to the new commit, and the hubfs side that the files at main have the written sizes (LFS oid).
#   big:   cp FILE into a branch dir + `sync FILE` (fsync commits)  vs  uploadFiles of the file
#   small: cp -r of a folder of N text files (1-4 KiB) + `sync BRANCH_DIR`  vs  uploadFiles of the folder
# Each side writes its own bytes to its own fresh repo (localhub keeps one LFS store for all
# repos: the same bytes twice would be "already uploaded" the second time).
# usage: tools/bench/mount_write.sh [SIZE_MIB] [LATENCY_MS] [SMALL_FILES]   (defaults 1024, 20, 1000)
# env: LOCALHUB, HUBFS (binaries, default build-dev/...), HUB_JS (the client's dist/index.mjs),
#   KEEP_LOG (a path: localhub's request log is copied there at the end, to study both sides' requests)
set -euo pipefail
cd "$(dirname "$0")/../.."
LOCALHUB=${LOCALHUB:-build-dev/tools/localhub/localhub}
HUBFS=${HUBFS:-build-dev/src/hubfs/hubfs}
HUB_JS=${HUB_JS:-tests/conformance/node_modules/@huggingface/hub/dist/index.mjs}
. tools/bench/lib.sh
size_mib=${1:-1024}
latency=${2:-20}
nsmall=${3:-1000}
[ -f "$HUB_JS" ] || { echo "no $HUB_JS: run (cd tests/conformance && npm ci)" >&2; exit 1; }
HUB_JS=$(realpath "$HUB_JS")
work=$(mktemp -d /tmp/hubfs-bench-write.XXXXXX)
mnt="$work/mnt"
mkdir -p "$mnt" "$work/hubfs" "$work/js"
hubfs_pid=
failed=0
HUBFS_LOG="$work/cache/hubfs.log"
cleanup() {  # runs on every exit; no step may stop it (set -e is off inside: called from `|| true`)
  local rc=$?
  [ "$rc" -eq 0 ] && [ "$failed" -eq 0 ] || { [ -s "$HUBFS_LOG" ] && { echo "--- last lines of the hubfs log:"; tail -n 40 "$HUBFS_LOG"; } >&2; }
  # unconditional: a crashed daemon leaves a mount that `mountpoint` cannot stat
  fusermount3 -u "$mnt" 2>/dev/null || fusermount3 -u -z "$mnt" 2>/dev/null
  if [ -n "$hubfs_pid" ]; then  # after the kernel unmount the daemon finishes pending commits
    for _ in $(seq 300); do kill -0 "$hubfs_pid" 2>/dev/null || break; sleep 0.1; done
    if kill "$hubfs_pid" 2>/dev/null; then sleep 1; kill -9 "$hubfs_pid" 2>/dev/null; fi
    wait "$hubfs_pid" 2>/dev/null
  fi
  [ -n "${KEEP_LOG:-}" ] && [ -n "${LH_DIR:-}" ] && cp "$LH_DIR/requests.log" "$KEEP_LOG"
  bench_stop_localhub
  rm -rf "$work"
}
trap 'cleanup || true' EXIT
trap 'exit 130' INT TERM

# The peer: tools/bench/hub_js_peer.mjs (one uploadFiles call, timed inside node).
peer() { HUB_JS="$HUB_JS" LH_URL="$LH_URL" node tools/bench/hub_js_peer.mjs "$@"; }

# Inputs: SIZE_MIB random bytes per side; N text files of 1-4 KiB per side (same sizes, the first
# line tells the sides apart), regular files, not LFS.
head -c $((size_mib << 20)) /dev/urandom >"$work/hubfs/big.bin"
head -c $((size_mib << 20)) /dev/urandom >"$work/js/big.bin"
for side in hubfs js; do bench_small_files "$work/$side/small" "$nsmall" "$side"; done
big_bytes=$((size_mib << 20))
small_bytes=$(find "$work/hubfs/small" -type f -printf '%s\n' | awk '{ s += $1 } END { print s }')
sync -f "$work"

bench_start_localhub --latency-ms "$latency"
printf hf_bench_token >"$work/token"
for r in hubfs-big js-big hubfs-small js-small; do bench_create_repo "bench/write-$r"; done

"$HUBFS" mount "$mnt" --foreground --endpoint "$LH_URL" --token-file "$work/token" \
  --cache-dir "$work/cache" --cache-size 8G --log-file "$HUBFS_LOG" >"$work/hubfs.out" 2>&1 &
hubfs_pid=$!
for _ in $(seq 100); do mountpoint -q "$mnt" && break; kill -0 "$hubfs_pid" 2>/dev/null || break; sleep 0.1; done
mountpoint -q "$mnt" || { echo "hubfs did not mount:"; cat "$work/hubfs.out" "$HUBFS_LOG" 2>/dev/null; exit 1; }

secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
mbps() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.1f MB/s", b / s / 1e6 }'; }
fps() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f files/s", n / s }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
head_moved() {  # REPO OLD_SHA: main is another commit now
  local sha
  sha=$(bench_head "$1") && [ -n "$sha" ] && [ "$sha" != null ] && [ "$sha" != "$2" ]
}
fail() {  # WHAT: reports the failed hubfs step with its stderr and the log's last lines
  failed=1
  echo "$1" >"$work/failed"
  sed 's/^/    /' "$work/err" >>"$work/failed"
  grep -iE 'error|warn' "$HUBFS_LOG" 2>/dev/null | tail -n 5 | sed 's/^/    log: /' >>"$work/failed" || true
}
# hubfs_write REPO SRC TARGET: cp (-r) SRC into the branch dir, then sync TARGET (relative to the
# branch dir); sets t_cp t_sync t_total (cp + sync); then checks that the head moved.
hubfs_write() {
  local repo=$1 src=$2 target=$3 head0 t0 t1 t2 dir="$mnt/models/$1"
  head0=$(bench_head "$repo")
  t0=$(now)
  timeout -k 10 900 cp -r "$src" "$dir/" 2>"$work/err" || { fail "cp -r $src $dir/ exited $?"; return 1; }
  t1=$(now)
  timeout -k 10 900 sync "$dir/$target" 2>"$work/err" || { fail "sync $dir/$target exited $?"; return 1; }
  t2=$(now)
  head_moved "$repo" "$head0" || { : >"$work/err"; fail "sync returned 0 but $repo main stayed at $head0"; return 1; }
  t_cp=$(secs "$t0" "$t1"); t_sync=$(secs "$t1" "$t2"); t_total=$(secs "$t0" "$t2")
}
# complete_s OID: seconds localhub spent in the multipart "complete" of that object (it joins the
# parts, hashes them and fsyncs: server work both clients wait for), from its request log.
complete_s() {
  jq -r --arg p "/upload/$1/" 'select(.method == "POST" and (.path | split("?")[0] | startswith($p) and endswith("/complete"))) | .ms' \
    "$LH_DIR/requests.log" | awk '{ s += $1 } END { printf "%.3f", s / 1000 }'
}
# check REPO LOCALDIR PREFIX: the files at main under PREFIX have the local sizes (and LFS oids).
check() {
  local want got
  want=$(cd "$2" && find . -type f -printf '%P %s\n' | sed "s|^|$3|" | sort)
  got=$(peer list "$1" | grep "^$3" | cut -d' ' -f1,2 | sort)
  [ "$want" = "$got" ] || { echo "$1: files at main differ from what was written" >"$work/err"; return 1; }
}

echo "big: ${size_mib} MiB random (LFS, multipart); small: $nsmall text files of 1-4 KiB ($((small_bytes / 1024)) KiB, regular)"
echo "localhub --latency-ms $latency, loopback; times end when sync / uploadFiles returns (commit accepted);"
echo "uploadFiles (@huggingface/hub $(jq -r .version "$(dirname "$HUB_JS")/../package.json"), useXet: false) timed inside node"

t_js_big=$(peer upload bench/write-js-big "$work/js/big.bin" big.bin)
sync -f "$work"
printf '%-36s %8s s  %s\n' "uploadFiles ${size_mib} MiB" "$t_js_big" "$(mbps "$big_bytes" "$t_js_big")"
if hubfs_write bench/write-hubfs-big "$work/hubfs/big.bin" big.bin; then
  printf '%-36s %8s s  %s  = time %sx uploadFiles (cp %s s, sync %s s)\n' "hubfs cp + sync ${size_mib} MiB" "$t_total" \
    "$(mbps "$big_bytes" "$t_total")" "$(ratio "$t_total" "$t_js_big")" "$t_cp" "$t_sync"
  sha=$(sha256sum "$work/hubfs/big.bin" | cut -d' ' -f1)
  got=$(peer list bench/write-hubfs-big | awk '$1 == "big.bin" { print $2, $3 }')
  [ "$got" = "$big_bytes $sha" ] || { failed=1; echo "  CHECK FAILED: big.bin at main is '$got', want '$big_bytes $sha'"; }
  js_oid=$(peer list bench/write-js-big | awk '$1 == "big.bin" { print $3 }')
  printf '  of which localhub joins the parts (multipart complete): uploadFiles %s s, hubfs %s s\n' \
    "$(complete_s "$js_oid")" "$(complete_s "$sha")"
else
  printf '%-36s FAILED: ' "hubfs cp + sync ${size_mib} MiB"; cat "$work/failed"
fi
sync -f "$work"

t_js_small=$(peer upload bench/write-js-small "$work/js/small" small)
printf '%-36s %8s s  %s, %s\n' "uploadFiles $nsmall files" "$t_js_small" \
  "$(fps "$nsmall" "$t_js_small")" "$(mbps "$small_bytes" "$t_js_small")"
if hubfs_write bench/write-hubfs-small "$work/hubfs/small" .; then
  printf '%-36s %8s s  %s, %s  = time %sx uploadFiles (cp %s s, sync %s s)\n' "hubfs cp -r + sync $nsmall files" "$t_total" \
    "$(fps "$nsmall" "$t_total")" "$(mbps "$small_bytes" "$t_total")" "$(ratio "$t_total" "$t_js_small")" "$t_cp" "$t_sync"
  check bench/write-hubfs-small "$work/hubfs/small" small/ || { failed=1; echo "  CHECK FAILED: $(cat "$work/err")"; }
else
  printf '%-36s FAILED: ' "hubfs cp -r + sync $nsmall files"; cat "$work/failed"
fi
exit "$failed"
