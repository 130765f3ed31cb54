// calibrate: measures this machine's step latencies on a real cluster and fills a
// MeasuredTiming (vocab/timing_profile.h). Each step is the harness's own handler
// (harness::Runner's on_<kind>, what `replsim run --real` does for that step), timed with the
// wall clock around it; WAL shipping and commit round trips are timed on libpq connections of
// their own. docs/timing.md says what each number measures.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "harness/harness_options.h"
#include "vocab/status.h"
#include "vocab/timing_profile.h"

namespace replsim::harness {

struct CalibrationOptions {
  int64_t samples = 20;    // Per measurement. REQUIRES: 1..1000.
  std::string command;     // Recorded in the profile as the command that measured it.
  HarnessOptions harness;  // Its progress callback, if set, gets the cluster's own lines.
  // One line per measurement as it starts ("insert"), nullptr = quiet.
  std::function<void(const std::string&)> progress;
};

// Builds a cluster (a primary and a streaming standby s1, archive_mode on, no added link
// latency, the "seed" data set), measures every calibrated step, WAL shipping and each
// synchronous_commit level `samples` times, and removes the cluster. Errors: the harness's
// (a server that will not start), a step that did not succeed (its note), or Interrupted on
// SIGINT/SIGTERM (every server stopped).
Result<MeasuredTiming> calibrate(const CalibrationOptions& options);

// "model name" from /proc/cpuinfo and the hardware thread count; PostgreSQL's version is
// the caller's to fill in.
MachineInfo this_machine();

}  // namespace replsim::harness
