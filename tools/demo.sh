#!/usr/bin/env bash
# The demo: installs, builds, starts localhub with sample repositories, mounts them with hubfs
# and browses the mount. Set DEMO_KEEP=1 to keep both running afterwards (Ctrl-C stops them).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-deps.sh
[ -f build/build.ninja ] || meson setup build >/dev/null
meson compile -C build >/dev/null

data=$(mktemp -d)
out="$data/localhub.out"
build/tools/localhub/localhub --data "$data/hub" --port 0 --samples --user demo:hf_demo_token:write >"$out" 2>"$data/localhub.err" &
pid=$!
mnt="$data/mnt"
mkdir -p "$mnt"
trap 'build/src/hubfs/hubfs unmount "$mnt" --timeout 30 >/dev/null 2>&1 || fusermount3 -u -z "$mnt" 2>/dev/null
      kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 100); do grep -q "listening" "$out" 2>/dev/null && break; sleep 0.1; done
url=$(sed -n 's/^localhub listening on //p' "$out")
[ -n "$url" ] || { cat "$data/localhub.err"; exit 1; }

show() { printf '\n\033[1m$ %s\033[0m\n' "$*"; eval "$@"; echo; }
echo "localhub is serving sample repositories at $url"
show "curl -s '$url/api/models?author=demo' | jq -r '.[].id'"
show "curl -sI '$url/demo/tiny-model/resolve/main/model.safetensors' | grep -iE '^(HTTP|location|x-linked|x-repo-commit)'"

HF_TOKEN=hf_demo_token build/src/hubfs/hubfs mount "$mnt" --endpoint "$url" --cache-dir "$data/cache"
echo "hubfs mounted the Hub at $mnt"
show "ls -l $mnt/models/demo"
show "ls -lR $mnt/models/demo/tiny-model"
show "cat $mnt/models/demo/tiny-model/config.json"
show "ls $mnt/models/demo/tiny-model@v1.0 $mnt/models/demo/tiny-model@dev $mnt/models/demo/tiny-model@refs%2Fpr%2F1"
show "head -c 111 $mnt/models/demo/tiny-model/model.safetensors | tail -c 103; echo"
show "sha256sum $mnt/models/demo/tiny-model/model.safetensors"
show "getfattr -d $mnt/models/demo/tiny-model/model.safetensors"
show "find $mnt/datasets/demo/sample-data -type f | xargs wc -l"
show "build/src/hubfs/hubfs status"
if [ "${DEMO_KEEP:-0}" = 1 ]; then
  echo "The Hub is mounted at $mnt (localhub serves it at $url, token hf_demo_token)."
  echo "Browse it from another terminal, e.g.: ls $mnt/models/demo/tiny-model"
  echo "To leave: press Ctrl-C here (unmounts, stops localhub and removes the demo's files)."
  wait $pid
else
  echo "Done: unmounting $mnt and stopping localhub."
  echo "To keep the mount and explore it yourself: DEMO_KEEP=1 bash tools/demo.sh (Ctrl-C leaves)."
fi
