#!/usr/bin/env bash
# `make bench`: a short run of each benchmark, to see the figures move after a change.
#
#   scripts/bench.sh [BUILD_DIR]     (default: build; `make bench` builds it first)
#
# Short on purpose (about a minute on an idle 2-core machine): one pgbench-sized case of the
# replay core and the simulator's throughput, with a short minimum time. The long runs that
# docs/performance.md reports, and the comparison with PostgreSQL 15's own redo, take minutes and
# a real PostgreSQL; their commands are printed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_DIR=${1:-build}
WAL_BENCH=$BUILD_DIR/bench/wal/wal_bench
CAMPAIGN_BENCH=$BUILD_DIR/bench/campaign/campaign_bench
for bin in "$WAL_BENCH" "$CAMPAIGN_BENCH"; do
  [[ -x $bin ]] || {
    echo "bench: $bin is not built; run: cmake --build $BUILD_DIR --target wal_bench campaign_bench" >&2
    exit 2
  }
done

# A shared machine makes every figure noisier: say how loaded it was.
echo "== load average: $(cut -d' ' -f1-3 /proc/loadavg)"

# Memcpy and CRC32C are the ceiling the decoder is measured against; BM_EndToEnd replays 1M
# records into ~100k live rows, as many as pgbench scale 1's accounts (docs/performance.md).
echo "== replay core ($WAL_BENCH)"
"$WAL_BENCH" \
  --benchmark_filter='BM_Memcpy|BM_Crc32cAlone|BM_DecodeWithCrc|BM_EndToEnd/records:1000000/keys:30000/warm:1$' \
  --benchmark_min_time=0.2 --benchmark_counters_tabular=true

# Scenarios simulated, and generated scenarios checked, per second (docs/performance.md,
# "Property campaigns").
echo "== simulator and property campaigns ($CAMPAIGN_BENCH)"
"$CAMPAIGN_BENCH" --benchmark_filter='BM_Simulate|BM_CheckedScenario' --benchmark_min_time=0.2

cat <<EOF

== longer runs (docs/performance.md says what each one measured, and on what machine)
  $WAL_BENCH --benchmark_repetitions=3 --benchmark_counters_tabular=true   # every case, RocksDB too (~4 min)
  $CAMPAIGN_BENCH --benchmark_repetitions=3                                # every campaign case
  bench/pg_redo_bench.sh $BUILD_DIR 30     # PostgreSQL 15's redo and pg_waldump beside replsim's replay (~2 min, real PostgreSQL)
  bench/harness_bench.sh $BUILD_DIR        # real-cluster harness: start-up and fault latencies (needs harness_driver)
EOF
