# shellcheck shell=bash
# Memory while streaming (sourced by run.sh): `cat` of a cold $rss_gib GiB file (default 10,
# --rss-gib N) through a new mount into /dev/null, the daemon's peak RSS (VmHWM) and CPU seconds
# (user+sys) read from /proc at the end, once with the defaults and once with
# --memory-limit $rss_limit. The file is the large file of seq repeated (made in $inputs,
# uploaded to bench/huge); the mount's disk cache is held to --cache-size 4G so the run needs
# about 2 x $rss_gib GiB of disk (the input and localhub's copy), not 3x. Delete the input after
# a run with --inputs: it is large.

rss_gib=${rss_gib:-10} rss_limit=${RSS_LIMIT-64M}  # RSS_LIMIT= (empty): the defaults only
prep_rss() {
  local huge="$inputs/huge.bin" i
  if ! have "$huge" $((rss_gib << 30)); then
    echo "making a ${rss_gib} GiB file in $inputs (the large file, repeated)" >&2
    for i in $(seq $(((rss_gib * 1024 + size_mib - 1) / size_mib))); do cat "$inputs/big.bin"; done >"$huge"
    truncate -s $((rss_gib << 30)) "$huge"
  fi
  use_hub lat
  bench_upload_lfs bench/huge huge.bin "$huge"
}
rss_stream() {  # NAME [MOUNT OPTIONS]: one cold stream of the file; records its RSS, CPU, time
  local name=$1
  shift
  rm -rf "$work/cache"
  remount --cache-size 4G "$@"
  stat "$mnt/models/bench/huge/huge.bin" >/dev/null
  hubfs_timed "$name" cat "$mnt/models/bench/huge/huge.bin"
  record "$name.rss" "$(peak_rss_mb "$DAEMON")"
  record "$name.cpu" "$(cpu_seconds "$DAEMON")"
  unmount
}
run_rss() {
  use_hub lat
  rss_stream rss_default
  [ -z "$rss_limit" ] || rss_stream rss_limited --memory-limit "$rss_limit"
}
rows_rss() {
  local bytes=$((rss_gib << 30)) name label
  for name in rss_default ${rss_limit:+rss_limited}; do
    label="defaults"
    [ "$name" = rss_limited ] && label="--memory-limit $rss_limit"
    echo "| peak RSS streaming a cold ${rss_gib} GiB file, $label | $(m "$name.rss") MB ($(m "$name.cpu") s CPU, $(gbps "$bytes" "$(m "$name")")) | goal: 200 MB | $(ratio 200 "$(m "$name.rss")") $(served "$name")"
  done
}
