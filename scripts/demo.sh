#!/usr/bin/env bash
# The main job: the seed's drills, predicted by the simulator and verified on a real
# PostgreSQL 15 cluster built on this machine. Usage: scripts/demo.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
replsim="$build/replsim"

echo "== Predicting every scenario with the simulator (replsim run)"
"$replsim" run scenarios/*.yaml
echo
echo "== Verifying every scenario against real PostgreSQL 15 (replsim verify)"
"$replsim" verify scenarios/*.yaml
