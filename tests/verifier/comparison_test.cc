// Prediction against history: agreement, each kind of difference with its witness, the
// counting of "either", and the byte tolerance of lag measures.
#include "verifier/comparison.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test_runs.h"

namespace replsim {
namespace {

using namespace replsim::testing;

// Drill 2.1 as the real cluster records it: charlie acknowledged, then absent on the
// promoted replica.
History drill_history() {
  History h;
  h.source = "postgresql";
  h.events = {event(HistoryEvent::Type::kFault, 1000, "nemesis", "replica", "partition replica"),
              event(HistoryEvent::Type::kInvoke, 2000, "client", "primary", "charlie"),
              event(HistoryEvent::Type::kOk, 3000, "client", "primary", "charlie"),
              event(HistoryEvent::Type::kFault, 4000, "nemesis", "primary", "crash primary"),
              event(HistoryEvent::Type::kFault, 5000, "nemesis", "replica", "heal replica"),
              event(HistoryEvent::Type::kFault, 6000, "nemesis", "replica", "promote replica")};
  h.transactions = {tx("charlie", 2, "primary", {kAck}, 0x3000148)};
  h.nodes = {node("primary", "crashed", {}), node("replica", "primary", {{"charlie", kAbsent}})};
  h.nodes[1].row_counts = {{"customers", 5}};
  LagMeasure lag;
  lag.name = "before_failover";
  lag.standby = "replica";
  lag.transactions = 1;
  lag.receive_lag_bytes = lag.replay_lag_bytes = 2400;
  lag.failover_loses_data = true;
  lag.at_risk = {"charlie"};
  h.lags = {lag};
  return h;
}

Prediction drill_prediction() {
  Prediction p = drill_history();
  p.source = "simulator";
  p.events.clear();
  p.lags[0].receive_lag_bytes = p.lags[0].replay_lag_bytes = 310;
  p.nodes[0].presence = {{"charlie", kPresent}};  // The crashed primary's data directory: unobservable for real.
  return p;
}

TEST(ComparisonTest, MatchingRunsAgreeAndCountWhatWasCompared) {
  Comparison c = compare_runs(drill_prediction(), drill_history());
  EXPECT_TRUE(c.agree);
  EXPECT_TRUE(c.differences.empty());
  EXPECT_EQ(c.outcomes.determinate, 1);
  EXPECT_EQ(c.outcomes.agreed, 1);
  EXPECT_EQ(c.presence.determinate, 2);
  EXPECT_EQ(c.presence.agreed, 1);
  EXPECT_EQ(c.presence.unobserved, 1);  // charlie on the crashed primary.
  EXPECT_EQ(c.lags.agreed, 1);
  EXPECT_EQ(c.rows.agreed, 1);
}

TEST(ComparisonTest, WrongPresenceIsADifferenceNamingTransactionNodeAndHistory) {
  Prediction p = drill_prediction();
  p.nodes[1].presence["charlie"] = kPresent;
  Comparison c = compare_runs(p, drill_history());
  EXPECT_FALSE(c.agree);
  ASSERT_EQ(c.differences.size(), 1u);
  const Difference& d = c.differences[0];
  EXPECT_EQ(d.kind, Difference::Kind::kPresence);
  EXPECT_EQ(d.label, "charlie");
  EXPECT_EQ(d.node, "replica");
  EXPECT_EQ(d.predicted, "present");
  EXPECT_EQ(d.observed, "absent");
  EXPECT_EQ(d.explanation, "charlie on replica: predicted present, observed absent");
  // The history around it: charlie's invoke and ok, and the faults on the replica.
  bool saw_ok = false, saw_promote = false;
  for (const auto& line : d.context) {
    saw_ok |= line.find("ok") != std::string::npos && line.find("charlie") != std::string::npos;
    saw_promote |= line.find("promote replica") != std::string::npos;
  }
  EXPECT_TRUE(saw_ok && saw_promote) << ::testing::PrintToString(d.context);
}

TEST(ComparisonTest, EitherMatchesAnythingButIsCountedApart) {
  Prediction p = drill_prediction();
  p.nodes[1].presence["charlie"] = kEither;
  p.transactions[0].outcomes = {kAck, kInDoubt};
  Comparison c = compare_runs(p, drill_history());
  EXPECT_TRUE(c.agree);
  EXPECT_EQ(c.outcomes.either, 1);
  EXPECT_EQ(c.outcomes.determinate, 0);
  EXPECT_EQ(c.presence.either, 1);
  EXPECT_EQ(c.presence.agreed, 0);
  EXPECT_EQ(c.rows.either, 1);  // An open presence leaves the replica's row counts open too.
  EXPECT_EQ(c.presence.to_string(), "1 determinate (0 agree), 1 either, 1 unobserved");
}

TEST(ComparisonTest, ObservedOutcomeOutsideThePredictedSetDisagrees) {
  Prediction p = drill_prediction();
  p.transactions[0].outcomes = {kBlocked, kInDoubt};
  Comparison c = compare_runs(p, drill_history());
  ASSERT_EQ(c.differences.size(), 1u);
  EXPECT_EQ(c.differences[0].kind, Difference::Kind::kOutcome);
  EXPECT_EQ(c.differences[0].predicted, "blocked or in_doubt");
  EXPECT_EQ(c.differences[0].observed, "acknowledged");
}

TEST(ComparisonTest, NodeErrorsMustMatch) {
  Prediction p = drill_prediction();
  p.nodes[1].error = "cannot_catch_up";
  Comparison c = compare_runs(p, drill_history());
  ASSERT_EQ(c.differences.size(), 1u);
  EXPECT_EQ(c.differences[0].kind, Difference::Kind::kNodeError);
  EXPECT_EQ(c.differences[0].node, "replica");
  EXPECT_EQ(c.differences[0].observed, "no error");
}

TEST(ComparisonTest, LagInTransactionsIsExact) {
  Prediction p = drill_prediction();
  p.lags[0].transactions = 2;
  Comparison c = compare_runs(p, drill_history());
  ASSERT_EQ(c.differences.size(), 1u);
  EXPECT_EQ(c.differences[0].kind, Difference::Kind::kLag);
  EXPECT_EQ(c.differences[0].predicted, "2");
  EXPECT_EQ(c.differences[0].observed, "1");
}

TEST(ComparisonTest, LagInBytesOutsideTheToleranceDisagrees) {
  Prediction p = drill_prediction();
  p.lags[0].receive_lag_bytes = 0;  // Zero against non-zero: never within tolerance.
  p.lags[0].replay_lag_bytes = 80000;
  Comparison c = compare_runs(p, drill_history());
  ASSERT_EQ(c.differences.size(), 2u);
  EXPECT_EQ(c.differences[0].kind, Difference::Kind::kLag);
}

TEST(ByteToleranceTest, BothZeroOrBothNonZeroWithinMaxOfThirtyTwoKilobytesAndHalf) {
  ByteTolerance t;
  EXPECT_TRUE(t.within(0, 0));
  EXPECT_FALSE(t.within(0, 1));
  EXPECT_FALSE(t.within(1, 0));
  EXPECT_TRUE(t.within(184, 25400));        // Drill 2.1 as measured: catalog full-page images.
  EXPECT_TRUE(t.within(184, 32768 + 184));  // The absolute floor.
  EXPECT_FALSE(t.within(184, 32768 + 185));
  EXPECT_TRUE(t.within(100000, 150000));  // 50% of the larger.
  EXPECT_FALSE(t.within(100000, 250000));
}

TEST(ComparisonTest, TransactionMissingFromTheHistoryIsADifference) {
  History h = drill_history();
  h.transactions.clear();
  Comparison c = compare_runs(drill_prediction(), h);
  ASSERT_FALSE(c.differences.empty());
  EXPECT_EQ(c.differences[0].kind, Difference::Kind::kMissing);
  EXPECT_EQ(c.differences[0].label, "charlie");
}

TEST(ComparisonTest, SurvivesJson) {
  Prediction p = drill_prediction();
  p.nodes[1].presence["charlie"] = kPresent;
  Comparison c = compare_runs(p, drill_history());
  auto back = comparison_from_json(to_json(c));
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->agree, c.agree);
  ASSERT_EQ(back->differences.size(), 1u);
  EXPECT_EQ(back->differences[0].explanation, c.differences[0].explanation);
  EXPECT_EQ(back->differences[0].context, c.differences[0].context);
  EXPECT_EQ(back->presence.to_string(), c.presence.to_string());
}

}  // namespace
}  // namespace replsim

