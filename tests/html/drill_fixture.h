// Drill 2.1 ("the peril of replication lag") as a hand-written RunResult, shaped like what
// the simulator and the harness produce: charlie is acknowledged on the primary while the
// replica is partitioned, the primary crashes, and the promoted replica lacks charlie.
#pragma once

#include <string>

#include "vocab/run_result.h"
#include "vocab/scenario.h"

namespace replsim::testing {

// scenarios/drill-2.1-replication-lag.yaml, parsed; aborts the test run if it does not parse.
Scenario drill_2_1_scenario();
// The scenario's file, found through REPLSIM_SOURCE_DIR (set by ctest) or the build's source dir.
std::string source_path(const std::string& relative);

// `source` names who made it; `lsn_base` and `time_scale` let an "observed" variant differ
// from the "predicted" one the way a real run does (other LSNs, wall-clock times).
RunResult drill_2_1_result(const std::string& source, uint64_t lsn_base = 0x3000148, int64_t time_scale_us = 250);

}  // namespace replsim::testing
