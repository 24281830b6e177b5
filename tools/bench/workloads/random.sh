# shellcheck shell=bash
# Random reads (sourced by run.sh): fio, 4 KiB and 1 MiB blocks at random offsets of the cold
# large file (one reader, psync, queue depth 1; fio advises POSIX_FADV_RANDOM), through a new
# mount with an empty cache, against the same fio job on the local copy with its pages evicted
# (fio's invalidate=1 evicts them too). Requests and bytes are counted after a `stat` of the file,
# so they are the reads' own; bytes fetched over bytes read is the wasted read-ahead.

FIO=${FIO:-fio}
prep_random() { :; }  # the large file of the seq workload (made and uploaded by run.sh)

fio_job() {  # FILE BS COUNT OUT: COUNT random reads of BS; fio's JSON into OUT
  "$FIO" --name=rand --filename="$1" --readonly --rw=randread --bs="$2" --size="$big" \
    --io_size=$(($2 * $3)) --ioengine=psync --iodepth=1 --invalidate=1 --randrepeat=1 \
    --output-format=json --output="$4"
}
fio_record() {  # NAME JSON: IOPS, mean and p99 completion latency (ms), bytes read
  local v
  v=$(jq -r '.jobs[0].read | "\(.iops) \(.lat_ns.mean / 1e6) \(.clat_ns.percentile["99.000000"] / 1e6) \(.io_bytes)"' "$2")
  read -r iops lat p99 io <<<"$v"
  record "$1.iops" "$iops"; record "$1.lat" "$lat"; record "$1.p99" "$p99"; record "$1.read" "$io"
}
run_random() {
  command -v "$FIO" >/dev/null || return 0
  local file="$mnt/models/bench/big/big.bin" bs name
  use_hub lat
  for bs in 4096 1048576; do
    name=rand$((bs >> 10))k
    mount_fresh
    stat "$file" >/dev/null  # the listing is not the reads' cost
    hubfs_timed "$name" fio_job "$file" "$bs" "$random_ios" "$work/fio.json"
    fio_record "$name" "$work/fio.json"
    unmount
    evict "$inputs/big.bin"
    fio_job "$inputs/big.bin" "$bs" "$random_ios" "$work/fio.json" >/dev/null
    fio_record "local_$name" "$work/fio.json"
  done
}
rows_random() {
  if ! command -v "$FIO" >/dev/null; then
    echo "| random reads (fio) | fio missing: skipped | | | | |"
    return
  fi
  local name bs
  for bs in 4 1024; do
    name=rand${bs}k
    echo "| $random_ios random $(kib_label $bs) reads (fio, QD 1) in cold ${size_mib} MiB | $(fio_cell "$name") | fio on local file, evicted: $(fio_cell "local_$name") | $(ratio "$(m "$name.iops")" "$(m "local_$name.iops")") | $(m "$name.req") | $(mib "$(m "$name.bytes")") ($(waste "$name")) |"
  done
}
kib_label() { [ "$1" -ge 1024 ] && echo "$(($1 / 1024)) MiB" || echo "$1 KiB"; }
fio_cell() {  # NAME: "IOPS, mean latency (p99)"
  awk -v i="$(m "$1.iops")" -v l="$(m "$1.lat")" -v p="$(m "$1.p99")" \
    'BEGIN { printf "%.0f IOPS, %.2f ms (p99 %.2f ms)", i, l, p }'
}
waste() {  # NAME: bytes fetched over bytes read
  awk -v f="$(m "$1.bytes")" -v r="$(m "$1.read")" 'BEGIN { printf "%.1fx the bytes read", f / r }'
}
