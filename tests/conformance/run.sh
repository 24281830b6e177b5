#!/usr/bin/env bash
# Conformance suite: the official @huggingface/hub client (version pinned in package.json and
# package-lock.json) against localhub. Needs node >= 18 and npm; LOCALHUB_BIN names the binary
# (default: <repo>/build/tools/localhub/localhub).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

# npm ci only when node_modules is missing or older than the lock file.
stamp=node_modules/.package-lock.json
if [[ ! -f "$stamp" || package-lock.json -nt "$stamp" || package.json -nt "$stamp" ]]; then
    npm ci --no-audit --no-fund --loglevel=error >&2
fi

exec node --test --test-reporter=spec "$here"/*.test.mjs
