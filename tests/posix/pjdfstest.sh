#!/usr/bin/env bash
# POSIX behaviour of a writable branch, measured with pjdfstest (../shared/third_party/pjdfstest):
# builds it in a scratch folder, starts localhub with an empty repository, mounts it with hubfs
# and runs every test category from inside the branch folder. Prints the count of passing tests
# per category and in all, and fails if fewer pass than tests/posix/baseline (a regression).
#   LOCALHUB_BIN, HUBFS_BIN: the binaries (default: build/...)
#   PJDFSTEST_SRC: the sources (default: ../shared/third_party/pjdfstest beside the repository)
#   PJDFSTEST_CATEGORIES: "chmod rename ..." to run only these
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
localhub=${LOCALHUB_BIN:-$root/build/tools/localhub/localhub}
hubfs=${HUBFS_BIN:-$root/build/src/hubfs/hubfs}
src=${PJDFSTEST_SRC:-$root/../shared/third_party/pjdfstest}
if [ ! -f "$src/pjdfstest.c" ]; then
  echo "pjdfstest sources not found at $src; skipped"
  exit 77
fi

work=$(mktemp -d /tmp/hubfs-pjdfstest-XXXXXX)
hub_pid=""
cleanup() {
  [ -d "$work/mnt" ] && { "$hubfs" unmount "$work/mnt" --timeout 30 >/dev/null 2>&1 || fusermount3 -u -z "$work/mnt" 2>/dev/null || true; }
  [ -n "$hub_pid" ] && { kill "$hub_pid" 2>/dev/null; wait "$hub_pid" 2>/dev/null || true; }
  rm -rf "$work"
}
trap cleanup EXIT

cp -r "$src" "$work/pjd"
(cd "$work/pjd" && autoreconf -ifs && ./configure && make pjdfstest) >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }

token=hf_posix_token
"$localhub" --data "$work/hub" --port 0 --user "posix:$token:write" >"$work/localhub.out" 2>"$work/localhub.err" &
hub_pid=$!
for _ in $(seq 100); do grep -q listening "$work/localhub.out" 2>/dev/null && break; sleep 0.1; done
url=$(sed -n 's/^localhub listening on //p' "$work/localhub.out")
[ -n "$url" ] || { cat "$work/localhub.err"; exit 1; }
curl -sf -X POST -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
  -d '{"name":"posix","organization":"posix"}' "$url/api/repos/create" >/dev/null

mkdir "$work/mnt"
# --allow-other: pjdfstest switches to other uids, which FUSE otherwise keeps out.
HF_TOKEN=$token "$hubfs" mount "$work/mnt" --endpoint "$url" --cache-dir "$work/cache" --log-file "$work/hubfs.log" --allow-other
branch="$work/mnt/models/posix/posix"
ls "$branch" >/dev/null

categories=${PJDFSTEST_CATEGORIES:-$(cd "$work/pjd/tests" && ls -d */ | tr -d /)}
total_pass=0
total=0
printf '%-12s %7s %7s\n' category passed tests
for c in $categories; do
  dir="$branch/t-$c"
  mkdir "$dir"
  out=$(cd "$dir" && timeout 900 prove -r "$work/pjd/tests/$c" 2>&1 || true)
  tests=$(printf '%s\n' "$out" | sed -n 's/.*Tests=\([0-9]*\).*/\1/p' | tail -1)
  failed=$(printf '%s\n' "$out" | sed -n 's/.*Failed \([0-9]*\)\/[0-9]* subtests.*/\1/p' | awk '{s+=$1} END {print s+0}')
  # A test file that died counts all its planned tests as failed.
  tests=${tests:-0}
  pass=$((tests - failed))
  printf '%-12s %7d %7d\n' "$c" "$pass" "$tests"
  total_pass=$((total_pass + pass))
  total=$((total + tests))
  rm -rf "$dir" 2>/dev/null || true
done
printf '%-12s %7d %7d\n' all "$total_pass" "$total"
baseline=$(cat "$here/baseline" 2>/dev/null || echo 0)
if [ -z "${PJDFSTEST_CATEGORIES:-}" ] && [ "$total_pass" -lt "$baseline" ]; then
  echo "pjdfstest: $total_pass tests pass, fewer than the baseline $baseline (tests/posix/baseline)"
  exit 1
fi
