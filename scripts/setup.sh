#!/usr/bin/env bash
# Installs what replsim needs from Debian 12 packages. Idempotent and quiet when
# everything is already there; run as root (or with sudo available).
# Usage: scripts/setup.sh [PACKAGE...]   (no arguments: everything replsim builds and runs with)
set -euo pipefail

default_packages=(
  build-essential cmake pkg-config git
  libfmt-dev libgtest-dev libgmock-dev librapidcheck-dev libbenchmark-dev
  librocksdb-dev libboost-dev libboost-system-dev libpq-dev
  libyaml-cpp-dev nlohmann-json3-dev libcli11-dev libabsl-dev
  postgresql-15 postgresql-client-15 procps
  file man-db    # CPack's Debian package (dpkg-shlibdeps asks `file`); the install test's `man -l`
)
if [ $# -gt 0 ]; then packages=("$@"); else packages=("${default_packages[@]}"); fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "setup: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian's postgresql-common starts a default cluster on install; replsim runs its own
# servers and needs no system cluster, but leaves any that exist alone.
