// History checks that need no model, in the manner of Jepsen's checkers: each reads one
// RunResult (a real History or a simulated Prediction) plus the Scenario that produced it
// and reports the anomalies it finds as data. Each check is named after the anomaly it
// catches; docs/verifier.md explains each with a worked example.
//
// The checks are conservative: they claim a promise only where PostgreSQL 15 certainly
// made it (from the settings and the steps), and judge only what was observed (present or
// absent; "either" and unobservable nodes are never evidence).
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <vector>

#include "vocab/run_result.h"
#include "vocab/scenario.h"

namespace replsim {

inline constexpr const char* kAcknowledgedCommitLost = "acknowledged-commit-lost";
inline constexpr const char* kPhantomWrite = "phantom-write";
inline constexpr const char* kStandbyNotPrefix = "standby-not-prefix";
inline constexpr const char* kPitrNotExactPrefix = "pitr-not-exact-prefix";
// Every check, in the order check_history runs them.
const std::vector<std::string>& history_check_names();

// One anomaly and its witness.
struct Finding {
  std::string check;                // One of the names above.
  std::string node;                 // Where it was observed.
  std::vector<std::string> labels;  // The transactions that witness it.
  std::vector<Lsn> lsns;            // Their commit LSNs, parallel to `labels` (0/0 if unknown).
  std::string explanation;          // One or two sentences: what was promised, what was seen.
};

// Acknowledged commits missing where the mode promised durability: on the node that
// committed them (synchronous_commit >= local, or no crash since), on a synchronous standby
// that was promoted (synchronous_commit >= remote_write), on a remote_apply standby.
std::vector<Finding> check_acknowledged_commit_lost(const Scenario& scenario, const RunResult& run);
// A label present on some node that no transaction wrote, or that only a failed one wrote.
std::vector<Finding> check_phantom_write(const Scenario& scenario, const RunResult& run);
// A node holding a later commit of some writer but missing an earlier one (a gap).
std::vector<Finding> check_standby_not_prefix(const Scenario& scenario, const RunResult& run);
// A node restored to a recovery target that does not hold exactly the commits before it.
std::vector<Finding> check_pitr_not_exact_prefix(const Scenario& scenario, const RunResult& run);

// All four, in order.
std::vector<Finding> check_history(const Scenario& scenario, const RunResult& run);

std::string to_string(const Finding& finding);  // "standby-not-prefix on replica: ..."
nlohmann::json to_json(const Finding& finding);
Result<Finding> finding_from_json(const nlohmann::json& doc);

}  // namespace replsim
