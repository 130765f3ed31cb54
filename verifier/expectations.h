// Checks a scenario's `expect:` list against a RunResult, whoever made it. A
// prediction may leave an expectation undetermined (it said "either" where the
// expectation needs one answer); that is reported, never counted as held.
#pragma once

#include <string>
#include <vector>

#include "vocab/run_result.h"
#include "vocab/scenario.h"

namespace replsim {

struct ExpectationResult {
  const Expectation* expectation = nullptr;  // Points into the Scenario, which must outlive this.
  enum class Verdict { kHeld, kFailed, kUndetermined } verdict = Verdict::kFailed;
  std::string explanation;  // Why, in one sentence: "charlie is present on replica, expected absent".
};

std::vector<ExpectationResult> check_expectations(const Scenario& scenario, const RunResult& result);
bool all_held(const std::vector<ExpectationResult>& results);

// The node an expectation without `on:` refers to: the primary at the end of the run.
std::string final_primary(const Scenario& scenario, const RunResult& result);

}  // namespace replsim
