#!/usr/bin/env bash
# localhub's raw serving speed: a 1 GiB LFS file over loopback with curl (no emulation),
# and what --latency-ms 20 does to a small request.
# usage: tools/bench/localhub_throughput.sh [SIZE_MIB]   (default 1024)
set -euo pipefail
cd "$(dirname "$0")/../.."
LOCALHUB=${LOCALHUB:-build/tools/localhub/localhub}
. tools/bench/lib.sh
size_mib=${1:-1024}
work=$(mktemp -d /tmp/hubfs-bench-file.XXXXXX)
trap 'bench_stop_localhub; rm -rf "$work"' EXIT
head -c $((size_mib << 20)) /dev/urandom >"$work/blob.bin"

bench_start_localhub
bench_upload_lfs bench/big big.bin "$work/blob.bin"
url="$LH_URL/bench/big/resolve/main/big.bin"
med() { sort -n | sed -n "$(( ($1 + 1) / 2 ))p"; }
echo "a ${size_mib} MiB LFS file, curl over loopback; peer: curl reading the same file from local disk (file://)"
for run in 1 2 3; do
  hub=$(curl -sL -o /dev/null -w '%{speed_download}' "$url")
  disk=$(curl -s -o /dev/null -w '%{speed_download}' "file://$work/blob.bin")
  awk -v h="$hub" -v d="$disk" -v r=$run 'BEGIN { printf "  run %d: localhub %.2f GB/s, local disk %.2f GB/s, ratio %.2f\n", r, h / 1e9, d / 1e9, h / d }'
done
small="$LH_URL/api/models/bench/big"
t0=$( (for i in $(seq 9); do curl -s -o /dev/null -w '%{time_total}\n' "$small"; done) | med 9)
bench_stop_localhub

bench_start_localhub --latency-ms 20
bench_upload_lfs bench/big big.bin "$work/blob.bin" 2>/dev/null || true
echo "small request (repo info), median of 9:"
slow=$( (for i in $(seq 9); do curl -s -o /dev/null -w '%{time_total}\n' "$LH_URL/api/models/bench/big"; done) | med 9)
awk -v a="$t0" -v b="$slow" 'BEGIN { printf "  without emulation %.1f ms, with --latency-ms 20 %.1f ms (each a new connection)\n", a * 1000, b * 1000 }'
