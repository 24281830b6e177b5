#!/usr/bin/env bash
# Where the daemon's CPU goes during a cold sequential read: perf record of the hubfs daemon
# while `cat` reads a fresh LFS file through a new mount (localhub --latency-ms 20), then the
# same file again after a remount (from the disk cache). Prints perf's flat profile of each.
#   usage: tools/bench/profile_read.sh [SIZE_MIB]   (default 512; needs root and perf: linux-perf)
# PROFILE_MODE=record (default: perf record -g, flat profile), stat (perf stat of the daemon:
# task-clock, context switches) or strace (strace -c -f of the daemon: syscalls per read).
# PROFILE_MODE=curl: curl's CPU (user+sys) for the same file into /dev/null and into a file next to
# the cache (the page-cache writes a cache pays), three times each, then PROFILE_MODE=stat.
# PROFILE_KEEP=DIR keeps each perf.data there (cold.data, remount.data) for `perf report -g`.
set -euo pipefail
cd "$(dirname "$0")/../.."
LOCALHUB=${LOCALHUB:-$PWD/build/tools/localhub/localhub}
HUBFS=${HUBFS:-$PWD/build/src/hubfs/hubfs}
. tools/bench/lib.sh
size_mib=${1:-512}
bench_mount_workdir profile
head -c $((size_mib << 20)) /dev/urandom >"$work/blob.bin"
bench_start_localhub --latency-ms 20
bench_upload_lfs bench/big big.bin "$work/blob.bin"
rm -f "$work/blob.bin"
curl_peers() {  # curl's CPU into /dev/null and into a file on the cache's filesystem, alternating
  local url="$LH_URL/bench/big/resolve/main/big.bin" i out
  for i in 1 2 3; do
    for out in /dev/null "$work/curl.out"; do
      /usr/bin/time -f "%U %S" -o "$work/curl.time" curl -sfL -o "$out" "$url"
      echo "curl -o $out: $(awk '{ printf "%.2f s", $1 + $2 }' "$work/curl.time") (user+sys)"
      rm -f "$work/curl.out"
    done
  done
}
profile() {  # LABEL: mounts (cache kept), records the daemon while cat reads the file
  HF_TOKEN=hf_bench_token "$HUBFS" mount "$mnt" --endpoint "$LH_URL" --cache-dir "$work/cache" --log-file "$work/hubfs.log"
  local pid
  pid=$(pgrep -f -- "hubfs mount $mnt " | head -1)
  case "${PROFILE_MODE:-record}" in
    stat) perf stat -e task-clock,context-switches,cpu-migrations,page-faults -p "$pid" -o "$work/stat.txt" 2>/dev/null & ;;
    strace) strace -c -f -p "$pid" -o "$work/strace.txt" 2>/dev/null & ;;
    *) perf record -q -g ${PROFILE_EVENT:+-e $PROFILE_EVENT -d} -p "$pid" -o "$work/perf.data" -- sleep 600 2>/dev/null & ;;
  esac
  local rec=$!
  sleep 0.5
  local t0 t1
  t0=$(now); cat "$mnt/models/bench/big/big.bin" >/dev/null; t1=$(now)
  kill -INT "$rec" 2>/dev/null || true
  wait "$rec" 2>/dev/null || true
  "$HUBFS" unmount "$mnt" >/dev/null
  echo "== $1: $(awk -v a="$t0" -v b="$t1" -v s=$((size_mib << 20)) 'BEGIN { printf "%.2f GB/s", s / (b - a) / 1e9 }')"
  case "${PROFILE_MODE:-record}" in
    stat) grep -E "task-clock|context-switches|migrations|page-faults|elapsed" "$work/stat.txt" || true ;;
    strace) head -30 "$work/strace.txt" || true ;;
    *)
      perf report -i "$work/perf.data" --no-children --sort dso,symbol --stdio -g none 2>/dev/null | grep -E "^ +[0-9]" | head -25 | cut -c1-100 || true
      [ -z "${PROFILE_KEEP:-}" ] || { mkdir -p "$PROFILE_KEEP"; cp "$work/perf.data" "$PROFILE_KEEP/$2.data"; }
      ;;
  esac
}
if [ "${PROFILE_MODE:-}" = curl ]; then curl_peers; PROFILE_MODE=stat; fi
profile "cold read, empty cache" cold
profile "after a remount, from the disk cache" remount
