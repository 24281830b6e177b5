#!/usr/bin/env bash
# Reads from hubfs's disk cache after a remount, against a local `cat` of the same bytes: one
# cold read fills the cache, then REPS times: mount, time `cat` of the file (the blob files in
# the page cache), unmount, time `cat` of the local copy. Prints GB/s, the ratio and the daemon's
# CPU seconds for each read (steadier than wall time on a loaded machine). Issue 17.
#   usage: tools/bench/disk_cache_read.sh [SIZE_MIB] [REPS]   (default 256 4; needs root)
# DROP=1: the blob files and the local copy are evicted from the page cache before each read
# (the bytes only on disk). HUBFS_B=<binary>: each rep reads through HUBFS_B too, after HUBFS.
set -euo pipefail
cd "$(dirname "$0")/../.."
LOCALHUB=${LOCALHUB:-$PWD/build/tools/localhub/localhub}
HUBFS=${HUBFS:-$PWD/build/src/hubfs/hubfs}
. tools/bench/lib.sh
size_mib=${1:-256} reps=${2:-4}
work=$(mktemp -d /tmp/hubfs-disk-cache-read.XXXXXX)
mnt="$work/mnt"
mkdir -p "$mnt"
cleanup() {
  mountpoint -q "$mnt" && { "$HUBFS" unmount "$mnt" >/dev/null 2>&1 || fusermount3 -u -z "$mnt"; }
  bench_stop_localhub
  rm -rf "$work"
}
trap cleanup EXIT
head -c $((size_mib << 20)) /dev/urandom >"$work/blob.bin"
bench_start_localhub --latency-ms 20
bench_upload_lfs bench/big big.bin "$work/blob.bin"
pid=
mount_it() {
  HF_TOKEN=hf_bench_token "$HUBFS" mount "$mnt" --endpoint "$LH_URL" --cache-dir "$work/cache" --log-file "$work/hubfs.log"
  pid=$(pgrep -f -- "hubfs mount $mnt " | head -1)
}
cpu() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$1/stat"; }
file="$mnt/models/bench/big/big.bin"
mount_it
cat "$file" >/dev/null
"$HUBFS" unmount "$mnt" >/dev/null
cat "$work/blob.bin" >/dev/null
drop() { [ "${DROP:-0}" = 1 ] || return 0; evict "$@"; }
for _ in $(seq "$reps"); do
  for bin in "$HUBFS" ${HUBFS_B:+"$HUBFS_B"}; do
    drop "$work/cache" "$work/blob.bin"
    HUBFS=$bin mount_it
    c0=$(cpu "$pid")
    t0=$(now); cat "$file" >/dev/null; t1=$(now)
    c1=$(cpu "$pid")
    "$HUBFS" unmount "$mnt" >/dev/null
    drop "$work/cache" "$work/blob.bin"
    t2=$(now); cat "$work/blob.bin" >/dev/null; t3=$(now)
    awk -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" -v s=$((size_mib << 20)) -v c0="$c0" -v c1="$c1" -v bin="$bin" 'BEGIN {
      printf "after remount %.2f GB/s, local cat %.2f GB/s, ratio %.2f, daemon CPU %.2f s  (%s)\n",
        s / (b - a) / 1e9, s / (d - c) / 1e9, (d - c) / (b - a), c1 - c0, bin }'
  done
done
