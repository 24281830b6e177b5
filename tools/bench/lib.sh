# Shared by the benchmark scripts: start/stop localhub, upload an LFS file, timing.
# Source it; needs LOCALHUB (binary path).

bench_start_localhub() {  # args: extra localhub flags; sets LH_URL, LH_PID, LH_DIR
  LH_DIR=$(mktemp -d /tmp/hubfs-bench.XXXXXX)
  "$LOCALHUB" --data "$LH_DIR/data" --port 0 --user bench:hf_bench_token:write --log "$LH_DIR/requests.log" "$@" \
    >"$LH_DIR/out" 2>"$LH_DIR/err" &
  LH_PID=$!
  for _ in $(seq 100); do grep -q listening "$LH_DIR/out" 2>/dev/null && break; sleep 0.1; done
  LH_URL=$(sed -n 's/^localhub listening on //p' "$LH_DIR/out")
  [ -n "$LH_URL" ] || { cat "$LH_DIR/err"; return 1; }
}

bench_stop_localhub() {
  [ -n "${LH_PID:-}" ] && kill "$LH_PID" 2>/dev/null && wait "$LH_PID" 2>/dev/null
  [ -n "${LH_DIR:-}" ] && rm -rf "$LH_DIR"
  LH_PID=; LH_DIR=
}

# bench_mount_workdir NAME: a work folder ($work) with a mount point in it ($mnt), and an EXIT
# trap that unmounts it (committing what is staged), stops localhub and removes the folder.
bench_mount_workdir() {
  work=$(mktemp -d "/tmp/hubfs-$1.XXXXXX")
  mnt="$work/mnt"
  mkdir -p "$mnt"
  trap bench_mount_cleanup EXIT
}
bench_mount_cleanup() {
  mountpoint -q "$mnt" && { "$HUBFS" unmount "$mnt" >/dev/null 2>&1 || fusermount3 -u -z "$mnt"; }
  bench_stop_localhub
  rm -rf "$work"
}

# bench_create_repo NS/NAME: creates the model repo (NS is the token's user, bench); exists is fine.
bench_create_repo() {
  curl -sf -H "Authorization: Bearer hf_bench_token" -X POST "$LH_URL/api/repos/create" \
    -d "{\"name\":\"${1#*/}\"}" >/dev/null || true
}

# bench_head NS/NAME [BRANCH]: prints the commit sha the branch (default main) points at.
bench_head() {
  curl -sf -H "Authorization: Bearer hf_bench_token" "$LH_URL/api/models/$1/revision/${2:-main}" | jq -r .sha
}

# bench_upload_lfs REPO PATH FILE: commits FILE at PATH through the LFS batch API (basic transfer).
bench_upload_lfs() {
  local repo=$1 path=$2 file=$3 auth="Authorization: Bearer hf_bench_token"
  local sha size href
  sha=$(sha256sum "$file" | cut -d' ' -f1); size=$(stat -c %s "$file")
  bench_create_repo "$repo"
  href=$(curl -sf -H "$auth" -X POST "$LH_URL/$repo.git/info/lfs/objects/batch" \
    -d "{\"operation\":\"upload\",\"transfers\":[\"basic\"],\"objects\":[{\"oid\":\"$sha\",\"size\":$size}]}" |
    jq -r '.objects[0].actions.upload.href // empty')
  [ -z "$href" ] || curl -sf -X PUT -T "$file" "$href" >/dev/null
  printf '%s\n%s\n' '{"key":"header","value":{"summary":"bench file"}}' \
    "{\"key\":\"lfsFile\",\"value\":{\"path\":\"$path\",\"algo\":\"sha256\",\"oid\":\"$sha\",\"size\":$size}}" |
    curl -sf -H "$auth" -X POST "$LH_URL/api/models/$repo/commit/main" --data-binary @- >/dev/null
}

# bench_small_files DIR N TAG: N text files of 1-4 KiB (regular files, not LFS); the sizes are the
# same for every TAG, the first line (TAG) tells two sets apart.
bench_small_files() {
  mkdir -p "$1"
  awk -v dir="$1" -v n="$2" -v side="$3" 'BEGIN {
    srand(42); cs = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/"
    for (i = 0; i < n; i++) {
      f = sprintf("%s/file-%04d.txt", dir, i); size = 1024 + int(rand() * 3073)
      s = sprintf("%-63s\n", "side " side); left = size - 64
      while (left > 0) {
        len = left < 64 ? left : 64; line = ""
        for (j = 1; j < len; j++) line = line substr(cs, 1 + int(rand() * 64), 1)
        s = s line "\n"; left -= len
      }
      printf "%s", s > f; close(f)
    }
  }'
}

now() { date +%s.%N; }

# Evicts files (or every file under folders) from the page cache; dirty pages are written first.
evict() {
  python3 - "$@" <<'PY'
import os, sys
for top in sys.argv[1:]:
    paths = [top] if os.path.isfile(top) else [os.path.join(d, f) for d, _, fs in os.walk(top) for f in fs]
    for p in paths:
        fd = os.open(p, os.O_RDONLY)
        os.fdatasync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        os.close(fd)
PY
}

# evict, then a pause. On this VM pages freed more than ~2 s ago are handed back to the host, and
# a read that fills them is 3-5x slower than one reusing pages just freed; two reads compared
# from disk are each evicted with this, so both fill pages in the same state however long a
# mount between takes.
evict_settled() { evict "$@"; sleep 3; }
