// Unit tests of the campaign's parts: seeds, the realiser's legality rules, and each
// property on the seed's drill files (whose outcomes the seed course states).
#include <gtest/gtest.h>

#include <algorithm>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "sim/campaign/campaign.h"
#include "sim/campaign/differential.h"
#include "sim/campaign/scenario_gen.h"
#include "sim/campaign/scenario_writer.h"
#include "vocab/scenario_parser.h"

namespace replsim::campaign {
namespace {

// A recovery target's kind as the coverage test counts it; every kind is named, so a new one
// does not compile until the test learns it.
std::string describe_target_kind(const RecoveryTarget& t) {
  switch (t.kind) {
    case RecoveryTarget::Kind::kXid: return "xid";
    case RecoveryTarget::Kind::kTime: return "time";
    case RecoveryTarget::Kind::kName: return "name";
    case RecoveryTarget::Kind::kLsn: return "lsn";
    case RecoveryTarget::Kind::kImmediate: return "immediate";
    case RecoveryTarget::Kind::kNone: return "none";
  }
  return "none";
}

// As `replsim check` does (campaign.h): the simulator's 1 MB segments stay in the heap.
const bool kLargeBlocksInHeap = (keep_large_blocks_in_heap(), true);

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

// --- pitr-exact-prefix on hand-written schedules (as tests/sim/recovery_property_test.cc states
// the rule): t0..t3 committed, a segment switch after t1 only, then a clean stop or a crash.

struct Judged {
  Scenario scenario;
  Prediction prediction;
  Verdict verdict;
};

Judged judge_pitr_text(const std::string& yaml) {
  Judged j;
  auto scenario = parse_scenario_text(yaml, "pitr.yaml");
  EXPECT_TRUE(scenario.ok()) << scenario.status().message();
  if (!scenario.ok()) return j;
  j.scenario = *scenario;
  sim::SimOptions options;
  auto prediction = sim::simulate(j.scenario, options);
  EXPECT_TRUE(prediction.ok()) << prediction.status().message();
  if (!prediction.ok()) return j;
  j.prediction = *prediction;
  j.verdict = find_property("pitr-exact-prefix")->check(Evaluation{j.scenario, j.prediction, options});
  return j;
}

std::string pitr_yaml(const std::string& target, bool inclusive, bool clean_stop) {
  std::string steps = "  - base_backup: b\n";
  for (int i = 0; i < 4; ++i) {
    if (i == 1) steps += "  - mark: before_t1\n";
    steps += "  - insert: t" + std::to_string(i) +
             "\n    table: customers\n    values: {firstname: A, lastname: B, email: e" + std::to_string(i) + "}\n";
    if (i == 1) steps += "  - restore_point: after_t1\n  - mark: after_t1\n  - switch_wal\n";
    if (i == 2) steps += "  - restore_point: after_t2\n  - mark: after_t2\n";
  }
  steps += clean_stop ? "  - stop: p\n" : "  - crash: p\n";
  steps += "  - restore: x\n    from: b\n    target: " + target + "\n    inclusive: " + (inclusive ? "true" : "false") +
           "\n";
  return "name: pitr\ncluster:\n  primary: p\n  standbys: [r]\n  synchronous_standby_names: \"\"\n"
         "  archive_mode: true\nsteps:\n" +
         steps;
}

TEST(PitrPropertyTest, HoldsForEveryTargetKindWhetherReachedOrNot) {
  struct Case {
    std::string target;
    bool crash_decides;  // The deciding record lies in the segment a crash leaves unarchived.
  };
  const std::vector<Case> cases = {
      {"{xid: t1}", false},       {"{xid: t2}", true},        {"{time: before_t1}", false}, {"{name: after_t1}", false},
      {"{name: after_t2}", true}, {"{lsn: after_t1}", false}, {"{lsn: after_t2}", true},    {"immediate", false},
  };
  for (const Case& c : cases) {
    for (bool inclusive : {true, false}) {
      for (bool clean_stop : {true, false}) {
        SCOPED_TRACE(c.target + (inclusive ? " inclusive" : " exclusive") + (clean_stop ? ", stop" : ", crash"));
        const Judged j = judge_pitr_text(pitr_yaml(c.target, inclusive, clean_stop));
        EXPECT_EQ(j.verdict.kind, Verdict::Kind::kHolds) << j.verdict.witness;
        EXPECT_TRUE(j.verdict.applicable);
        const NodeFinal* x = j.prediction.find_node("x");
        ASSERT_NE(x, nullptr);
        // The rule itself, as the property reads it: not archived -> not reached.
        EXPECT_EQ(x->error, std::string(c.crash_decides && !clean_stop ? "recovery_target_not_reached" : ""));
      }
    }
  }
}

// The judge is not vacuous: a prediction that keeps one commit too many, loses one, or reaches
// a target whose record was never archived (or misses one that was) is a violation.
TEST(PitrPropertyTest, WrongRestoreOutcomesAreViolations) {
  const Property& p = *find_property("pitr-exact-prefix");
  sim::SimOptions options;
  auto verdict_of = [&](const Judged& j, const Prediction& changed) {
    return p.check(Evaluation{j.scenario, changed, options});
  };

  const Judged xid = judge_pitr_text(pitr_yaml("{xid: t1}", false, true));
  ASSERT_EQ(xid.verdict.kind, Verdict::Kind::kHolds) << xid.verdict.witness;
  Prediction extra = xid.prediction;
  for (NodeFinal& n : extra.nodes)
    if (n.name == "x") n.presence["t1"] = Presence::kPresent;  // Exclusive: t1 itself must be absent.
  Verdict v = verdict_of(xid, extra);
  EXPECT_EQ(v.kind, Verdict::Kind::kViolated);
  ASSERT_EQ(v.expectations.size(), 1u);
  EXPECT_EQ(v.expectations[0].kind, ExpectKind::kAbsent);
  EXPECT_EQ(v.expectations[0].label, "t1");
  EXPECT_EQ(v.expectations[0].node, "x");

  Prediction lost = xid.prediction;
  for (NodeFinal& n : lost.nodes)
    if (n.name == "x") n.presence["t0"] = Presence::kAbsent;
  v = verdict_of(xid, lost);
  EXPECT_EQ(v.kind, Verdict::Kind::kViolated);
  EXPECT_NE(v.witness.find("t0"), std::string::npos) << v.witness;

  Prediction unsure = xid.prediction;
  for (NodeFinal& n : unsure.nodes)
    if (n.name == "x") n.presence["t0"] = Presence::kEither;
  EXPECT_EQ(verdict_of(xid, unsure).kind, Verdict::Kind::kPossiblyViolated);

  Prediction failed = xid.prediction;
  for (NodeFinal& n : failed.nodes)
    if (n.name == "x") n.error = "recovery_target_not_reached";
  EXPECT_EQ(verdict_of(xid, failed).kind, Verdict::Kind::kViolated);

  const Judged unarchived = judge_pitr_text(pitr_yaml("{name: after_t2}", true, false));
  ASSERT_EQ(unarchived.verdict.kind, Verdict::Kind::kHolds) << unarchived.verdict.witness;
  Prediction reached = unarchived.prediction;
  for (NodeFinal& n : reached.nodes)
    if (n.name == "x") n.error.clear();
  v = verdict_of(unarchived, reached);
  EXPECT_EQ(v.kind, Verdict::Kind::kViolated);
  ASSERT_EQ(v.expectations.size(), 1u);
  EXPECT_EQ(v.expectations[0].kind, ExpectKind::kError);
  EXPECT_EQ(v.expectations[0].error, "recovery_target_not_reached");
}

// The pitr profile draws what the property needs: archive_mode, base backups, and restores to
// every target kind (inclusive and not, paused and promoted), all valid scenario files.
TEST(PitrPropertyTest, ProfileDrawsRestoresToEveryTargetKind) {
  const Property& p = *find_property("pitr-exact-prefix");
  std::set<std::string> seen;
  int judged = 0;
  for (int64_t run = 0; run < 300; ++run) {
    const Scenario s = realize(draw_plan(run_seed(p, 1, run), 30), p.profile);
    EXPECT_TRUE(s.cluster.archive_mode);
    auto parsed = round_trip(s);
    ASSERT_TRUE(parsed.ok()) << parsed.status().message() << "\n" << write_scenario(s);
    for (const Step& step : s.steps) {
      if (step.kind != StepKind::kRestore) continue;
      seen.insert(describe_target_kind(step.target) + (step.target.inclusive ? "+incl" : "+excl"));
      seen.insert(step.target.action == RecoveryTarget::Action::kPromote ? "promote" : "pause");
    }
    judged += p.may_apply != nullptr && p.may_apply(s) ? 1 : 0;
  }
  for (const char* kind : {"xid+incl", "xid+excl", "time+incl", "time+excl", "name+incl", "name+excl", "lsn+incl",
                           "lsn+excl", "immediate+incl", "pause", "promote"})
    EXPECT_TRUE(seen.count(kind)) << kind;
  EXPECT_GT(judged, 90);  // About two runs in five restore from a backup to a target.
  // Campaigns of the other properties never draw a recovery step.
  for (int64_t run = 0; run < 100; ++run) {
    const Scenario s = realize(draw_plan(run, 30), general_profile());
    for (const Step& step : s.steps) {
      EXPECT_NE(step.kind, StepKind::kRestore);
      EXPECT_NE(step.kind, StepKind::kBaseBackup);
    }
  }
}

TEST(PropertyTest, UncheckablePropertiesSayWhy) {
  for (const Property& p : all_properties()) {
    EXPECT_EQ(p.check == nullptr, !p.unavailable.empty()) << p.name;
  }
}

}  // namespace
}  // namespace replsim::campaign

