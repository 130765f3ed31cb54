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

// How many of a run's transactions (of `group` only, if set: in_group) are acknowledged yet
// absent on `node` (lost), or present on it: at least `min`, at most `max`, of `of` written.
// A prediction's "either" (outcome or presence) makes min < max; a real run's min == max.
// `observable` is false when `node` does not exist or cannot be read at the end of the run.
struct CountRange {
  int64_t min = 0;
  int64_t max = 0;
  int64_t of = 0;
  bool observable = false;
};
CountRange lost_range(const RunResult& result, const std::string& node, const std::string& group);
CountRange present_range(const RunResult& result, const std::string& node, const std::string& group);

// "acknowledged and lost on NODE: between N and M of K" (or "N of K" when determinate), for
// the final primary; empty when it cannot be observed or nothing was written.
std::string loss_summary(const Scenario& scenario, const RunResult& result);

}  // namespace replsim
