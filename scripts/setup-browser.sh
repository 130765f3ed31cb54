#!/usr/bin/env bash
# Installs Debian's Chromium for the browser tests (tests/html: the timeline page is
# rendered headless and screenshotted). Kept apart from the default setup because only
# the test run needs a browser. The page names DejaVu as its fallback font.
set -euo pipefail
exec bash "$(dirname "$0")/setup.sh" chromium fonts-dejavu-core
