#include "verifier/expectations.h"

#include <gtest/gtest.h>

#include "vocab/scenario_parser.h"

namespace replsim {
namespace {

using Verdict = ExpectationResult::Verdict;

Scenario drill() {
  auto s = parse_scenario_text(R"(name: t
cluster:
  primary: primary
  standbys: [replica]
steps:
  - insert: charlie
    table: customers
    values: {firstName: Charlie, lastName: Davis}
  - check_lag: l
  - crash: primary
  - promote: replica
expect:
  - acknowledged: charlie
  - lost: charlie
    on: replica
  - absent: charlie
  - rows: customers
    count: 6
  - lag: l
    transactions: 1
    failover_loses_data: true
)",
                               "t.yaml");
  EXPECT_TRUE(s.ok()) << s.status().message();
  return *s;
}

RunResult observed(Presence on_replica, std::vector<TxOutcome> outcomes) {
  RunResult r;
  TxRecord tx;
  tx.label = "charlie";
  tx.outcomes = std::move(outcomes);
  r.transactions.push_back(tx);
  NodeFinal replica;
  replica.name = "replica";
  replica.state = NodeState::kPrimary;
  replica.presence["charlie"] = on_replica;
  replica.row_counts["customers"] = 6;
  r.nodes.push_back(replica);
  r.nodes.push_back(
      NodeFinal{"primary", NodeState::kCrashed, 1, {}, {}, "", "", ServerState::kCrashed, std::nullopt, std::nullopt});
  LagMeasure lag;
  lag.name = "l";
  lag.transactions = 1;
  lag.failover_loses_data = true;
  r.lags.push_back(lag);
  return r;
}

TEST(ExpectationsTest, AllHoldWhenCharlieIsLost) {
  Scenario s = drill();
  auto results = check_expectations(s, observed(Presence::kAbsent, {TxOutcome::kAcknowledged}));
  ASSERT_EQ(results.size(), 5u);
  for (const auto& r : results) EXPECT_EQ(r.verdict, Verdict::kHeld) << r.explanation;
  EXPECT_TRUE(all_held(results));
  EXPECT_EQ(final_primary(s, observed(Presence::kAbsent, {})), "replica");
}

TEST(ExpectationsTest, FailsWithAReasonWhenCharlieSurvived) {
  Scenario s = drill();
  auto results = check_expectations(s, observed(Presence::kPresent, {TxOutcome::kAcknowledged}));
  EXPECT_EQ(results[1].verdict, Verdict::kFailed);
  EXPECT_NE(results[1].explanation.find("nothing was lost"), std::string::npos) << results[1].explanation;
  EXPECT_EQ(results[2].verdict, Verdict::kFailed);
  EXPECT_FALSE(all_held(results));
}

TEST(ExpectationsTest, EitherIsUndeterminedNeverHeld) {
  Scenario s = drill();
  auto results = check_expectations(s, observed(Presence::kEither, {TxOutcome::kAcknowledged, TxOutcome::kInDoubt}));
  EXPECT_EQ(results[0].verdict, Verdict::kUndetermined);
  EXPECT_EQ(results[1].verdict, Verdict::kUndetermined);
  EXPECT_EQ(results[2].verdict, Verdict::kUndetermined);
  EXPECT_FALSE(all_held(results));
}

TEST(ExpectationsTest, UnobservableNodeFails) {
  Scenario s = drill();
  s.expectations[2].node = "primary";  // Crashed: its contents cannot be seen.
  auto results = check_expectations(s, observed(Presence::kAbsent, {TxOutcome::kAcknowledged}));
  EXPECT_EQ(results[2].verdict, Verdict::kFailed);
  EXPECT_NE(results[2].explanation.find("cannot be observed"), std::string::npos);
}

TEST(ExpectationsTest, RowCountAndLagMismatches) {
  Scenario s = drill();
  RunResult r = observed(Presence::kAbsent, {TxOutcome::kAcknowledged});
  r.nodes[0].row_counts["customers"] = 7;
  r.lags[0].transactions = 0;
  auto results = check_expectations(s, r);
  EXPECT_EQ(results[3].verdict, Verdict::kFailed);
  EXPECT_EQ(results[4].verdict, Verdict::kFailed);
}

}  // namespace
}  // namespace replsim

