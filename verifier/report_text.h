// The human-readable verification report: both timelines side by side (predicted |
// observed), aligned by scenario step, then the verdict with its differences, the history
// checks and the scenario's expectations on both sides. `replsim verify` prints it and
// `replsim runs show` prints it again from the run store.
#pragma once

#include <string>

#include "verifier/verification.h"
#include "vocab/run_result.h"

namespace replsim {

struct ReportLayout {
  int column_width = 60;  // Characters per side of the timeline.
  bool timelines = true;  // Print the side-by-side timelines (the verdict is always printed).
};

// Either run may be null (a side that could not run); its column is then empty.
std::string render_timelines(const Prediction* prediction, const History* history, const ReportLayout& options = {});
std::string render_verdict(const Verification& verification);
std::string render_report(const Verification& verification, const Prediction* prediction, const History* history,
                          const ReportLayout& options = {});

}  // namespace replsim
