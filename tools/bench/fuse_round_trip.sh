#!/usr/bin/env bash
# What one FUSE round trip costs on this machine, against the same system call on a local folder:
# N `getxattr` calls of a name that is not there, on a repository's folder of a read-only hubfs
# mount (each call one FUSE_GETXATTR, answered at once: no Hub, no disk) and on a local folder. Prints
# microseconds per call and the daemon's CPU per request. The floor under any workload made of
# many small requests, as a `cp -r` of small files is (tools/bench/fuse_ops.sh counts them).
#   usage: tools/bench/fuse_round_trip.sh [N] [REPS]   (default 20000 3; needs root)
set -euo pipefail
cd "$(dirname "$0")/../.."
LOCALHUB=${LOCALHUB:-$PWD/build/tools/localhub/localhub}
HUBFS=${HUBFS:-$PWD/build/src/hubfs/hubfs}
. tools/bench/lib.sh
n=${1:-20000}
reps=${2:-3}
bench_mount_workdir bench-rtt

bench_start_localhub
bench_create_repo bench/rtt
printf hf_bench_token >"$work/token"
"$HUBFS" mount "$mnt" --endpoint "$LH_URL" --token-file "$work/token" --cache-dir "$work/cache" \
  --log-file "$work/hubfs.log" --read-only
folder="$mnt/models/bench/rtt"
ls "$folder" >/dev/null
daemon=$(pgrep -n -f "hubfs mount $mnt")
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$daemon/stat"; }

per_call() {  # PATH: microseconds per getxattr
  python3 - "$1" "$n" <<'PY'
import os, sys, time
path, n = sys.argv[1], int(sys.argv[2])
t = time.perf_counter()
for _ in range(n):
    try:
        os.getxattr(path, "user.absent")
    except OSError:
        pass
print(f"{(time.perf_counter() - t) / n * 1e6:.1f}")
PY
}

hz=$(getconf CLK_TCK)
for _ in $(seq "$reps"); do
  c0=$(cpu_ticks)
  mount_us=$(per_call "$folder")
  daemon_us=$(awk -v t="$(( $(cpu_ticks) - c0 ))" -v hz="$hz" -v n="$n" 'BEGIN { printf "%.1f", t / hz / n * 1e6 }')
  local_us=$(per_call "$work")
  echo "getxattr: mount $mount_us us, local $local_us us per call (+$(awk -v a="$mount_us" -v b="$local_us" 'BEGIN { printf "%.1f", a - b }') us a round trip); daemon CPU $daemon_us us per request"
done
