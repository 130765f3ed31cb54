// simulate() runs the second timing profile only when the first run read a timing value
// (sim/timing_use.h). That shortcut changes what the simulator does, so it must never change
// what it predicts: over generated scenarios of every property's profile (1-3 standbys, up to
// 50 intents, any seed, with and without the deliberate model error), the prediction with the
// shortcut is byte-for-byte (as JSON) the prediction of every profile run and merged.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <rapidcheck.h>

#include "sim/campaign/campaign.h"
#include "sim/campaign/property.h"
#include "sim/campaign/scenario_gen.h"
#include "sim/simulator.h"
#include "vocab/run_result.h"

namespace replsim::campaign {
namespace {

// As `replsim check` does (campaign.h): the simulator's 1 MB segments stay in the heap.
const bool kLargeBlocksInHeap = (keep_large_blocks_in_heap(), true);

int shortcuts_taken = 0;

void skipping_unread_profiles_gives_the_full_prediction() {
  const auto& properties = all_properties();
  const Property& property = properties[*rc::gen::inRange<size_t>(0, properties.size())];
  const Scenario scenario = realize(*gen_plan(50), property.profile);
  sim::SimOptions full;
  full.seed = *rc::gen::arbitrary<uint64_t>();
  full.perturbation = *rc::gen::element(sim::Perturbation::kNone,
                                        sim::Perturbation::kAsyncCommitsReachStandbyInstantly);
  full.recording = *rc::gen::element(sim::Recording::kEverything, sim::Recording::kOutcomes);
  full.profile_runs = sim::ProfileRuns::kAll;
  sim::SimOptions shortcut = full;
  shortcut.profile_runs = sim::ProfileRuns::kWhenTimingWasRead;

  sim::SimStats stats;
  auto fast = sim::simulate(scenario, shortcut, &stats);
  auto every = sim::simulate(scenario, full);
  RC_ASSERT(fast.ok() && every.ok());
  const bool taken = stats.profiles_run == 1;
  RC_CLASSIFY(taken, "shortcut taken");
  if (taken) ++shortcuts_taken;
  RC_ASSERT(to_json(*fast).dump() == to_json(*every).dump());
}

// rc::check inside one test, so that the same process can tell that the property was not
// vacuous: the shortcut was taken in some of its cases (about one in six).
TEST(TimingShortcutTest, SkippingUnreadProfilesGivesTheFullPrediction) {
  shortcuts_taken = 0;
  EXPECT_TRUE(rc::check("skipping the profiles a run never read gives the full prediction",
                        skipping_unread_profiles_gives_the_full_prediction));
  EXPECT_GT(shortcuts_taken, 0);
}

}  // namespace
}  // namespace replsim::campaign
