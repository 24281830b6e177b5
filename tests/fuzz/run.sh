#!/usr/bin/env bash
# Builds hubfs's libFuzzer target (tests/fuzz/fuzz_hub_parsers.cpp: the Hub's JSON models, the
# Link header, repository folder names and specs, safetensors headers) with clang, ASan and
# UBSan, and runs it for a bounded time from the seeds in tests/fuzz/corpus/.
#   tests/fuzz/run.sh [SECONDS]   (default 60)
# A crash fails the script and leaves its input (crash-*) in $FUZZ_ARTIFACTS (default: the
# current folder): add it to the corpus and write a regression test.
set -euo pipefail
seconds="${1:-60}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$here/../.."
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
flags=(-std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
       -I"$root" $(pkg-config --cflags fuse3))
# The api/ library whole (its parsers use its errors and types), and the mount's path parser.
# Objects compiled two at a time (the instrumented compile is most of this script's time).
mkdir -p "$work/obj"
printf '%s\n' "$here/fuzz_hub_parsers.cpp" "$root"/api/*.cpp "$root/fs/hub_path.cpp" |
    xargs -P 2 -I{} sh -c 'clang++ "$@" -c "{}" -o "$0/obj/$(basename "{}" .cpp).o"' "$work" "${flags[@]}"
clang++ "${flags[@]}" "$work"/obj/*.o $(pkg-config --libs libcurl openssl) -lpthread -o "$work/fuzz_hub_parsers"
mkdir -p "$work/corpus"
cp -r "$here/corpus/." "$work/corpus/" 2>/dev/null || true
echo "== fuzz_hub_parsers: $seconds s"
status=0
(cd "$work" && ./fuzz_hub_parsers -max_total_time="$seconds" -max_len=8192 -print_final_stats=1 corpus 2>fuzz.log) || {
    status=1
    tail -40 "$work/fuzz.log"
    cp "$work"/crash-* "$work"/timeout-* "${FUZZ_ARTIFACTS:-$PWD}/" 2>/dev/null || true
}
grep -E "stat::number_of_executed_units|stat::peak_rss_mb|INFO: seed corpus|ERROR" "$work/fuzz.log" || true
exit $status