namespace replsim::testing {
namespace {

StepResult step_result(int step, const std::string& text, const std::string& sqlstate = "",
                       const std::string& message = "") {
  return StepResult{step, text, !sqlstate.empty(), sqlstate, message, false};
}

// Each step's own result: a refusal (and its SQLSTATE) must be predicted, and the reverse.
TEST(ComparisonTest, StepResultsMustMatchRefusalAndSqlstate) {
  Prediction p = drill_prediction();
  History h = drill_history();
  h.steps = {step_result(0, "partition replica"),
             step_result(1, "promote primary", "55000", "recovery is not in progress"),
             step_result(2, "insert charlie: customers (...)")};
  p.steps = h.steps;
  Comparison same = compare_runs(p, h);
  EXPECT_TRUE(same.agree);
  EXPECT_EQ(same.steps.determinate, 3);
  EXPECT_EQ(same.steps.agreed, 3);

  p.steps[1] = step_result(1, "promote primary");  // Predicted accepted, refused for real.
  p.steps[2] = step_result(2, "insert charlie: customers (...)", "22P02", "invalid input syntax");  // The reverse.
  Comparison c = compare_runs(p, h);
  EXPECT_FALSE(c.agree);
  ASSERT_EQ(c.differences.size(), 2u);
  EXPECT_EQ(c.differences[0].kind, Difference::Kind::kStepResult);
  EXPECT_EQ(c.differences[0].label, "step 2");
  EXPECT_EQ(c.differences[0].predicted, "accepted");
  EXPECT_EQ(c.differences[0].observed, "refused (55000: recovery is not in progress)");
  EXPECT_EQ(c.differences[1].predicted, "refused (22P02: invalid input syntax)");
  EXPECT_EQ(c.differences[1].observed, "accepted");
  EXPECT_FALSE(c.differences[1].context.empty());  // The step ran charlie: its events.
  EXPECT_EQ(c.steps.agreed, 1);

  p.steps[2] = step_result(2, "insert charlie: customers (...)", "23503");  // Refused, but for another reason.
  p.steps[1] = h.steps[1];
  h.steps[2] = step_result(2, "insert charlie: customers (...)", "22P02");
  Comparison other = compare_runs(p, h);
  ASSERT_EQ(other.differences.size(), 1u);
  EXPECT_EQ(other.differences[0].predicted, "refused (23503)");

  auto back = comparison_from_json(to_json(other));
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->differences[0].kind, Difference::Kind::kStepResult);
  EXPECT_EQ(back->steps.to_string(), other.steps.to_string());
  EXPECT_EQ(std::string(to_string(Difference::Kind::kStepResult)), "step_result");
}

TEST(ComparisonTest, StepResultsTimingDecidesOrUnobserved) {
  Prediction p = drill_prediction();
  History h = drill_history();
  p.steps = {step_result(0, "a", "55000"), step_result(1, "b")};
  p.steps[0].timing_decides = true;
  h.steps = {step_result(0, "a")};  // The run ended before step 1.
  Comparison c = compare_runs(p, h);
  EXPECT_TRUE(c.agree);
  EXPECT_EQ(c.steps.either, 1);
  EXPECT_EQ(c.steps.determinate, 1);
  EXPECT_EQ(c.steps.unobserved, 1);
  // A refusal the prediction has no record of is a difference.
  p.steps.pop_back();
  h.steps.push_back(step_result(1, "b", "25006"));
  Comparison missing = compare_runs(p, h);
  ASSERT_EQ(missing.differences.size(), 1u);
  EXPECT_EQ(missing.differences[0].kind, Difference::Kind::kMissing);
}

}  // namespace
}  // namespace replsim::testing
