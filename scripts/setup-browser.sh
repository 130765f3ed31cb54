#!/usr/bin/env bash
# Installs Debian's Chromium for the browser tests (tests/html: the timeline page is
# rendered headless and screenshotted). Idempotent and quiet when it is already there;
# run as root (or with sudo available). Kept apart from setup.sh because only the
# test run needs a browser.
set -euo pipefail

packages=(chromium fonts-dejavu-core)  # The page names DejaVu as its fallback font.

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "setup-browser: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
