#!/usr/bin/env bash
# Read speed through the mount against peers on the same URL, with localhub emulating a WAN Hub.
#   cold: hubfs (fresh cache) vs curl (one stream) vs aria2c -x8 (parallel ranges)
#   warm: hubfs re-read (kernel cache), hubfs after remount (disk cache) vs local disk
# usage: tools/bench/mount_read.sh [SIZE_MIB] [LATENCY_MS]   (defaults 1024, 20)
set -euo pipefail
cd "$(dirname "$0")/../.."
LOCALHUB=${LOCALHUB:-build/tools/localhub/localhub}
HUBFS=${HUBFS:-build/src/hubfs/hubfs}
. tools/bench/lib.sh
size_mib=${1:-1024}
latency=${2:-20}
bench_mount_workdir bench-mount
head -c $((size_mib << 20)) /dev/urandom >"$work/blob.bin"
bench_start_localhub --latency-ms "$latency"
bench_upload_lfs bench/big big.bin "$work/blob.bin"
url="$LH_URL/bench/big/resolve/main/big.bin"
bytes=$((size_mib << 20))

timed() {  # prints seconds taken by the command
  local t0 t1
  t0=$(now); "$@" >/dev/null 2>&1; t1=$(now)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }'
}
rate() { awk -v b="$bytes" -v s="$1" 'BEGIN { printf "%.2f GB/s", b / s / 1e9 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b / a }'; }
mount_hubfs() {
  HF_TOKEN=hf_bench_token "$HUBFS" mount "$mnt" --endpoint "$LH_URL" --cache-dir "$work/cache" \
    --cache-size 8G --log-file "$work/hubfs.log"
}

echo "file: ${size_mib} MiB LFS, localhub --latency-ms $latency, loopback"
t_curl=$(timed curl -sfL -o /dev/null "$url")
t_aria=$(timed aria2c -q -x8 -s8 -k1M --file-allocation=none --allow-overwrite=true -d "$work" -o aria.bin "$url")
rm -f "$work/aria.bin"
mount_hubfs
t_cold=$(timed cat "$mnt/models/bench/big/big.bin")
t_warm=$(timed cat "$mnt/models/bench/big/big.bin")
fusermount3 -u "$mnt"
mount_hubfs
t_disk_cache=$(timed cat "$mnt/models/bench/big/big.bin")
fusermount3 -u "$mnt"
cat "$work/blob.bin" >/dev/null
t_local=$(timed cat "$work/blob.bin")

printf '%-34s %8s s  %s\n' "curl (1 stream)" "$t_curl" "$(rate "$t_curl")"
printf '%-34s %8s s  %s\n' "aria2c -x8 (to disk)" "$t_aria" "$(rate "$t_aria")"
printf '%-34s %8s s  %s  = %sx curl, %sx aria2c\n' "hubfs cold" "$t_cold" "$(rate "$t_cold")" "$(ratio "$t_cold" "$t_curl")" "$(ratio "$t_cold" "$t_aria")"
printf '%-34s %8s s  %s\n' "local disk (page cache)" "$t_local" "$(rate "$t_local")"
printf '%-34s %8s s  %s  = %sx local disk\n' "hubfs warm (kernel cache)" "$t_warm" "$(rate "$t_warm")" "$(ratio "$t_warm" "$t_local")"
printf '%-34s %8s s  %s  = %sx local disk\n' "hubfs after remount (disk cache)" "$t_disk_cache" "$(rate "$t_disk_cache")" "$(ratio "$t_disk_cache" "$t_local")"
