#!/usr/bin/env bash
# The demo: installs, builds, starts localhub with sample repositories and browses them.
# Set DEMO_KEEP=1 to keep localhub serving afterwards (Ctrl-C stops it).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-deps.sh
[ -f build/build.ninja ] || meson setup build >/dev/null
meson compile -C build localhub >/dev/null

data=$(mktemp -d)
out="$data/localhub.out"
build/tools/localhub/localhub --data "$data/hub" --port 0 --samples --user demo:hf_demo_token:write >"$out" 2>"$data/localhub.err" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 100); do grep -q "listening" "$out" 2>/dev/null && break; sleep 0.1; done
url=$(sed -n 's/^localhub listening on //p' "$out")
[ -n "$url" ] || { cat "$data/localhub.err"; exit 1; }

show() { printf '\n\033[1m$ %s\033[0m\n' "$*"; eval "$@"; echo; }
echo "localhub is serving sample repositories at $url"
show "curl -s '$url/api/models?author=demo' | jq -r '.[].id'"
show "curl -s '$url/api/models/demo/tiny-model' | jq '{id, sha, lastModified, files: [.siblings[].rfilename]}'"
show "curl -s '$url/api/models/demo/tiny-model/tree/main?recursive=true' | jq -r '.[] | [.type, .size, .path, (.lfs.oid // \"\")] | @tsv'"
show "curl -s '$url/api/models/demo/tiny-model/refs' | jq -c '.branches[], .tags[]'"
show "curl -s '$url/api/models/demo/tiny-model/commits/main' | jq -r '.[] | .id[0:12] + \"  \" + .title'"
show "curl -s '$url/demo/tiny-model/resolve/main/config.json'"
show "curl -sI '$url/demo/tiny-model/resolve/main/model.safetensors' | grep -iE '^(HTTP|location|x-linked|x-repo-commit)'"
show "curl -sL -r 8-111 '$url/demo/tiny-model/resolve/v1.0/model.safetensors'"
show "curl -s '$url/api/datasets/demo/sample-data/tree/main/data' | jq -c '.[] | {path, size}'"
if [ "${DEMO_KEEP:-0}" = 1 ]; then
  echo "localhub keeps serving at $url (token hf_demo_token); Ctrl-C stops it."
  wait $pid
fi