namespace replsim {
namespace {

// `error: CONDITION` with `step:`: held when that step was refused with that SQLSTATE. A refused
// promotion makes no primary for expectations without `on:`.
TEST(ExpectationsTest, StepErrorJudgesTheStepsResult) {
  auto s = parse_scenario_text(R"(name: t
cluster:
  primary: primary
  standbys: [replica]
steps:
  - insert: bad
    table: products
    values: {name: X, price: abc}
  - promote: primary
expect:
  - error: invalid_text_representation
    step: bad
  - error: object_not_in_prerequisite_state
    step: 9
  - failed: bad
)",
                               "t.yaml");
  ASSERT_TRUE(s.ok()) << s.status().message();
  RunResult r;
  TxRecord tx;
  tx.label = "bad";
  tx.outcomes = {TxOutcome::kFailed};
  r.transactions.push_back(tx);
  r.steps = {StepResult{0, "insert bad", true, "22P02", "invalid input syntax for type numeric: \"abc\"", false},
             StepResult{1, "promote primary", true, "55000", "recovery is not in progress", false}};
  auto results = check_expectations(*s, r);
  ASSERT_EQ(results.size(), 3u);
  for (const auto& e : results) EXPECT_EQ(e.verdict, Verdict::kHeld) << e.explanation;
  EXPECT_EQ(final_primary(*s, r), "primary");

  r.steps[0].sqlstate = "22003";
  r.steps[1].refused = false;
  results = check_expectations(*s, r);
  EXPECT_EQ(results[0].verdict, Verdict::kFailed);
  EXPECT_NE(results[0].explanation.find("refused with 22003"), std::string::npos) << results[0].explanation;
  EXPECT_EQ(results[1].verdict, Verdict::kFailed);
  EXPECT_NE(results[1].explanation.find("was accepted"), std::string::npos) << results[1].explanation;
  r.steps[0].timing_decides = true;
  EXPECT_EQ(check_expectations(*s, r)[0].verdict, Verdict::kUndetermined);
  r.steps.clear();
  EXPECT_EQ(check_expectations(*s, r)[0].verdict, Verdict::kFailed);  // The step did not run.
}

// state:, timeline: and sync_state: judged at the end; what a history could not observe fails,
// what a prediction leaves to timing is undetermined.
TEST(ExpectationsTest, StateTimelineAndSyncState) {
  auto s = parse_scenario_text(R"(name: t
cluster:
  primary: primary
  standbys: [replica]
steps:
  - stop: replica
expect:
  - state: stopped
    on: replica
  - state: primary
  - timeline: 1
  - timeline: 1
    on: replica
  - sync_state: async
    priority: 0
    on: replica
)",
                               "t.yaml");
  ASSERT_TRUE(s.ok()) << s.status().message();
  RunResult r;
  r.source = "postgresql";
  NodeFinal primary, replica;
  primary.name = "primary";
  primary.server_state = ServerState::kPrimary;
  replica.name = "replica";
  replica.server_state = ServerState::kStopped;
  r.nodes = {primary, replica};
  TimelineEntry last;
  NodePosition p;
  p.node = "replica";
  p.sync_priority = 0;  // pg_stat_replication was read: no row.
  last.positions = {p};
  r.timeline = {last};
  auto results = check_expectations(*s, r);
  ASSERT_EQ(results.size(), 5u);
  EXPECT_EQ(results[0].verdict, ExpectationResult::Verdict::kHeld) << results[0].explanation;
  EXPECT_EQ(results[1].verdict, ExpectationResult::Verdict::kHeld) << results[1].explanation;
  EXPECT_EQ(results[2].verdict, ExpectationResult::Verdict::kHeld) << results[2].explanation;
  EXPECT_EQ(results[3].verdict, ExpectationResult::Verdict::kFailed);  // A stopped node's timeline is not read.
  EXPECT_EQ(results[4].verdict, ExpectationResult::Verdict::kFailed);  // No row, not async.
  EXPECT_EQ(results[4].explanation, "pg_stat_replication shows replica: no row, expected async");

  r.nodes[1].server_state = ServerState::kShutdownAtTarget;
  EXPECT_EQ(check_expectations(*s, r)[0].explanation, "replica ended shutdown_at_target, expected stopped");
  r.nodes[1].server_state.reset();
  EXPECT_EQ(check_expectations(*s, r)[0].verdict, ExpectationResult::Verdict::kFailed);
  r.source = "simulator";
  EXPECT_EQ(check_expectations(*s, r)[0].verdict, ExpectationResult::Verdict::kUndetermined);
}

}  // namespace
}  // namespace replsim
