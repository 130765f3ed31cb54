// Verification: the whole judgement of one scenario run on both sides — the comparison of
// prediction and history, the history checks on each, and the scenario's own expectations
// on each. A plain value (no pointers into the Scenario) so the run store can keep it and
// `replsim runs show` can print it again without the scenario file.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "verifier/comparison.h"
#include "verifier/expectations.h"
#include "verifier/history_checks.h"
#include "vocab/run_result.h"
#include "vocab/scenario.h"

namespace replsim {

// An expectation's verdict as JSON and the reports write it: "held", "failed", "undetermined".
const char* to_string(ExpectationResult::Verdict verdict);
std::optional<ExpectationResult::Verdict> parse_expectation_verdict(std::string_view text);

struct ExpectationOutcome {
  std::string text;  // The expectation as written.
  ExpectationResult::Verdict verdict = ExpectationResult::Verdict::kFailed;
  std::string explanation;
};

struct Verification {
  // kAgree / kDisagree from the comparison; kError when a side could not run; kIncomplete when
  // nothing differs but some determinate prediction could not be observed (never agreement).
  enum class Verdict { kAgree, kDisagree, kError, kIncomplete };

  std::string scenario;  // Name.
  std::string file;
  uint64_t seed = 0;
  Verdict verdict = Verdict::kError;
  std::string error;  // Why a side could not run ("harness: ...").
  Comparison comparison;
  std::vector<Finding> history_findings;     // Checks on the observed history.
  std::vector<Finding> prediction_findings;  // The same checks on the prediction: a model bug if any.
  std::vector<ExpectationOutcome> predicted_expectations, observed_expectations;

  // Agree, no finding on either side, and no expectation failed (undetermined is not failed).
  bool passed() const;
};

// "agree", "disagree", "error", "incomplete": the verdict as JSON, the run store and the reports write it.
const char* to_string(Verification::Verdict verdict);
std::optional<Verification::Verdict> parse_verification_verdict(std::string_view text);

Verification verify_runs(const Scenario& scenario, const Prediction& prediction, const History& history,
                         const ByteTolerance& tolerance = {});
// A run where one side failed: verdict kError and the reason.
Verification verification_error(const Scenario& scenario, uint64_t seed, std::string error);

nlohmann::json to_json(const Verification& verification);
// Reads what to_json wrote; an unknown verdict, like any malformed document, is an error value.
Result<Verification> verification_from_json(const nlohmann::json& doc);

}  // namespace replsim
