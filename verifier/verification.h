// Verification: the whole judgement of one scenario run on both sides — the comparison of
// prediction and history, the history checks on each, and the scenario's own expectations
// on each. A plain value (no pointers into the Scenario) so the run store can keep it and
// `replsim runs show` can print it again without the scenario file.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "verifier/comparison.h"
#include "verifier/history_checks.h"
#include "vocab/run_result.h"
#include "vocab/scenario.h"

namespace replsim {

struct ExpectationOutcome {
  std::string text;         // The expectation as written.
  std::string verdict;      // "held", "failed", "undetermined".
  std::string explanation;
};

struct Verification {
  std::string scenario;  // Name.
  std::string file;
  uint64_t seed = 0;
  // "agree" / "disagree" from the comparison; "error" when a side could not run.
  std::string verdict = "error";
  std::string error;     // Why a side could not run ("harness: ...").
  Comparison comparison;
  std::vector<Finding> history_findings;     // Checks on the observed history.
  std::vector<Finding> prediction_findings;  // The same checks on the prediction: a model bug if any.
  std::vector<ExpectationOutcome> predicted_expectations, observed_expectations;

  // Agree, no finding on either side, and no expectation failed (undetermined is not failed).
  bool passed() const;
};

Verification verify_runs(const Scenario& scenario, const Prediction& prediction, const History& history,
                         const ByteTolerance& tolerance = {});
// A run where one side failed: verdict "error" and the reason.
Verification verification_error(const Scenario& scenario, uint64_t seed, std::string error);

nlohmann::json to_json(const Verification& verification);
Result<Verification> verification_from_json(const nlohmann::json& doc);

}  // namespace replsim
