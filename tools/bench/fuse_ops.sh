#!/usr/bin/env bash
# Counts the FUSE requests a command sends to one mount, by operation, from the kernel's
# fuse:fuse_request_send tracepoint (root; a kernel with the fuse tracepoints, as this 6.18 one).
# usage: tools/bench/fuse_ops.sh MOUNTPOINT CMD [ARGS...]
#   e.g. tools/bench/fuse_ops.sh /mnt/hub ls -lR /mnt/hub/models/bench/tree
# The kernel's dentries are dropped first (as run.sh does for the tree), so a cold walk stays cold.
# OPS_SEQ=N also prints the first N requests in the order sent (what one file of a `cp -r` costs).
set -euo pipefail
[ $# -ge 2 ] || { sed -n '2,6p' "$0" >&2; exit 2; }
mnt=$1; shift
mountpoint -q "$mnt" || { echo "$mnt is not a mount point" >&2; exit 1; }
tr=/sys/kernel/tracing
[ -d "$tr/events" ] || mount -t tracefs nodev "$tr"
[ -d "$tr/events/fuse/fuse_request_send" ] || { echo "this kernel has no fuse tracepoints" >&2; exit 1; }
inst="$tr/instances/fuse_ops.$$"  # an instance of our own: other tracing is left alone
mkdir "$inst"
trap 'echo 0 >"$inst/tracing_on"; echo 0 >"$inst/events/fuse/fuse_request_send/enable"; rmdir "$inst"' EXIT
echo 0 >"$inst/tracing_on"
echo 16384 >"$inst/buffer_size_kb"
echo "connection == $(stat -c %d "$mnt")" >"$inst/events/fuse/fuse_request_send/filter"
echo 1 >"$inst/events/fuse/fuse_request_send/enable"
echo 2 >/proc/sys/vm/drop_caches
echo 1 >"$inst/tracing_on"
t0=$(date +%s.%N)
"$@" >/dev/null
t1=$(date +%s.%N)
echo 0 >"$inst/tracing_on"
awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f s\n", b - a }'
grep -o '(FUSE_[A-Z_]*)' "$inst/trace" | tr -d '()' | sort | uniq -c | sort -rn
if [ -n "${OPS_SEQ:-}" ]; then
  grep -o '(FUSE_[A-Z_]*)' "$inst/trace" | tr -d '()' | awk -v n="$OPS_SEQ" 'NR <= n { printf "%s ", $0 } END { print "" }'
fi
