#!/usr/bin/env bash
# Installs what the tests need, builds, and runs every test suite (unit, localhub, conformance).
# Each suite starts its own localhub on a free port with its own data folder and stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-deps.sh
BUILD=${BUILD_DIR:-build}
[ -f "$BUILD/build.ninja" ] || meson setup "$BUILD" >/dev/null
meson compile -C "$BUILD"
status=0
meson test -C "$BUILD" --print-errorlogs --num-processes 1 "$@" | tee "$BUILD/test-summary.txt" || status=$?
# One plain closing line for readers of the log.
ok=$(sed -n 's/^Ok: *\([0-9]*\).*/\1/p' "$BUILD/test-summary.txt" | tail -1)
fail=$(sed -n 's/^Fail: *\([0-9]*\).*/\1/p' "$BUILD/test-summary.txt" | tail -1)
timeout=$(sed -n 's/^Timeout: *\([0-9]*\).*/\1/p' "$BUILD/test-summary.txt" | tail -1)
echo "${ok:-0} passed, $(( ${fail:-0} + ${timeout:-0} )) failed"
exit $status
