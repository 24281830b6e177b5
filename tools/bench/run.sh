#!/usr/bin/env bash
# The benchmark table of issue 17, from one command: hubfs against its peers measured in the same
# run, on localhub instances emulating the Hub (--latency-ms 20; and one with --bandwidth 50 MB/s
# per connection, as the Hub's CDN limits each connection). Builds nothing: uses build/.
#
#   usage: tools/bench/run.sh [--runs N] [--size-mib MIB] [--files N] [--only LIST] [--no-doc] ...
#     --runs N      runs of every workload; the table shows medians (default 3)
#     --size-mib    the large file (default 1024); the other files are a quarter of it
#     --files N     files in the metadata tree (default 20000)
#     --big-tree N  files in the large tree of the bigtree workload (default 100000)
#     --random-ios N  random reads per fio job (default 200 of 4 KiB, 200 of 1 MiB)
#     --model-mib N   the safetensors file (default: a quarter of --size-mib)
#     --write-files N small files committed by the write workload (default 1000)
#     --rss-gib N   the file the rss workload streams (default 10 GiB)
#     --only LIST   workloads to run, comma-separated (default all): seq (cold, warm, remount,
#                   4 files, CPU, RSS), bw (per-connection limit), tree, random (fio), model
#                   (safetensors), ttfb, bigtree, write (commits vs @huggingface/hub),
#                   rss (peak RSS streaming a 10 GiB file, with and without --memory-limit).
#                   With --only, BENCHMARKS.md is left alone.
#     --no-doc      print the table only; by default it also replaces the results section of
#                   BENCHMARKS.md (between the run.sh markers)
#     --inputs DIR  keep the generated files there and reuse them next time (default: made anew)
# "Cold" means an empty hubfs cache and a new mount, with the files read evicted from the page
# cache (posix_fadvise DONTNEED; the kernel's dentries dropped for the tree). localhub's own copy
# stays in memory, as the Hub's CDN serves from memory: dropping every page cache would time this
# machine's disk (shared, slow while others build) instead of hubfs.
# Needs root (drops dentries), curl, aria2c, /usr/bin/time, python3, jq; fio for random reads
# (skipped without it). Workloads past the first three are in tools/bench/workloads/.
# The write workload needs node and tests/conformance's
# node_modules (npm ci there), and is skipped without them.
set -euo pipefail
cd "$(dirname "$0")/../.."
LOCALHUB=${LOCALHUB:-$PWD/build/tools/localhub/localhub}
HUBFS=${HUBFS:-$PWD/build/src/hubfs/hubfs}
. tools/bench/lib.sh
runs=3 size_mib=1024 files=20000 doc=1 inputs= only=
bigtree=100000 random_ios=200 model_mib= ttfb_samples=3 latency_ms=20
all_workloads=seq,bw,tree,random,model,ttfb,bigtree,write,rss write_files=1000 args="$*"
while [ $# -gt 0 ]; do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --size-mib) size_mib=$2; shift 2 ;;
    --files) files=$2; shift 2 ;;
    --no-doc) doc=0; shift ;;
    --inputs) inputs=$2; shift 2 ;;
    --only) only=$2; doc=0; shift 2 ;;
    --big-tree) bigtree=$2; shift 2 ;;
    --random-ios) random_ios=$2; shift 2 ;;
    --model-mib) model_mib=$2; shift 2 ;;
    --write-files) write_files=$2; shift 2 ;;
    --rss-gib) rss_gib=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
only=${only:-$all_workloads} model_mib=${model_mib:-$((size_mib / 4))}
for w in ${only//,/ }; do
  [[ ",$all_workloads," == *",$w,"* ]] || { echo "unknown workload $w (known: $all_workloads)" >&2; exit 2; }
done
want() { [[ ",$only," == *",$1,"* ]]; }
[ "$(id -u)" = 0 ] || { echo "run.sh needs root (it drops the page cache)" >&2; exit 1; }
for tool in curl aria2c jq python3 /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "missing $tool: run tools/install-deps.sh" >&2; exit 1; }
done
[ -x "$HUBFS" ] && [ -x "$LOCALHUB" ] || { echo "build first: meson compile -C build" >&2; exit 1; }
for f in random model ttfb bigtree write rss; do . "tools/bench/workloads/$f.sh"; done
want random && ! command -v "$FIO" >/dev/null && echo "fio missing: skipped (random reads)" >&2

