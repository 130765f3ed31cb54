// Unit tests of the campaign's parts: seeds, the realiser's legality rules, and each
// property on the seed's drill files (whose outcomes the seed course states).
#include <gtest/gtest.h>
#include <malloc.h>

#include <algorithm>

#include "campaign/campaign.h"
#include "campaign/differential.h"
#include "campaign/scenario_gen.h"
#include "campaign/scenario_writer.h"
#include "vocab/scenario_parser.h"

namespace replsim::campaign {
namespace {

// As `replsim check` does (cli/cmd_check.cc, docs/performance.md): keeps the simulator's 1 MB
// WAL segments in the heap instead of an mmap/munmap (and page faults) per node per run.
const bool kLargeBlocksInHeap = [] {
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  return true;
}();

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

// Property::may_apply lets a campaign skip the simulator; that is only sound if every
// skipped scenario would have been judged "holds, not applicable" anyway, and if no
// applicable verdict ever came from a scenario it rules out. Checked on the property's own
// profile and on the general one (where the precondition is often missing).
TEST(PreconditionTest, ScenariosRuledOutByMayApplyAreNeverApplicable) {
  for (const Property& p : all_properties()) {
    if (p.may_apply == nullptr) continue;
    int skipped = 0, applicable = 0;
    for (const Profile* profile : {&p.profile, &general_profile()}) {
      for (int64_t run = 0; run < 300; ++run) {
        const Scenario s = realize(draw_plan(run_seed(p, 3, run), 20), *profile, "generated", StepText::kOmit);
        sim::SimOptions options;
        options.seed = run_seed(p, 3, run);
        auto prediction = sim::simulate(s, options);
        ASSERT_TRUE(prediction.ok()) << prediction.status().message();
        const Verdict v = p.check(Evaluation{s, *prediction, options});
        applicable += v.applicable ? 1 : 0;
        if (p.may_apply(s)) continue;
        ++skipped;
        EXPECT_EQ(v.kind, Verdict::Kind::kHolds) << p.name << " run " << run << ": " << v.witness;
        EXPECT_FALSE(v.applicable) << p.name << " run " << run;
      }
    }
    EXPECT_GT(skipped, 0) << p.name;
    EXPECT_GT(applicable, 0) << p.name;
  }
}

// Campaign runs realise plans without step texts; apart from the texts, the scenario and the
// verdict are those of the described one.
TEST(RealizeTest, OmittingStepTextsChangesNothingElse) {
  const Property& p = *find_property("standby-is-prefix");
  for (int64_t run = 0; run < 50; ++run) {
    const Plan plan = draw_plan(run_seed(p, 1, run), 30);
    const Scenario described = realize(plan, p.profile);
    const Scenario bare = realize(plan, p.profile, "generated", StepText::kOmit);
    std::string difference;
    EXPECT_TRUE(same_scenario(described, bare, &difference)) << difference;
    for (const Step& step : bare.steps) EXPECT_TRUE(step.text.empty());
    sim::SimOptions options;
    auto a = sim::simulate(described, options);
    auto b = sim::simulate(bare, options);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(p.check(Evaluation{described, *a, options}).kind, p.check(Evaluation{bare, *b, options}).kind);
    ASSERT_EQ(a->transactions.size(), b->transactions.size());
    for (size_t i = 0; i < a->transactions.size(); ++i)
      EXPECT_EQ(a->transactions[i].outcomes, b->transactions[i].outcomes);
  }
}

// The shrinker takes any judge (the differential campaign's is a real cluster): with "has a
// crash step" as the failure, a generated scenario shrinks to the single step that crashes.
TEST(ShrinkScenarioTest, ShrinksToTheOneStepAnyPredicateNeeds) {
  const auto crashes = [](const Scenario& s) {
    return std::any_of(s.steps.begin(), s.steps.end(), [](const Step& step) { return step.kind == StepKind::kCrash; });
  };
  DifferentialOptions options;
  options.shrink_budget = 200;
  int64_t run = 0;
  while (run < 200 && !crashes(*differential_scenario(options, run))) ++run;
  ASSERT_LT(run, 200) << "no generated scenario crashes a node";
  int judged = 0;
  const ShrinkResult shrunk = shrink_disagreement(options, run, [&](const Scenario& s) {
    ++judged;
    for (const Step& step : s.steps) EXPECT_FALSE(step.text.empty()) << "the judge sees parsed files";
    return crashes(s);
  });
  ASSERT_EQ(shrunk.scenario.steps.size(), 1u) << write_scenario(shrunk.scenario);
  EXPECT_EQ(shrunk.scenario.steps[0].kind, StepKind::kCrash);
  EXPECT_EQ(shrunk.runs, judged);
  EXPECT_LE(judged, options.shrink_budget + 1);
}

TEST(PropertyTest, UncheckablePropertiesSayWhy) {
  for (const Property& p : all_properties()) {
    EXPECT_EQ(p.check == nullptr, !p.unavailable.empty()) << p.name;
  }
}

}  // namespace
}  // namespace replsim::campaign
