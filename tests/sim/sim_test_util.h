// Helpers for the simulator's tests: run a scenario written inline as YAML.
#pragma once

#include <string>

#include "sim/simulator.h"
#include "vocab/run_result.h"
#include "vocab/scenario.h"

namespace replsim::sim::testing {

// Parses `yaml` (failing the test on bad input) and simulates it with `seed`.
Prediction run_yaml(const std::string& yaml, uint64_t seed = 1, Perturbation p = Perturbation::kNone);

// The presence of `label` on `node` at the end ("" if not observable there).
std::string presence(const Prediction& p, const std::string& node, const std::string& label);
// The outcomes of `label`, joined with " or ".
std::string outcome(const Prediction& p, const std::string& label);
// Every note of the run and of its steps, one per line.
std::string all_notes(const Prediction& p);

// A cluster header: primary p, the given standbys, synchronous settings and `steps`.
std::string scenario(const std::string& standbys, const std::string& sync_commit, const std::string& names,
                     const std::string& steps);
// An insert step of a customer labelled `label` (optionally on `node`).
std::string insert(const std::string& label, const std::string& node = "");

}  // namespace replsim::sim::testing