namespace replsim::campaign {
namespace {

// The differential profile's scenarios also run on real PostgreSQL, whose harness cannot stage a
// write on a paused primary (docs/harness.md): over many runs, no write goes to a paused primary,
// and the same plans under the general profile do draw such writes (so the check can fail).
int writes_on_paused_primary(const Scenario& s) {
  std::string primary = s.cluster.nodes.at(0).name;
  std::set<std::string> paused;
  int count = 0;
  for (const Step& step : s.steps) {
    if (step.kind == StepKind::kPause) paused.insert(step.node);
    if (step.kind == StepKind::kResume || step.kind == StepKind::kCrash || step.kind == StepKind::kStop ||
        step.kind == StepKind::kOsCrash) {
      paused.erase(step.node);
    }
    if (step.kind == StepKind::kPromote) primary = step.node;
    const bool writes = step.kind == StepKind::kInsert || step.kind == StepKind::kUpdate ||
                        step.kind == StepKind::kDelete || step.kind == StepKind::kTruncate;
    if (writes && step.node.empty() && paused.count(primary) > 0) ++count;
  }
  return count;
}

TEST(DifferentialProfileTest, DrawsNoWriteOnAPausedPrimaryWhereTheGeneralProfileDoes) {
  DifferentialOptions options;
  options.seed = 1;
  int differential = 0, general = 0;
  for (int64_t run = 0; run < 300; ++run) {
    auto scenario = differential_scenario(options, run);
    ASSERT_TRUE(scenario.ok()) << scenario.status().message();
    differential += writes_on_paused_primary(*scenario);
    const Plan plan = draw_plan(differential_seed(options, run), options.max_steps);
    general += writes_on_paused_primary(realize(plan, general_disk_profile(), "general"));
  }
  EXPECT_EQ(differential, 0);
  EXPECT_GT(general, 0);
}

}  // namespace
}  // namespace replsim::campaign

