// run_scenario: runs a Scenario on a real PostgreSQL 15 cluster built for it and records
// what happened as a History (vocab RunResult, source "postgresql"; JSON schema in
// docs/history.md). Every server, proxy and directory it made is gone when it returns,
// whichever way it returns (unless options.keep); SIGINT/SIGTERM end the run the same way
// with a Status::Code::kInterrupted error.
#pragma once

#include "harness/harness_options.h"
#include "vocab/run_result.h"
#include "vocab/scenario.h"
#include "vocab/status.h"

namespace replsim::harness {

// Errors are about the harness itself (binaries, user, ports, a server that will not start
// during setup, a signal); what the scenario's faults do to PostgreSQL is data in the History.
Result<History> run_scenario(const Scenario& scenario, const HarnessOptions& options);

// What run_scenario checks before it starts anything: node names that are plain identifiers
// (they go into primary_conninfo and slot names), a known data set, a valid segment size.
// The scenario parser enforces more; this guards Scenarios built in C++.
Status validate_for_harness(const Scenario& scenario);

}  // namespace replsim::harness
