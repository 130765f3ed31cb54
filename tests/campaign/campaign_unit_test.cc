// Unit tests of the campaign's parts: seeds, the realiser's legality rules, and each
// property on the seed's drill files (whose outcomes the seed course states).
#include <gtest/gtest.h>

#include "campaign/campaign.h"
#include "campaign/scenario_gen.h"
#include "campaign/scenario_writer.h"
#include "vocab/scenario_parser.h"

namespace replsim::campaign {
namespace {

Verdict judge(const std::string& property, const std::string& file) {
  auto scenario = parse_scenario_file(file);
  EXPECT_TRUE(scenario.ok()) << scenario.status().message();
  sim::SimOptions options;
  auto prediction = sim::simulate(*scenario, options);
  EXPECT_TRUE(prediction.ok()) << prediction.status().message();
  return find_property(property)->check(Evaluation{*scenario, *prediction, options});
}

TEST(CampaignSeedTest, RunSeedsDependOnPropertySeedAndRunOnly) {
  const Property& a = *find_property("standby-is-prefix");
  const Property& b = *find_property("no-phantom-rows");
  EXPECT_EQ(run_seed(a, 1, 5), run_seed(a, 1, 5));
  EXPECT_NE(run_seed(a, 1, 5), run_seed(a, 1, 6));
  EXPECT_NE(run_seed(a, 1, 5), run_seed(a, 2, 5));
  EXPECT_NE(run_seed(a, 1, 5), run_seed(b, 1, 5));
}

// Every kind draw, in a one-standby cluster where most faults are impossible at first,
// realises into a scenario the parser accepts: impossible intents are dropped, not written.
TEST(RealizeTest, EveryIntentSequenceRealisesIntoAValidScenario) {
  Plan plan;
  for (int draw = 0; draw < kWeightScale; draw += 7) plan.steps.push_back({draw, draw % 5, draw % 11});
  for (const Property& p : all_properties()) {
    const Scenario s = realize(plan, p.profile);
    auto parsed = parse_scenario_text(write_scenario(s), "realised.yaml");
    EXPECT_TRUE(parsed.ok()) << p.name << ": " << parsed.status().message();
  }
}

TEST(PropertyOnDrillTest, AsyncDrillRefutesAsyncFailoverLosesNothing) {
  const Verdict v = judge("async-failover-loses-nothing", "scenarios/drill-2.1-replication-lag.yaml");
  EXPECT_EQ(v.kind, Verdict::Kind::kViolated) << v.witness;
}

TEST(PropertyOnDrillTest, SyncDrillKeepsEveryGuarantee) {
  for (const char* p : {"sync-promotion-loses-nothing", "standby-is-prefix", "no-phantom-rows", "determinism"}) {
    const Verdict v = judge(p, "scenarios/drill-2.1-sync.yaml");
    EXPECT_EQ(v.kind, Verdict::Kind::kHolds) << p << ": " << v.witness;
  }
}

TEST(PropertyTest, UncheckablePropertiesSayWhy) {
  for (const Property& p : all_properties()) {
    EXPECT_EQ(p.check == nullptr, !p.unavailable.empty()) << p.name;
  }
}

}  // namespace
}  // namespace replsim::campaign
