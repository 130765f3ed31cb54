// Differential campaigns: generated scenarios run on the simulator and on a real PostgreSQL
// cluster, and the verifier must find the two agree; a disagreement is shrunk like a
// property's counterexample. Only the generator and the shrinker live here (sim/ never links
// the harness or the verifier): the caller runs both sides and judges (`replsim check
// --real`, tests/campaign/differential_pg_test.cc).
#pragma once

#include <cstdint>
#include <string>

#include "sim/campaign/campaign.h"
#include "vocab/status.h"

namespace replsim::campaign {

struct DifferentialOptions {
  uint64_t seed = 1;
  // Intents per plan. A real run costs a fresh cluster (about a second) plus its steps, so
  // differential scenarios stay short.
  int max_steps = 8;
  int shrink_budget = 30;  // Candidates (each a real-cluster run) the shrinker may judge.
};

// The general profile with disk stalls and OS crashes: every shape and fault the generator
// knows, all of which the harness runs.
const Profile& differential_profile();

// Run `run`'s seed, for the generator and for the simulator alike.
uint64_t differential_seed(const DifferentialOptions& options, int64_t run);

// Run `run`'s scenario, named "differential-S-R", as its file would read (written and parsed
// back, so its steps carry their texts).
Result<Scenario> differential_scenario(const DifferentialOptions& options, int64_t run);

// Shrinks run `run`, for which `disagrees` holds. `disagrees` sees only valid scenario files
// (round-tripped through the writer and the parser); the result is named
// "disagreement-S-R".
ShrinkResult shrink_disagreement(const DifferentialOptions& options, int64_t run, const ScenarioPredicate& disagrees);

}  // namespace replsim::campaign
