// The readable report of a run, whoever made it (the simulator's prediction, or later a
// history observed on real PostgreSQL): each step with every node's LSN positions and lag,
// what each step caused, the transactions' outcomes, lag checks, the final state of each
// node, what was lost and why, and each expectation with its verdict.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <vector>

#include "verifier/expectations.h"
#include "vocab/run_result.h"
#include "vocab/scenario.h"

namespace replsim::cli {

struct ReportOptions {
  bool quiet = false;  // Only the expectations that did not hold and a one-line summary.
};

// The whole report as text. Deterministic: the same inputs give the same bytes.
std::string format_report(const Scenario& scenario, const RunResult& run,
                          const std::vector<ExpectationResult>& verdicts, const ReportOptions& options = {});

// to_json(run) with an "expectations" array: {text, kind, line, verdict, explanation}.
nlohmann::json report_json(const RunResult& run, const std::vector<ExpectationResult>& verdicts);

}  // namespace replsim::cli
