#include "sim/timing.h"

namespace replsim::sim {
namespace {

// Every step kind's least and most time in `measured`; a kind it does not time (wait, cancel,
// stall_disk, os_crash) takes kStepGapUs after its action in every profile.
void step_bounds(const MeasuredTiming* measured, StepTimes& floor, StepTimes& ceiling) {
  floor.fill(kStepGapUs);
  ceiling.fill(kStepGapUs);
  if (measured == nullptr) return;
  for (int k = 0; k < kStepKindCount; ++k) {
    auto it = measured->steps.find(to_string(static_cast<StepKind>(k)));
    if (it == measured->steps.end()) continue;
    floor[static_cast<size_t>(k)] = it->second.min_us;
    ceiling[static_cast<size_t>(k)] = it->second.max_us;
  }
}

}  // namespace

std::vector<TimingProfile> timing_profiles(const MeasuredTiming* measured) {
  StepTimes floor{};
  StepTimes ceiling{};
  step_bounds(measured, floor, ceiling);
  // Without a profile the fixed model: WAL in flight at a crash is lost in both extremes.
  const bool survives = measured != nullptr;
  // Both in slot order; simulate() adds each with the ties reversed where a tie decided.
  return {{"slow", kWalWriterDelayUs, kWalRetrieveRetryIntervalUs, false, false, false, false, kStatusIntervalUs, floor,
           floor, ceiling},
          {"fast", 10, kStepGapUs / 4, survives, false, true, true, 0, ceiling, floor, ceiling}};
}

}  // namespace replsim::sim
