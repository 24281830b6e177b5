# shellcheck shell=bash
# Writes (sourced by run.sh), as tools/bench/mount_write.sh measures them, on hub lat: a file of
# --size-mib random bytes copied into the branch folder and committed with `sync FILE`, and
# --write-files text files of 1-4 KiB with `cp -r` and one `sync` of the branch folder, against one
# uploadFiles call of @huggingface/hub (useXet: false, timed inside node) each. Every run and side
# writes its own bytes to its own new repo (localhub keeps one LFS store: the same bytes twice
# would be "already uploaded"). Times end when sync / uploadFiles returns (the commit accepted);
# afterwards (not timed) the files at main are checked through the API (sizes, the big file's oid).

hub_js=${HUB_JS:-tests/conformance/node_modules/@huggingface/hub/dist/index.mjs}
write_n=0
prep_write() { [ -f "$hub_js" ] || echo "no $hub_js (cd tests/conformance && npm ci): writes skipped" >&2; }
js_peer() { HUB_JS=$(realpath "$hub_js") LH_URL="$LH_URL" node tools/bench/hub_js_peer.mjs "$@"; }
# write_check NAME REPO LOCAL_DIR: the files at main are the local files (path and size) and
# the head moved past HEAD0; otherwise the run's NAME is dropped (no time recorded).
write_check() {
  local want got
  want=$(cd "$3" && find . -type f -printf '%P %s\n' | sort)
  got=$(js_peer list "$2" | grep -v '^\.gitattributes ' | cut -d' ' -f1,2 | sed 's|^small/||' | sort)
  [ "$want" = "$got" ] && [ "$(bench_head "$2")" != "$head0" ] && return 0
  echo "write check failed: $2 at main differs from $3:" >&2
  diff <(echo "$want") <(echo "$got") | head -5 >&2 || true
  sed -i '$d' "$res/$1"  # the time just recorded is not a commit's
}
write_side() {  # NAME REPO SRC SYNC_TARGET: hubfs cp (-r) SRC into the repo's branch folder, sync
  local dir="$mnt/models/$2"
  head0=$(bench_head "$2")
  hubfs_timed "$1" sh -c "/usr/bin/time -f %e -o '$work/cp.s' cp -r '$3' '$dir/' && sync '$dir/$4'"
  record "$1.cp" "$(cat "$work/cp.s")"
}
run_write() {
  [ -f "$hub_js" ] || return 0
  local d="$work/write" wn side
  use_hub lat
  write_n=$((write_n + 1)) wn=$write_n
  for side in js hubfs; do
    mkdir -p "$d/$side/big"
    head -c "$big" /dev/urandom >"$d/$side/big/big.bin"
    bench_small_files "$d/$side/small" "$write_files" "$side$wn"
    bench_create_repo "bench/w$wn-$side-big"
    bench_create_repo "bench/w$wn-$side-small"
  done
  sync -f "$d"
  head0=$(bench_head "bench/w$wn-js-big")
  record write_js_big "$(js_peer upload "bench/w$wn-js-big" "$d/js/big/big.bin" big.bin)"
  write_check write_js_big "bench/w$wn-js-big" "$d/js/big"
  head0=$(bench_head "bench/w$wn-js-small")
  record write_js_small "$(js_peer upload "bench/w$wn-js-small" "$d/js/small" small)"
  write_check write_js_small "bench/w$wn-js-small" "$d/js/small"
  # What creating these files costs on this disk: a local `cp -r` beside the cache.
  record write_local_cp "$(timed cp -r "$d/js/small" "$d/local-small")"
  mount_fresh
  write_side write_big "bench/w$wn-hubfs-big" "$d/hubfs/big/big.bin" big.bin
  write_check write_big "bench/w$wn-hubfs-big" "$d/hubfs/big"
  [ "$(js_peer list "bench/w$wn-hubfs-big" | awk '$1 == "big.bin" { print $3 }')" = "$(sha256sum "$d/hubfs/big/big.bin" | cut -d' ' -f1)" ] ||
    { echo "write check failed: big.bin's oid" >&2; sed -i '$d' "$res/write_big"; }
  write_side write_small "bench/w$wn-hubfs-small" "$d/hubfs/small" .
  write_check write_small "bench/w$wn-hubfs-small" "$d/hubfs/small"
  unmount
  rm -rf "$d"
}
rows_write() {
  if [ ! -f "$hub_js" ]; then
    echo "| writes | @huggingface/hub missing: skipped | | | | |"
    return
  fi
  echo "| commit ${size_mib} MiB (\`cp\` + \`sync\`) | $(secs "$(m write_big)") ($(mbps $big "$(m write_big)")) | @huggingface/hub uploadFiles: $(secs "$(m write_js_big)") | $(ratio "$(m write_js_big)" "$(m write_big)") | $(m write_big.req) | |"
  echo "| commit $write_files files of 1-4 KiB (\`cp -r\` + \`sync\`) | $(secs "$(m write_small)") | @huggingface/hub uploadFiles: $(secs "$(m write_js_small)") | $(ratio "$(m write_js_small)" "$(m write_small)") | $(m write_small.req) | |"
  echo "| (same), its \`cp -r\` alone | $(secs "$(m write_small.cp)") | local \`cp -r\` of the same folder beside the cache: $(secs "$(m write_local_cp)") | $(ratio "$(m write_local_cp)" "$(m write_small.cp)") | | |"
}
