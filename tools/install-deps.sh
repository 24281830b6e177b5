#!/usr/bin/env bash
# Installs everything hubfs, localhub and their tests need on Debian 12. Idempotent.
set -euo pipefail
packages=(
  build-essential pkg-config meson ninja-build git ca-certificates curl
  libfuse3-dev fuse3 libcurl4-openssl-dev nlohmann-json3-dev libxxhash-dev liblmdb-dev
  doctest-dev libssl-dev libgit2-dev libcpp-httplib-dev zlib1g-dev
  nodejs npm aria2 jq attr
  autoconf automake perl   # pjdfstest (tests/posix)
  vim python3   # tests/mount/everyday: a scripted vim save, a Python atomic save
  clang libclang-rt-14-dev   # libFuzzer targets (tools/localhub/fuzz)
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# node/npm may come from elsewhere than Debian (the dev image ships its own).
if command -v node >/dev/null && command -v npm >/dev/null; then
  missing=("${missing[@]/nodejs}"); missing=("${missing[@]/npm}")
fi
want=()
for p in "${missing[@]}"; do [ -n "$p" ] && want+=("$p"); done
if [ "${#want[@]}" -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${want[@]}"
fi
