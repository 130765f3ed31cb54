// LossWindow: the simulator's prediction, for one `replsim compare` configuration, of what a
// crash of the primary at a random instant can lose and whether commits block when the
// synchronous standby is partitioned. A closed-form model: each rule cites the PostgreSQL 15
// documentation section it comes from (listed in docs/compare.md). Pure arithmetic: no
// threads, no clock, no I/O, so it runs anywhere the simulator runs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "vocab/scenario.h"

namespace replsim::sim {

// The three standby setups `replsim compare` measures (primary + standbys s1, s2).
enum class StandbySetup {
  kAsync,   // synchronous_standby_names = ''
  kFirst1,  // 'FIRST 1 (s1, s2)'
  kAny1,    // 'ANY 1 (s1, s2)'
};
const char* to_string(StandbySetup setup);
std::optional<StandbySetup> parse_standby_setup(const std::string& text);
// The synchronous_standby_names value of the setup, as PostgreSQL reads it.
const char* standby_names_of(StandbySetup setup);

struct LossWindowInput {
  SyncCommit level = SyncCommit::kOn;
  StandbySetup setup = StandbySetup::kAsync;
  int64_t one_way_latency_us = 0;             // Added primary <-> standby latency, each direction.
  double tps = 0;                             // Measured throughput, to turn milliseconds into commits.
  int64_t wal_writer_delay_us = 200'000;      // PostgreSQL's default.
  int64_t wal_sender_timeout_us = 2'000'000;  // As the harness configures it.
  int64_t partition_window_us = 0;            // How long the partition of the sync standby lasts.
};

struct LossWindow {
  // Acknowledged commits a primary crash + failover to the best standby can lose: those of the
  // last `window_us` (typical) or `window_worst_us` (the documented worst case).
  int64_t window_us = 0;
  int64_t window_worst_us = 0;
  double transactions = 0;        // window_us of commits at `tps`.
  double transactions_worst = 0;  // window_worst_us of commits at `tps`.
  // A partition of the sync standby (s1; s1 and s2 for ANY 1) makes commits wait.
  bool blocks_under_partition = false;
  int64_t stall_us = 0;     // How long the longest commit waits (<= the partition window).
  std::string released_by;  // "", "failover" (another standby takes over) or "heal".
  std::string rule;         // One sentence: why, with the documentation section.
};

// REQUIRES: one_way_latency_us >= 0, tps >= 0, wal_writer_delay_us > 0.
LossWindow predict_loss_window(const LossWindowInput& input);

// Processing time between a local WAL flush and the bytes leaving the walsender (wakeup,
// read, send): what separates primary and standby even with no added latency.
inline constexpr int64_t kSendProcessingUs = 100;

}  // namespace replsim::sim
