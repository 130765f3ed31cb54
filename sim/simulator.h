// The simulator's entry point: a Scenario in, a Prediction (a RunResult with source
// "simulator") out. Deterministic: the same scenario, options and seed give the same
// Prediction, byte for byte once serialised.
#pragma once

#include <cstdint>

#include "vocab/default_timing.h"
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

// Which timing profiles simulate() runs after the first. A run that never read a timing
// value (sim/timing_use.h) would run identically under every profile, so by default the
// others run only when the first read one; kAll runs them regardless (tests compare the two).
enum class ProfileRuns { kWhenTimingWasRead, kAll };

struct SimOptions {
  uint64_t seed = 1;
  Perturbation perturbation = Perturbation::kNone;
  Recording recording = Recording::kEverything;
  ProfileRuns profile_runs = ProfileRuns::kWhenTimingWasRead;
  // Start from the process's saved load of the seed rows (initial_data.h) rather than loading
  // them in every run; the prediction is the same (tests compare with false).
  bool saved_initial_data = true;
  // The measured timing whose spread the two timing profiles take as their extremes
  // (sim/timing.h, docs/model.md "Timing and either"): by default the shipped
  // timing/default.json. nullptr: the fixed model, every step 1 ms in both profiles.
  // Must outlive simulate().
  const MeasuredTiming* timing = &default_timing_profile();
};

// What one simulate() call did (for tests and benchmarks).
struct SimStats {
  int profiles_run = 0;
};

// Runs `scenario` (as parse_scenario_* returned it) under every timing profile and merges
// the runs: where they disagree the prediction says "either". Returns InvalidInput for a
// scenario the model cannot run (e.g. an unknown data set).
// The prediction is the same whatever options.profile_runs and options.recording say, except
// that kOutcomes leaves out what it says. `stats`, if set, receives what the call did.
Result<Prediction> simulate(const Scenario& scenario, const SimOptions& options, SimStats* stats = nullptr);

}  // namespace replsim::sim