namespace replsim::campaign {
namespace {

// Replay control reaches the campaigns (issue 17): the differential profile (and so the general
// disk profile the guarantees use) draws pause_replay on standbys, now and then on a primary
// (refused with 55000), and resume_replay; the sync-on-visible-on-standby profile draws them too.
TEST(DifferentialProfileTest, DrawsReplayControl) {
  DifferentialOptions options;
  options.seed = 17;
  std::map<std::string, int> counts;
  int scenarios_with_pause = 0;
  for (int64_t run = 0; run < 300; ++run) {
    auto scenario = differential_scenario(options, run);
    ASSERT_TRUE(scenario.ok()) << scenario.status().message();
    bool paused = false;
    for (const Step& step : scenario->steps) {
      if (step.kind == StepKind::kPauseReplay) {
        paused = true;
        ++counts[step.node == scenario->cluster.nodes[0].name ? "pause_primary" : "pause_standby"];
      }
      if (step.kind == StepKind::kResumeReplay) ++counts["resume"];
    }
    scenarios_with_pause += paused ? 1 : 0;
  }
  EXPECT_GT(counts["pause_standby"], 10);
  EXPECT_GT(counts["pause_primary"], 0);
  EXPECT_GT(counts["resume"], 5);
  EXPECT_GT(scenarios_with_pause, 15);
  std::cout << "seed 17, 300 runs: " << scenarios_with_pause << " scenarios pause replay; pause_replay of a standby "
            << counts["pause_standby"] << ", of a primary " << counts["pause_primary"] << ", resume_replay "
            << counts["resume"] << "\n";
  const Property* p = find_property("sync-on-visible-on-standby");
  ASSERT_NE(p, nullptr);
  int drawn = 0;
  for (uint64_t seed = 0; seed < 100; ++seed)
    for (const Step& step : realize(draw_plan(seed, 10), p->profile).steps)
      drawn += step.kind == StepKind::kPauseReplay;
  EXPECT_GT(drawn, 20);
}

// Issue 17's session and settings steps reach real PostgreSQL through the differential campaign
// too; a far standby does not (differential.cc says why), while the general profile draws one.
TEST(DifferentialProfileTest, DrawsTerminateAndReloadButNoFarStandby) {
  DifferentialOptions options;
  options.seed = 17;
  int terminates = 0, reloads = 0, emptied = 0;
  for (int64_t run = 0; run < 300; ++run) {
    auto scenario = differential_scenario(options, run);
    ASSERT_TRUE(scenario.ok()) << scenario.status().message();
    for (const NodeSpec& n : scenario->cluster.nodes) EXPECT_FALSE(n.link_latency_us.has_value()) << run;
    for (const Step& step : scenario->steps) {
      terminates += step.kind == StepKind::kTerminate;
      reloads += step.kind == StepKind::kReload;
      emptied += step.kind == StepKind::kReload && step.synchronous_standby_names->empty();
    }
  }
  EXPECT_GT(terminates, 5);
  EXPECT_GT(reloads, 10);
  EXPECT_GT(emptied, 2);
  std::cout << "seed 17, 300 runs: terminate " << terminates << ", reload " << reloads << " (" << emptied
            << " emptying synchronous_standby_names)\n";
  int far = 0;
  for (uint64_t seed = 0; seed < 100; ++seed)
    for (const NodeSpec& n : realize(draw_plan(seed, 10), general_disk_profile()).cluster.nodes)
      far += n.link_latency_us.has_value();
  EXPECT_GT(far, 50);
}

// Delayed standbys (issue 17's replay control): the general profile draws short and long
// delays, the differential one only delays no run outlives; no catchup waits for a long one
// (the generated scenarios parse again: round_trip), and a catchup names another standby.
TEST(DifferentialProfileTest, DrawsDelayedStandbys) {
  DifferentialOptions options;
  options.seed = 17;
  int delayed = 0, named_catchups = 0;
  for (int64_t run = 0; run < 300; ++run) {
    auto scenario = differential_scenario(options, run);
    ASSERT_TRUE(scenario.ok()) << scenario.status().message();
    bool has_delay = false;
    for (const NodeSpec& n : scenario->cluster.nodes) {
      if (n.apply_delay_us == 0) continue;
      EXPECT_EQ(n.apply_delay_us, 600'000'000) << run;
      has_delay = true;
    }
    delayed += has_delay;
    for (const Step& step : scenario->steps) named_catchups += has_delay && step.kind == StepKind::kCatchup;
  }
  EXPECT_GT(delayed, 150);
  EXPECT_GT(named_catchups, 10);
  std::cout << "seed 17, 300 runs: " << delayed << " with a delayed standby, " << named_catchups
            << " catchups beside one\n";
  std::set<int64_t> delays;
  for (uint64_t seed = 0; seed < 100; ++seed) {
    const Scenario s = realize(draw_plan(seed, 10), general_disk_profile());
    for (const NodeSpec& n : s.cluster.nodes)
      if (n.apply_delay_us != 0) delays.insert(n.apply_delay_us);
    EXPECT_TRUE(round_trip(s).ok()) << seed;
  }
  EXPECT_EQ(delays, (std::set<int64_t>{100'000, 400'000, 600'000'000}));
}

}  // namespace
}  // namespace replsim::campaign