work=$(mktemp -d /tmp/hubfs-bench-run.XXXXXX)
mnt="$work/mnt" res="$work/results" inputs=${inputs:-$work/inputs}
mkdir -p "$mnt" "$res" "$inputs"
declare -A hub_pid hub_dir hub_url
cleanup() {
  mountpoint -q "$mnt" && { "$HUBFS" unmount "$mnt" >/dev/null 2>&1 || fusermount3 -u -z "$mnt"; }
  for k in "${!hub_pid[@]}"; do
    { kill "${hub_pid[$k]}" && wait "${hub_pid[$k]}"; } 2>/dev/null || true
    rm -rf "${hub_dir[$k]}"
  done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM  # so that the cleanup runs on Ctrl-C and kill too

# --- helpers --------------------------------------------------------------------------------
start_hub() {  # NAME FLAGS...: one localhub; its URL, pid and request log by NAME
  local name=$1; shift
  bench_start_localhub "$@"
  hub_pid[$name]=$LH_PID hub_dir[$name]=$LH_DIR hub_url[$name]=$LH_URL
  LH_PID= LH_DIR=  # owned by cleanup from here
}
use_hub() { LH_URL=${hub_url[$1]}; hub=$1; }
log_of() { echo "${hub_dir[$1]}/requests.log"; }
mark() { wc -l <"$(log_of "$hub")"; }
# Requests and bytes served by the current hub since MARK: "COUNT BYTES".
served_since() {
  tail -n +"$(($1 + 1))" "$(log_of "$hub")" | jq -s '"\(length) \(map(.bytes) | add // 0)"' -r
}
drop_dentries() { echo 2 >/proc/sys/vm/drop_caches; }
timed() {  # seconds the command took; its output goes away
  local t0 t1
  t0=$(now); "$@" >/dev/null 2>&1; t1=$(now)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }'
}
record() { echo "$2" >>"$res/$1"; }  # METRIC VALUE: one run's value
median() { [ -s "$res/$1" ] && sort -g "$res/$1" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }' || echo nan; }
mount_fresh() {  # mounts the current hub with an empty cache
  rm -rf "$work/cache"
  remount
}
remount() {  # [OPTIONS]: mounts the current hub keeping the cache; sets DAEMON (the daemon's pid)
  HF_TOKEN=hf_bench_token "$HUBFS" mount "$mnt" --endpoint "$LH_URL" --cache-dir "$work/cache" \
    --cache-size 16G --log-file "$work/hubfs.log" "$@"
  DAEMON=$(pgrep -f -- "hubfs mount $mnt " | head -1)
}
unmount() { "$HUBFS" unmount "$mnt" >/dev/null; }
cpu_seconds() {  # user+sys of a live process, from /proc/PID/stat (fields 14 and 15, in ticks)
  awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$1/stat"
}
peak_rss_mb() { awk '/^VmHWM:/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }
# Times one hubfs workload; records its seconds as NAME and what the hub served as NAME.req/.bytes.
hubfs_timed() {
  local name=$1 m t; shift
  m=$(mark)
  t=$(timed "$@")
  record "$name" "$t"
  read -r n b <<<"$(served_since "$m")"
  record "$name.req" "$n"
  record "$name.bytes" "$b"
}

# --- the data -------------------------------------------------------------------------------
big=$((size_mib << 20)) part=$((size_mib << 18))
have() { [ -f "$1" ] && [ "$(stat -c %s "$1")" = "$2" ]; }
# The large file (seq, random, ttfb) and four of a quarter (seq's 4 files, bw's part0) on hub lat.
prep_files() {
  echo "making ${size_mib} MiB + 4 x $((size_mib / 4)) MiB of random bytes in $inputs" >&2
  have "$inputs/big.bin" "$big" || head -c "$big" /dev/urandom >"$inputs/big.bin"
  for i in 0 1 2 3; do have "$inputs/part$i.bin" "$part" || head -c "$part" /dev/urandom >"$inputs/part$i.bin"; done
  use_hub lat
  bench_upload_lfs bench/big big.bin "$inputs/big.bin"
  for i in 0 1 2 3; do bench_upload_lfs bench/parts "part$i.bin" "$inputs/part$i.bin"; done
}
# tree_repo NAME COUNT: a COUNT-file tree (kept in $inputs for the next run) committed to
# bench/NAME in one commit; fails if localhub does not take the commit.
tree_repo() {
  local name=$1 count=$2
  if [ ! -f "$inputs/$name.ndjson" ] || [ "$(($(wc -l <"$inputs/$name.ndjson") - 1))" != "$count" ]; then
    rm -rf "${inputs:?}/$name"
    python3 tools/bench/make_tree.py "$count" "$inputs/$name" "$inputs/$name.ndjson" || exit 1  # as under set -e, also in a `||` context
  fi
  use_hub lat
  bench_create_repo "bench/$name"
  curl -sf -H "Authorization: Bearer hf_bench_token" -X POST "$LH_URL/api/models/bench/$name/commit/main" \
    -H "Content-Type: application/x-ndjson" --data-binary @"$inputs/$name.ndjson" >/dev/null
}
prep_tree() { tree_repo tree "$files"; }
prep_bw() {
  use_hub bw
  bench_upload_lfs bench/parts part0.bin "$inputs/part0.bin"
}

start_hub lat --latency-ms "$latency_ms"
want bw && start_hub bw --latency-ms "$latency_ms" --bandwidth 50000000
{ want seq || want bw || want random || want ttfb || want rss; } && prep_files
want bw && prep_bw
for w in tree random model ttfb bigtree write rss; do want $w && "prep_$w"; done
# localhub's copies stay in memory, as a CDN serves them (see the top).
for k in "${!hub_dir[@]}"; do find "${hub_dir[$k]}/data" -type f -size +1M -exec cat {} + >/dev/null; done

# --- one run of each workload ---------------------------------------------------------------
run_seq() {
  local lat_url
  use_hub lat
  lat_url="$LH_URL/bench/big/resolve/main/big.bin"
  # Cold 1 GiB: curl (one stream into /dev/null) against hubfs on a new mount with an empty cache.
  record curl_cold "$(timed /usr/bin/time -f "%U %S" -o "$work/curl.time" curl -sfL -o /dev/null "$lat_url")"
  record curl_cpu "$(awk '{ print $1 + $2 }' "$work/curl.time")"
  # The bound of keeping the bytes: curl into a new file beside the cache, as a cache's pwrites
  # (new page cache; on this VM its first touch is most of a cold read's CPU, BENCHMARKS.md).
  record curl_file "$(timed /usr/bin/time -f "%U %S" -o "$work/curl.time" curl -sfL -o "$work/curl-file.bin" "$lat_url")"
  record curl_file_cpu "$(awk '{ print $1 + $2 }' "$work/curl.time")"
  rm -f "$work/curl-file.bin"
  mount_fresh
  hubfs_timed cold_big cat "$mnt/models/bench/big/big.bin"
  record cpu_big "$(cpu_seconds "$DAEMON")"
  record rss_big "$(peak_rss_mb "$DAEMON")"
  # Re-read: the kernel's cache (keep_cache) against a local file in the page cache.
  hubfs_timed warm_big cat "$mnt/models/bench/big/big.bin"
  cat "$inputs/big.bin" >/dev/null
  record local_warm "$(timed cat "$inputs/big.bin")"
  # After a remount: the bytes in hubfs's disk cache; its files still in the page cache, then not.
  unmount
  remount
  hubfs_timed remount_big cat "$mnt/models/bench/big/big.bin"
  unmount
  # A file's first read from disk after it was written costs more here, hubfs or not (a local
  # file written in 1 MiB pwrites: 0.5-1.0 GB/s the first time, 1.5 after): the blob files get
  # theirs untimed, as the local file (read many times) had long ago.
  evict "$work/cache"
  find "$work/cache" -path '*blobs*' -type f -exec cat {} + >/dev/null
  evict_settled "$work/cache"
  remount
  hubfs_timed remount_cold_big cat "$mnt/models/bench/big/big.bin"
  unmount
  evict_settled "$inputs/big.bin"
  record local_cold "$(timed cat "$inputs/big.bin")"
  # Four files at once (a data loader), cold.
  mount_fresh
  hubfs_timed parallel4 sh -c "for i in 0 1 2 3; do cat $mnt/models/bench/parts/part\$i.bin & done; wait"
  record cpu_parallel4 "$(cpu_seconds "$DAEMON")"
  unmount
}
run_tree() {  # cold find, warm find, cold ls -lR; local find cold and warm
  use_hub lat
  mount_fresh
  hubfs_timed find_cold find "$mnt/models/bench/tree"
  hubfs_timed find_warm find "$mnt/models/bench/tree"
  unmount
  mount_fresh
  hubfs_timed lslR_cold ls -lR "$mnt/models/bench/tree"
  unmount
  drop_dentries
  record local_find_cold "$(timed find "$inputs/tree")"
  record local_find_warm "$(timed find "$inputs/tree")"
}
run_bw() {  # 50 MB/s per connection: aria2c -x8 -s8 (to disk, as hubfs writes its cache), curl, hubfs
  local bw_url
  use_hub bw
  bw_url="$LH_URL/bench/parts/resolve/main/part0.bin"
  record aria_bw "$(timed aria2c -q -x8 -s8 -k1M --file-allocation=none --allow-overwrite=true -d "$work" -o aria.bin "$bw_url")"
  rm -f "$work/aria.bin"
  record curl_bw "$(timed curl -sfL -o /dev/null "$bw_url")"
  mount_fresh
  hubfs_timed cold_bw cat "$mnt/models/bench/parts/part0.bin"
  unmount
}

for r in $(seq "$runs"); do
  echo "run $r of $runs" >&2
  for w in ${all_workloads//,/ }; do want $w && "run_$w"; done
done

# --- the table ------------------------------------------------------------------------------
gbps() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.2f GB/s", b / s / 1e9 }'; }
mbps() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.0f MB/s", b / s / 1e6 }'; }
secs() { awk -v s="$1" 'BEGIN { printf "%.3f s", s }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; }  # A / B
mib() { awk -v b="$1" 'BEGIN { printf "%.0f MiB", b / 1048576 }'; }
served() { echo "| $(median "$1.req") | $(mib "$(median "$1.bytes")") |"; }
m() { median "$1"; }
rows_cold() {
  echo "| cold ${size_mib} MiB, latency 20 ms | $(gbps $big "$(m cold_big)") | curl, one stream: $(gbps $big "$(m curl_cold)") | $(ratio "$(m curl_cold)" "$(m cold_big)") $(served cold_big)"
  echo "| (same) | $(gbps $big "$(m cold_big)") | curl, one stream into a new file beside the cache: $(gbps $big "$(m curl_file)") | $(ratio "$(m curl_file)" "$(m cold_big)") | | |"
}
rows_seq() {
  echo "| 4 files x $((size_mib / 4)) MiB at once, cold | $(gbps $big "$(m parallel4)") (sum) | hubfs, one cold stream: $(gbps $big "$(m cold_big)") | $(ratio "$(m cold_big)" "$(m parallel4)") $(served parallel4)"
  echo "| re-read (kernel cache) | $(gbps $big "$(m warm_big)") | \`cat\` local file, page cache: $(gbps $big "$(m local_warm)") | $(ratio "$(m local_warm)" "$(m warm_big)") $(served warm_big)"
  echo "| after remount (disk cache, its files in page cache) | $(gbps $big "$(m remount_big)") | \`cat\` local file, page cache: $(gbps $big "$(m local_warm)") | $(ratio "$(m local_warm)" "$(m remount_big)") $(served remount_big)"
  echo "| after remount (disk cache, dropped page cache) | $(gbps $big "$(m remount_cold_big)") | \`cat\` local file, dropped page cache: $(gbps $big "$(m local_cold)") | $(ratio "$(m local_cold)" "$(m remount_cold_big)") $(served remount_cold_big)"
}
rows_bw() {
  echo "| cold $((size_mib / 4)) MiB, 50 MB/s per connection | $(mbps $part "$(m cold_bw)") | aria2c -x8 -s8 -k1M: $(mbps $part "$(m aria_bw)") | $(ratio "$(m aria_bw)" "$(m cold_bw)") $(served cold_bw)"
  echo "| (same) | $(mbps $part "$(m cold_bw)") | curl, one stream: $(mbps $part "$(m curl_bw)") | $(ratio "$(m curl_bw)" "$(m cold_bw)") | | |"
}
rows_tree() {
  echo "| cold \`find\`, $files files | $(secs "$(m find_cold)") | local \`find\`, dropped cache: $(secs "$(m local_find_cold)") | $(ratio "$(m local_find_cold)" "$(m find_cold)") $(served find_cold)"
  echo "| warm \`find\`, $files files | $(secs "$(m find_warm)") | local \`find\`, warm: $(secs "$(m local_find_warm)") | $(ratio "$(m local_find_warm)" "$(m find_warm)") $(served find_warm)"
  echo "| cold \`ls -lR\`, $files files | $(secs "$(m lslR_cold)") | hubfs cold \`find\`: $(secs "$(m find_cold)") | $(ratio "$(m find_cold)" "$(m lslR_cold)") $(served lslR_cold)"
}
rows_cpu() {
  echo "| CPU (user+sys) of a cold ${size_mib} MiB read | $(m cpu_big) s | curl: $(m curl_cpu) s | $(ratio "$(m curl_cpu)" "$(m cpu_big)") | | |"
  echo "| (same) | $(m cpu_big) s | curl into a new file beside the cache: $(m curl_file_cpu) s | $(ratio "$(m curl_file_cpu)" "$(m cpu_big)") | | |"
  echo "| CPU (user+sys) of the 4 files at once (the same bytes) | $(m cpu_parallel4) s | hubfs, one cold stream: $(m cpu_big) s | $(ratio "$(m cpu_big)" "$(m cpu_parallel4)") | | |"
  echo "| peak RSS of the daemon, cold ${size_mib} MiB read | $(m rss_big) MB | goal: 200 MB | $(ratio 200 "$(m rss_big)") | | |"
}
table() {
  echo "| workload | hubfs | peer (same run) | ratio | requests | bytes fetched |"
  echo "|---|---|---|---|---|---|"
  want seq && rows_cold
  want bw && rows_bw
  want seq && rows_seq
  want tree && rows_tree
  want bigtree && rows_bigtree
  for w in random model ttfb write rss; do want $w && "rows_$w"; done
  want seq && rows_cpu
  return 0
}
machine="$(nproc) cores ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)), $(awk '/MemTotal/ { printf "%.0f GB", $2 / 1e6 }' /proc/meminfo) RAM, Linux $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
report() {
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'); $machine; \`bash tools/bench/run.sh${args:+ $args}\` (that is --runs $runs --size-mib $size_mib --files $files --big-tree $bigtree --random-ios $random_ios --model-mib $model_mib --write-files $write_files; medians of $runs runs; ratio > 1 means hubfs is ahead)"
  echo
  table
}
report | tee "$work/table.md"
if [ "$doc" = 1 ]; then
  python3 - "$work/table.md" <<'EOF'
import re, sys
table = open(sys.argv[1]).read().rstrip("\n")
doc = open("BENCHMARKS.md").read()
begin, end = "<!-- run.sh results: begin -->", "<!-- run.sh results: end -->"
new = f"{begin}\n{table}\n{end}"
doc = re.sub(re.escape(begin) + ".*?" + re.escape(end), lambda _: new, doc, flags=re.S) if begin in doc else doc + "\n" + new + "\n"
open("BENCHMARKS.md", "w").write(doc)
EOF
  echo "BENCHMARKS.md updated" >&2
fi
