// The simulator's entry point: a Scenario in, a Prediction (a RunResult with source
// "simulator") out. Deterministic: the same scenario, options and seed give the same
// Prediction, byte for byte once serialised.
#pragma once

#include <cstdint>

#include "vocab/run_result.h"
#include "vocab/scenario.h"
#include "vocab/status.h"

namespace replsim::sim {

// Deliberate model errors, so the verifier's own tests can check that it notices a wrong
// prediction ("can the verifier fail?"). Never used for real predictions.
enum class Perturbation {
  kNone,
  // Every commit that does not wait for a synchronous standby is flushed and copied straight
  // into every standby of its primary, through partitions, pauses and crashes of the link:
  // the model then predicts that async commits survive any failover, which is false.
  kAsyncCommitsReachStandbyInstantly,
};
const char* to_string(Perturbation p);

// How much of a run the prediction records. Transactions, lag measures and node finals are
// the same either way (byte for byte); kOutcomes leaves the timeline, the history events and
// the notes empty, so no per-step positions are taken and no sentence is formatted. For
// callers that read nothing else (most campaign properties); a prediction shown to a user,
// written, or compared whole (`determinism`) records everything.
enum class Recording { kEverything, kOutcomes };

struct SimOptions {
  uint64_t seed = 1;
  Perturbation perturbation = Perturbation::kNone;
  Recording recording = Recording::kEverything;
};

// Runs `scenario` (as parse_scenario_* returned it) under every timing profile and merges
// the runs: where they disagree the prediction says "either". Returns InvalidInput for a
// scenario the model cannot run (e.g. an unknown data set).
Result<Prediction> simulate(const Scenario& scenario, const SimOptions& options);

}  // namespace replsim::sim
