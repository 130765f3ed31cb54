// The simulator under a measured timing profile (docs/model.md, "Timing and either"): a step's
// virtual time follows the profile, races within its spread are "either", outcomes outside it
// stay determinate, and a load is paced at its rate.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "sim/simulator.h"
#include "verifier/expectations.h"
#include "vocab/default_timing.h"
#include "vocab/scenario_parser.h"

namespace replsim::sim {
namespace {

// Issue 15's burst: an async standby behind a 50 ms link, 20 inserts, crash, promote.
const char* kBurst = R"(name: burst
cluster:
  primary: primary
  standbys: [replica]
  link_latency: 50ms
steps:
  - catchup
  - insert: b
    table: customers
    values: {firstName: "B{n}", lastName: Burst}
    repeat: 20
  - crash: primary
  - promote: replica
)";

Scenario parsed(const std::string& yaml) {
  auto s = parse_scenario_text(yaml, "t.yaml");
  EXPECT_TRUE(s.ok()) << s.status().message();
  return *s;
}

Prediction simulate_with(const Scenario& s, const MeasuredTiming* timing) {
  SimOptions options;
  options.timing = timing;
  auto p = simulate(s, options);
  EXPECT_TRUE(p.ok()) << p.status().message();
  return *p;
}

// Every step kind the profile times takes exactly `us`: a profile with no spread.
MeasuredTiming fixed_profile(int64_t us) {
  MeasuredTiming m = default_timing_profile();
  for (auto& [name, s] : m.steps) s.min_us = s.p50_us = s.p90_us = s.p99_us = s.max_us = us;
  return m;
}

TEST(TimingProfileSimTest, BurstLossIsARangeUnderTheShippedProfile) {
  const Scenario s = parsed(kBurst);
  const Prediction p = simulate_with(s, &default_timing_profile());
  const CountRange lost = lost_range(p, "replica", "b");
  ASSERT_TRUE(lost.observable);
  EXPECT_EQ(lost.of, 20);
  EXPECT_LT(lost.min, lost.max);  // A race, not a certainty.
  EXPECT_GE(lost.min, 1);         // The last commit cannot cross a 50 ms link before the promotion.
  EXPECT_LT(lost.max, 20);        // The first ones cross before the crash even at the fastest steps.
  // Without a profile (1 ms steps) the old prediction: every insert lost, as a certainty.
  const CountRange fixed = lost_range(simulate_with(s, nullptr), "replica", "b");
  EXPECT_EQ(fixed.min, 20);
  EXPECT_EQ(fixed.max, 20);
}

TEST(TimingProfileSimTest, WithoutStepSpreadOnlyWalInFlightAtTheCrashIsARace) {
  // 30 ms per step in both profiles: each insert's WAL crosses the 50 ms link (plus at most 5 ms
  // of jitter) before the step after next, so b_1..b_19 are on the replica when the primary
  // crashes, a certainty. Only b_20's WAL is in flight then: lost in one extreme, received
  // before the promotion 30 ms later in the other. That is the one race left.
  const MeasuredTiming m = fixed_profile(30'000);
  const Prediction p = simulate_with(parsed(kBurst), &m);
  const CountRange lost = lost_range(p, "replica", "b");
  EXPECT_EQ(lost.min, 0);
  EXPECT_EQ(lost.max, 1);
  const NodeFinal* replica = p.find_node("replica");
  ASSERT_NE(replica, nullptr);
  for (int i = 1; i <= 19; ++i) EXPECT_EQ(replica->presence.at("b_" + std::to_string(i)), Presence::kPresent) << i;
  EXPECT_EQ(replica->presence.at("b_20"), Presence::kEither);
}

TEST(TimingProfileSimTest, StepTimeFollowsTheProfile) {
  const MeasuredTiming m = fixed_profile(7'000);
  const Prediction p = simulate_with(parsed(kBurst), &m);
  ASSERT_GE(p.transactions.size(), 2u);
  EXPECT_EQ(p.transactions[1].commit_time_us - p.transactions[0].commit_time_us, 7'000);
  // The shipped profile's slow run (printed) takes each insert's minimum.
  const Prediction d = simulate_with(parsed(kBurst), &default_timing_profile());
  EXPECT_EQ(d.transactions[1].commit_time_us - d.transactions[0].commit_time_us,
            default_timing_profile().steps.at("insert").min_us);
}

TEST(TimingProfileSimTest, LoadIsPacedAtItsRate) {
  const Scenario s = parsed(R"(name: load
cluster:
  primary: primary
steps:
  - insert: l
    table: customers
    values: {firstName: L, lastName: Load}
    load: {rate: 10/s, duration: 1s}
)");
  ASSERT_EQ(s.steps.size(), 10u);
  const Prediction p = simulate_with(s, &default_timing_profile());
  ASSERT_EQ(p.transactions.size(), 10u);
  for (size_t i = 1; i < p.transactions.size(); ++i)
    EXPECT_EQ(p.transactions[i].commit_time_us - p.transactions[i - 1].commit_time_us, 100'000) << i;
}

TEST(TimingProfileSimTest, SameScenarioSeedAndProfileSameBytes) {
  const Scenario s = parsed(kBurst);
  EXPECT_EQ(to_json(simulate_with(s, &default_timing_profile())).dump(),
            to_json(simulate_with(s, &default_timing_profile())).dump());
}

}  // namespace
}  // namespace replsim::sim
