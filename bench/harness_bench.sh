#!/usr/bin/env bash
# Harness benchmark (a script, not a timed test): initdb vs template copy, time to a ready
# primary + 1 streaming standby, per-fault injection latency, drill 2.1 end to end.
# Usage: bench/harness_bench.sh [BUILD_DIR] [RUNS]   (needs tests/harness/harness_driver built)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
RUNS=${2:-5}
DRIVER=$BUILD/tests/harness/harness_driver
BINDIR=${REPLSIM_PG_BINDIR:-/usr/lib/postgresql/15/bin}
[[ -x $DRIVER ]] || { echo "build $DRIVER first: cmake --build $BUILD --target harness_driver" >&2; exit 2; }
WORK=$(mktemp -d /tmp/replsim-bench-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
chmod 755 "$WORK"
AS=()
if [[ $(id -u) == 0 ]]; then chown postgres: "$WORK"; AS=(runuser -u postgres --); fi

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
now() { date +%s.%N; }

echo "# machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $("$BINDIR/postgres" -V)"

# 1. initdb vs copy of the cached template (the harness builds the template on first use).
"$DRIVER" scenarios/drill-2.1-replication-lag.yaml >/dev/null 2>&1 || true
TEMPLATE=$(ls -d /tmp/replsim-template-*-15*-1MB 2>/dev/null | head -1)
m=$(for i in $(seq "$RUNS"); do
  t0=$(now); "${AS[@]}" "$BINDIR/initdb" -D "$WORK/i$i" -U postgres -A trust -N -E UTF8 --locale=C --wal-segsize=1 >/dev/null 2>&1; t1=$(now)
  echo "$t1 - $t0" | bc
done | median)
printf 'initdb:                          %.3f s (median of %s)\n' "$m" "$RUNS"
m=$(for i in $(seq "$RUNS"); do
  t0=$(now); "${AS[@]}" cp -a "$TEMPLATE" "$WORK/c$i"; t1=$(now)
  echo "$t1 - $t0" | bc
done | median)
printf 'template copy (cp -a, %s):     %.3f s (median of %s)\n' "$(du -sh "$TEMPLATE" | cut -f1)" "$m" "$RUNS"

# 2. Ready primary + 1 streaming standby: template copy, start, data set, pg_basebackup,
#    standby start, until pg_stat_replication says streaming (the driver's "setup").
cat > "$WORK/ready.yaml" <<'YAML'
name: ready
cluster:
  primary: primary
  standbys: [replica]
steps:
  - catchup
YAML
m=$(for i in $(seq "$RUNS"); do "$DRIVER" "$WORK/ready.yaml" 2>/dev/null | awk '/^setup/ {print $2}'; done | median)
printf 'primary + 1 streaming standby:   %.3f s (median of %s)\n' "$m" "$RUNS"

# 3. Per-fault injection latency: each step's duration, including the timeline snapshot of
#    every node's positions that follows it.
cat > "$WORK/faults.yaml" <<'YAML'
name: faults
cluster:
  primary: primary
  standbys: [replica]
steps:
  - catchup
  - partition: replica
  - heal: replica
  - pause: replica
  - resume: replica
  - crash: replica
  - start: replica
  - stop: replica
  - start: replica
  - insert: a
    table: customers
    values: {firstName: A, lastName: B}
  - promote: replica
YAML
for i in $(seq "$RUNS"); do
  "$DRIVER" "$WORK/faults.yaml" 2>/dev/null | awk '/^step [0-9]+ at/ {t=$4; if (prev!="") printf "%s %.1f\n", $6, (t-prev)*1000; prev=t}'
done | awk '{s[$1]=s[$1] " " $2} END {for (k in s) print k, s[k]}' | while read -r name values; do
  printf '  %-10s %6.1f ms (median)\n' "$name" "$(tr ' ' '\n' <<<"$values" | grep -v '^$' | median)"
done | sort | sed '1i fault injection (step + snapshot):'

# 4. Drill 2.1 end to end, from the command to the cleaned-up exit.
m=$(for i in $(seq "$RUNS"); do
  t0=$(now); "$DRIVER" scenarios/drill-2.1-replication-lag.yaml >/dev/null 2>&1; t1=$(now)
  echo "$t1 - $t0" | bc
done | median)
printf 'drill 2.1 end to end:            %.3f s (median of %s)\n' "$m" "$RUNS"

