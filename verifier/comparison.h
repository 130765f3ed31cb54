// Comparison of a Prediction (the simulator's RunResult) with a History (the real
// cluster's) of the same scenario: transaction by transaction, node by node.
//
// What is compared, and how strictly (docs/verifier.md, "Comparing"):
// - each transaction's outcome: the observed one must be in the predicted set;
// - each transaction's presence on each node: present/absent must match; a predicted
//   "either" matches anything but is counted apart, so a model that says "either"
//   everywhere is visibly imprecise;
// - each node's error (recovery_target_not_reached, refuses_to_start, cannot_catch_up);
// - each lag check: transactions and failover_loses_data exactly, bytes within ByteTolerance;
// - row counts per node and table, unless a predicted "either" on that node makes them open;
// - each step's own result: refused by the server with an ERROR of one SQLSTATE, or accepted.
// - at every timeline entry, each node's server state, its timeline (when it runs on both
//   sides) and its pg_stat_replication row (sync_state and sync_priority);
// - at the end, each standby's receive and replay lag behind the primary, in bytes.
// A determinate prediction the history could not observe is never agreement: it is listed in
// Comparison::unobserved with the reason, and the verdict is then "incomplete".
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "vocab/run_result.h"

namespace replsim {

// Real PostgreSQL writes WAL the model does not (full-page images after a checkpoint, heap
// pruning of catalog pages, running-xacts and checkpoint records), so lag in bytes matches
// when both are zero or both non-zero and they differ by at most
// max(absolute_bytes, relative * larger). Measured: drill 2.1's one-row insert is 184 bytes
// in the model and 25,400 on PostgreSQL 15, 24,093 of them three full-page images of
// pg_attribute pages pruned by catalog lookups (docs/verifier.md, "Byte tolerance").
struct ByteTolerance {
  int64_t absolute_bytes = 32 * 1024;
  double relative = 0.5;
  bool within(int64_t predicted, int64_t observed) const;
  std::string to_string() const;  // "both zero or both non-zero, within ±max(32768 B, 50%)"
};

struct Difference {
  enum class Kind {
    kOutcome,
    kPresence,
    kNodeError,
    kLag,
    kRowCount,
    kMissing,
    kStepResult,
    kServerState,
    kTimeline,
    kSync,
    kPositionLag
  };
  Kind kind = Kind::kOutcome;
  std::string label;      // Transaction label, lag check name or table; "" for a node error.
  std::string node;       // "" for outcomes and lag checks.
  std::string predicted;  // In words: "present", "acknowledged or in_doubt", "1 transaction", ...
  std::string observed;
  std::string explanation;           // One sentence.
  std::vector<std::string> context;  // The history lines around it (formatted events).
};
const char* to_string(Difference::Kind kind);

// How many comparisons of one kind were made and how they came out.
struct Tally {
  int determinate = 0;            // The prediction named one answer.
  int either = 0;                 // The prediction left it open ("either", or several outcomes).
  int agreed = 0;                 // Determinate ones that matched.
  int unobserved = 0;             // Predicted, but the history could not observe it (a node that was down).
  std::string to_string() const;  // "3 determinate (3 agree), 1 either, 0 unobserved"
};

// A determinate prediction the history could not observe, and why.
struct Unobserved {
  std::string what;   // The comparison: "presence", "row_count", "server_state", "timeline", "sync", ...
  std::string label;  // Transaction label, table, or where in the timeline ("after step 3").
  std::string node;
  std::string predicted;  // In words.
  std::string why;        // "node replica was crashed", "the history has no position of s1 after step 2".
};

struct Comparison {
  bool agree = true;
  std::vector<Difference> differences;
  Tally outcomes, presence, errors, lags, rows;
  Tally steps;  // Step results: refused (and the SQLSTATE) or accepted.
  ByteTolerance tolerance;
  Tally states, timelines, syncs, positions;  // Server states, timelines, pg_stat_replication rows, final lags.
  std::vector<Unobserved> unobserved;
  // Agree, and every determinate prediction was observed.
  bool complete() const { return agree && unobserved.empty(); }
};

Comparison compare_runs(const Prediction& prediction, const History& history, const ByteTolerance& tolerance = {});

// One history event as a line: "+0.412s  client  primary  ok charlie  xid 741  0/3000148".
std::string format_event(const HistoryEvent& event);

nlohmann::json to_json(const Comparison& comparison);
Result<Comparison> comparison_from_json(const nlohmann::json& doc);

}  // namespace replsim
