#!/usr/bin/env bash
# Installs the Debian packages relais needs to build, test and benchmark.
# Idempotent: only missing packages are installed, and `apt-get update` runs
# only when something must be installed.
set -euo pipefail

PKGS=(
  # build
  build-essential cmake pkg-config clang libclang-rt-14-dev
  libh2o-evloop-dev libuv1-dev libcurl4-openssl-dev libssl-dev libsodium-dev
  libjansson-dev libyaml-dev libcmocka-dev libsqlite3-dev libjwt-dev libcjose-dev
  # tests and benchmarks
  python3 python3-pytest python3-requests curl nghttp2-client openssl
  wrk nginx-light prometheus
)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
