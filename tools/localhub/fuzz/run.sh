#!/usr/bin/env bash
# Builds localhub's libFuzzer targets with clang (ASan + UBSan) and runs each for a bounded time.
#   tools/localhub/fuzz/run.sh [SECONDS_PER_TARGET]   (default 60)
# Seeds are in tools/localhub/fuzz/corpus/<target>/; new inputs found go to a scratch copy, so
# the repository's corpus only changes by hand. A crash makes the script fail and copies the
# input (crash-*) to $FUZZ_ARTIFACTS (default: the current folder): add it to the corpus and
# write a regression test. Needs clang++ with its fuzzer runtime (Debian: clang, libclang-rt-14-dev).
set -euo pipefail
seconds="${1:-60}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
src="$here/.."
root="$here/../../.."
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
flags=(-std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
       -I"$src" -I"$root")
common=("$src/http_parser.cpp" "$src/http_message.cpp" "$src/url.cpp")
names=("$src/api_support.cpp" "$src/base64.cpp" "$src/lfs_pointer.cpp" "$src/repo_store.cpp" "$src/git_repo.cpp"
       "$src/time_format.cpp")
# The three builds at once (most of this script's time is the instrumented compile).
clang++ "${flags[@]}" "$here/fuzz_http_head.cpp" "${common[@]}" -o "$work/fuzz_http_head" & b1=$!
clang++ "${flags[@]}" "$here/fuzz_names.cpp" "${common[@]}" "${names[@]}" -lgit2 -o "$work/fuzz_names" & b2=$!
clang++ "${flags[@]}" "$here/fuzz_payloads.cpp" "$src/commit_payload.cpp" "$src/lfs_batch_request.cpp" "${common[@]}" \
    "${names[@]}" -lgit2 -o "$work/fuzz_payloads" & b3=$!
wait $b1; wait $b2; wait $b3
status=0
for target in fuzz_http_head fuzz_names fuzz_payloads; do
    mkdir -p "$work/corpus-$target"
    cp -r "$here/corpus/$target/." "$work/corpus-$target/" 2>/dev/null || true
    echo "== $target: $seconds s"
    (cd "$work" && "./$target" -max_total_time="$seconds" -max_len=8192 -print_final_stats=1 \
        "corpus-$target" 2>"$target.log") || {
        status=1
        tail -40 "$work/$target.log"
        cp "$work"/crash-* "$work"/leak-* "$work"/timeout-* "${FUZZ_ARTIFACTS:-$PWD}/" 2>/dev/null || true
    }
    grep -E "stat::number_of_executed_units|stat::peak_rss_mb|INFO: seed corpus|ERROR" "$work/$target.log" || true
done
exit $status
