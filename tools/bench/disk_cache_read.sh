#!/usr/bin/env bash
# Reads from hubfs's disk cache after a remount, against a local `cat` of the same bytes: one
# cold read fills the cache, then REPS times: mount, time `cat` of the file (the blob files in
# the page cache), unmount, time `cat` of the local copy. Prints GB/s, the ratio and the daemon's
# CPU seconds for each read (steadier than wall time on a loaded machine). Issue 17.
#   usage: tools/bench/disk_cache_read.sh [SIZE_MIB] [REPS]   (default 256 4; needs root)
# DROP=1: the blob files and the local copy are evicted from the page cache before each read
# (the bytes only on disk). HUBFS_B=<binary>: each rep reads through HUBFS_B too, after HUBFS.
# FRAG=1: the blob file is rewritten once with its 1 MiB chunks allocated in random order.
# The mount's first open resolves the revision before the timing (`stat`); "disk" is the MiB
# the cache's block device read during the read.
set -euo pipefail
cd "$(dirname "$0")/../.."
LOCALHUB=${LOCALHUB:-$PWD/build/tools/localhub/localhub}
HUBFS=${HUBFS:-$PWD/build/src/hubfs/hubfs}
. tools/bench/lib.sh
size_mib=${1:-256} reps=${2:-4}
bench_mount_workdir hubfs-disk-cache-read
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
if [ "${FRAG:-0}" = 1 ]; then
  blob=$(find "$work/cache" -type f -size +$((size_mib / 2))M | head -1)
  python3 - "$blob" <<'PY'
import os, random, sys
path = sys.argv[1]; data = open(path, "rb").read(); cs = 1 << 20
fd = os.open(path + ".frag", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
order = list(range((len(data) + cs - 1) // cs)); random.seed(1); random.shuffle(order)
for i in order:  # a sync per chunk makes the filesystem allocate in this order
    os.pwrite(fd, data[i * cs:(i + 1) * cs], i * cs); os.fdatasync(fd)
os.close(fd); os.rename(path + ".frag", path)
PY
  filefrag "$blob"
  mount_it; cat "$file" >/dev/null; "$HUBFS" unmount "$mnt" >/dev/null  # checks and stamps it again
fi
dev=/sys/class/block/$(basename "$(df --output=source "$work" | tail -1)")/stat
disk_mib() { [ -r "$dev" ] && awk '{ print int($3 / 2048) }' "$dev" || echo 0; }
cat "$work/blob.bin" >/dev/null
drop() { [ "${DROP:-0}" = 1 ] || return 0; evict_settled "$@"; }
for _ in $(seq "$reps"); do
  for bin in "$HUBFS" ${HUBFS_B:+"$HUBFS_B"}; do
    drop "$work/cache" "$work/blob.bin"
    HUBFS=$bin mount_it
    stat "$file" >/dev/null
    c0=$(cpu "$pid") d0=$(disk_mib)
    t0=$(now); cat "$file" >/dev/null; t1=$(now)
    c1=$(cpu "$pid") d1=$(disk_mib)
    "$HUBFS" unmount "$mnt" >/dev/null
    drop "$work/cache" "$work/blob.bin"
    t2=$(now); cat "$work/blob.bin" >/dev/null; t3=$(now)
    awk -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" -v s=$((size_mib << 20)) -v c0="$c0" -v c1="$c1" -v disk=$((d1 - d0)) -v bin="$bin" 'BEGIN {
      printf "after remount %.2f GB/s, local cat %.2f GB/s, ratio %.2f, daemon CPU %.2f s, disk %d MiB  (%s)\n",
        s / (b - a) / 1e9, s / (d - c) / 1e9, (d - c) / (b - a), c1 - c0, disk, bin }'
  done
done
