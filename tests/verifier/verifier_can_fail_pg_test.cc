// Can the verifier fail, against real PostgreSQL? The simulator perturbed so that async
// commits reach the standby instantly predicts that charlie survives drill 2.1's failover;
// the real cluster loses him. The verifier must say "disagree", and name charlie on the
// replica, predicted present, observed absent.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <string>

#include "harness/scenario_runner.h"
#include "sim/simulator.h"
#include "test_runs.h"
#include "verifier/comparison.h"
#include "vocab/scenario_parser.h"

namespace replsim {
namespace {

TEST(VerifierCanFailPgTest, InstantAsyncReplicationDisagreesWithRealPostgresOnDrillTwoOne) {
  const char* dir = std::getenv("REPLSIM_SOURCE_DIR");
  auto s = parse_scenario_file(std::string(dir != nullptr ? dir : ".") + "/scenarios/drill-2.1-replication-lag.yaml");
  ASSERT_TRUE(s.ok()) << s.status().message();
  sim::SimOptions options;
  options.perturbation = sim::Perturbation::kAsyncCommitsReachStandbyInstantly;
  auto wrong = sim::simulate(*s, options);
  ASSERT_TRUE(wrong.ok()) << wrong.status().message();
  auto observed = harness::run_scenario(*s, harness::HarnessOptions{});
  ASSERT_TRUE(observed.ok()) << observed.status().message();
  Comparison c = compare_runs(*wrong, *observed);
  EXPECT_FALSE(c.agree);
  testing::expect_presence_difference(c, "charlie", "replica", "present", "absent", /*with_context=*/true);
}

}  // namespace
}  // namespace replsim

namespace replsim {
namespace {

// A prediction wrong about one step's ERROR is caught against real PostgreSQL: the honest
// prediction agrees step by step with the real run (a bad value, a call on the wrong role, a
// write on the standby); the same prediction saying the refused promote was accepted, or giving
// the bad value's refusal another SQLSTATE, is a step_result difference naming that step.
TEST(VerifierCanFailPgTest, AWrongStepErrorDisagreesWithRealPostgres) {
  auto s = parse_scenario_text(R"(name: wrong-step-error
cluster:
  primary: primary
  standbys: [replica]
steps:
  - insert: word_price
    table: products
    values: {name: Hub, price: abc}
  - insert: spaced_stock
    table: products
    values: {name: Cable, price: 1, stock: " 5 "}
  - switch_wal: replica
  - promote: primary
  - insert: on_standby
    table: customers
    values: {firstName: Sam, lastName: Standby}
    node: replica
)",
                               "wrong-step-error.yaml");
  ASSERT_TRUE(s.ok()) << s.status().message();
  auto honest = sim::simulate(*s, sim::SimOptions{});
  ASSERT_TRUE(honest.ok()) << honest.status().message();
  auto observed = harness::run_scenario(*s, harness::HarnessOptions{});
  ASSERT_TRUE(observed.ok()) << observed.status().message();
  ASSERT_EQ(observed->steps.size(), 5u);
  EXPECT_EQ(observed->steps[0].sqlstate, "22P02");
  EXPECT_EQ(observed->steps[0].message, "invalid input syntax for type numeric: \"abc\"");
  EXPECT_FALSE(observed->steps[1].refused);
  EXPECT_EQ(observed->steps[2].sqlstate, "55000");
  EXPECT_EQ(observed->steps[3].sqlstate, "55000");
  EXPECT_EQ(observed->steps[3].message, "recovery is not in progress");
  EXPECT_EQ(observed->steps[4].sqlstate, "25006");
  const Comparison right = compare_runs(*honest, *observed);
  EXPECT_TRUE(right.agree) << (right.differences.empty() ? "" : right.differences[0].explanation);
  EXPECT_EQ(right.steps.agreed, 5);

  Prediction accepted = *honest;
  accepted.steps[3].refused = false;
  accepted.steps[3].sqlstate.clear();
  accepted.steps[3].message.clear();
  const Comparison c = compare_runs(accepted, *observed);
  EXPECT_FALSE(c.agree);
  ASSERT_EQ(c.differences.size(), 1u);
  EXPECT_EQ(c.differences[0].kind, Difference::Kind::kStepResult);
  EXPECT_EQ(c.differences[0].label, "step 4");
  EXPECT_EQ(c.differences[0].predicted, "accepted");
  EXPECT_EQ(c.differences[0].observed, "refused (55000: recovery is not in progress)");

  Prediction other_code = *honest;
  other_code.steps[0].sqlstate = "22003";
  const Comparison d = compare_runs(other_code, *observed);
  ASSERT_EQ(d.differences.size(), 1u);
  EXPECT_EQ(d.differences[0].kind, Difference::Kind::kStepResult);
  EXPECT_EQ(d.differences[0].label, "step 1");
  EXPECT_FALSE(d.differences[0].context.empty());  // word_price's events on the real cluster.
}

}  // namespace
}  // namespace replsim
