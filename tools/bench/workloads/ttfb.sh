# shellcheck shell=bash
# Time to first byte (sourced by run.sh): `head -c 1` of the cold large file through a new mount
# (the first lookups list the repo: everything cold), and through a new mount after a `stat` of the
# file (listing known, bytes cold), against `curl -r 0-0` of its resolve URL (a new connection,
# the redirect followed). $ttfb_samples samples per run; the table shows the medians.

prep_ttfb() { :; }  # the large file of the seq workload
run_ttfb() {
  local file="$mnt/models/bench/big/big.bin" i
  use_hub lat
  for i in $(seq "$ttfb_samples"); do
    record ttfb_curl "$(timed curl -sfL -r 0-0 -o /dev/null "$LH_URL/bench/big/resolve/main/big.bin")"
    mount_fresh
    hubfs_timed ttfb_mount head -c 1 "$file"
    unmount
    mount_fresh
    stat "$file" >/dev/null
    hubfs_timed ttfb_stat head -c 1 "$file"
    unmount
  done
}
rows_ttfb() {
  local c
  c=$(m ttfb_curl)
  echo "| first byte of a cold file, new mount | $(ms "$(m ttfb_mount)") | \`curl -r 0-0\` of its resolve URL: $(ms "$c") | $(ms_more "$(m ttfb_mount)" "$c") $(served ttfb_mount)"
  echo "| first byte, new mount, after a \`stat\` | $(ms "$(m ttfb_stat)") | (same) | $(ms_more "$(m ttfb_stat)" "$c") $(served ttfb_stat)"
}
ms() { awk -v s="$1" 'BEGIN { printf "%.1f ms", s * 1000 }'; }
ms_more() {  # HUBFS CURL: how much longer, in ms and in round trips of the hub's latency
  awk -v a="$1" -v b="$2" -v l="$latency_ms" 'BEGIN { d = (a - b) * 1000; printf "%+.1f ms (%+.1f round trips of %d ms)", d, d / l, l }'
}