namespace replsim::campaign {
namespace {

// Issue 17's named sessions reach real PostgreSQL through the differential campaign: begins,
// inserts in a session, commits and rollbacks, each scenario read back by the parser's checks
// (every session ends; nothing of a session while its node is paused).
TEST(DifferentialProfileTest, DrawsSessionsThatInterleave) {
  DifferentialOptions options;
  options.seed = 17;
  int begins = 0, statements = 0, commits = 0, rollbacks = 0, interleaved = 0;
  for (int64_t run = 0; run < 300; ++run) {
    auto scenario = differential_scenario(options, run);
    ASSERT_TRUE(scenario.ok()) << scenario.status().message();
    int open = 0;
    for (const Step& step : scenario->steps) {
      begins += step.kind == StepKind::kBegin;
      statements += step.kind == StepKind::kInsert && !step.session.empty();
      commits += step.kind == StepKind::kCommit;
      rollbacks += step.kind == StepKind::kRollback;
      open += step.kind == StepKind::kBegin ? 1 : 0;
      open -= step.kind == StepKind::kCommit || step.kind == StepKind::kRollback ? 1 : 0;
      interleaved += open > 0 && is_own_transaction(step);
    }
    EXPECT_EQ(open, 0) << run;
  }
  EXPECT_GT(begins, 50);
  EXPECT_GT(statements, 50);
  EXPECT_GT(rollbacks, 3);
  EXPECT_EQ(begins, commits + rollbacks);
  EXPECT_GT(interleaved, 20);  // Write steps commit while a session's transaction is open.
  std::cout << "seed 17, 300 runs: begin " << begins << ", statements " << statements << ", commit " << commits
            << ", rollback " << rollbacks << ", writes inside an open session " << interleaved << "\n";
  // What `check --real --runs 30` (seed 1) runs on PostgreSQL: some of its runs have sessions.
  options.seed = 1;
  int with_session = 0;
  for (int64_t run = 0; run < 30; ++run) {
    auto scenario = differential_scenario(options, run);
    ASSERT_TRUE(scenario.ok()) << scenario.status().message();
    with_session += std::any_of(scenario->steps.begin(), scenario->steps.end(),
                                [](const Step& step) { return step.kind == StepKind::kBegin; });
  }
  EXPECT_GT(with_session, 5);
  std::cout << "seed 1, runs 0-29: " << with_session << " with a session\n";
}

}  // namespace
}  // namespace replsim::campaign
