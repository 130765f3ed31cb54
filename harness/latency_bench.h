// LatencyBench: the measured side of `replsim compare`. One real cluster (primary, standbys s1
// and s2 streaming through the FaultProxy) reused for every configuration: settings change by
// ALTER SYSTEM + pg_reload_conf(), latency by the proxy, so a configuration costs its measuring
// time, not a rebuild. N client threads, each with its own PgConnection, run the seed's order
// workload (an order for an existing customer plus 1-3 order items, one transaction) with
// parameterised statements only.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "harness/cluster.h"
#include "harness/harness_options.h"
#include "vocab/scenario.h"
#include "vocab/status.h"

namespace replsim::harness {

struct BenchConfig {
  SyncCommit level = SyncCommit::kOn;
  // synchronous_standby_names. REQUIRES: only letters, digits, spaces, commas, parentheses and
  // `_` (the value is written into ALTER SYSTEM, which takes no parameters).
  std::string standby_names;
  int64_t one_way_latency_us = 0;  // Added on both directions of both standbys' links.
  int clients = 4;                 // REQUIRES: 1..64.
  int64_t duration_ms = 5000;      // Steady-state measuring time. REQUIRES: > 0.
  // After the steady state, these standbys are partitioned (both directions) for
  // partition_window_ms while the clients go on; empty or 0 = no partition phase.
  std::vector<std::string> partition_nodes;
  int64_t partition_window_ms = 0;
};

// One COMMIT as the page plots it: when it returned and how long it took, in milliseconds
// since the clients started.
struct CommitPoint {
  double at_ms = 0;
  double latency_ms = 0;
};

struct BenchMeasure {
  int64_t commits = 0;  // Completed in the steady-state window.
  double tps = 0;
  double commit_p50_ms = 0, commit_p95_ms = 0, commit_p99_ms = 0, commit_max_ms = 0;
  // pg_stat_replication.sync_state per standby before the run ("s1=sync s2=potential").
  std::string sync_states;
  // Partition phase.
  bool partitioned = false;
  int64_t partition_window_ms = 0;
  double stall_ms = 0;            // Longest commit that was in flight during the partition.
  bool blocked = false;           // stall_ms >= HarnessOptions::block_after_ms.
  std::string released_by;        // "" (not blocked), "failover" (before the heal) or "heal".
  int64_t partition_commits = 0;  // Commits completed while the partition lasted.
  // Every commit that returned (steady state, partition and after), by completion time, and
  // the phases' bounds on the same clock: for the latency-over-time and CDF plots.
  std::vector<CommitPoint> commit_series;
  double steady_end_ms = 0, partition_start_ms = 0, heal_ms = 0;
};

class LatencyBench {
 public:
  // Builds the cluster with the "seed" data set. Errors carry the servers' log lines.
  static Result<std::unique_ptr<LatencyBench>> create(const HarnessOptions& options);
  ~LatencyBench();
  LatencyBench(const LatencyBench&) = delete;
  LatencyBench& operator=(const LatencyBench&) = delete;

  // Applies the configuration, runs the clients, and leaves both standbys streaming and caught
  // up again (so the next configuration starts clean). Errors carry the servers' log lines.
  Result<BenchMeasure> measure(const BenchConfig& config);

  // The cluster's run directory, where every data directory is (for the report's disk).
  const std::string& run_dir() const { return cluster_->dir(); }

  // A setting as the primary runs with it (SHOW name; "fsync" gives "on" or "off").
  // REQUIRES: `name` is a setting's name (letters, digits and `_`).
  Result<std::string> primary_setting(const std::string& name);

  // The last `lines` lines of every server's log, labelled by node.
  std::string server_logs(size_t lines) const;

 private:
  LatencyBench(const HarnessOptions& options, std::unique_ptr<Cluster> cluster);
  Status apply_settings(const BenchConfig& config);
  Status wait_replicas_ready(const BenchConfig& config, int64_t timeout_ms, std::string* sync_states);
  Status wait_caught_up(int64_t timeout_ms);
  Status fail(const std::string& what) const;

  HarnessOptions options_;
  std::unique_ptr<Cluster> cluster_;
  std::unique_ptr<PgConnection> admin_;  // On the primary, for settings and observation.
};

}  // namespace replsim::harness
