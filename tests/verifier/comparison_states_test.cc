// Server states, timelines, pg_stat_replication rows and final lags: each compared at every
// timeline entry (or at the end), each kind of difference with its words, and a determinate
// prediction the history could not observe reported as unobserved with its reason: the
// verdict INCOMPLETE, never AGREE.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>

#include "test_runs.h"
#include "verifier/comparison.h"
#include "verifier/report_text.h"
#include "verifier/verification.h"

namespace replsim {
namespace {

using namespace replsim::testing;

NodePosition pos(const std::string& node, ServerState state, TimelineId timeline, const std::string& sync_state = "",
                 std::optional<int> sync_priority = 0) {
  NodePosition p;
  p.node = node;
  p.server_state = state;
  p.timeline = timeline;
  p.sync_state = sync_state;
  p.sync_priority = sync_priority;
  return p;
}

// A primary and a streaming async standby after step 1, a restored node shut down at its
// target after step 2; at the end the standby is caught up.
RunResult run(const char* source) {
  RunResult r;
  r.source = source;
  TimelineEntry e1;
  e1.step = 0;
  e1.text = "insert a";
  e1.positions = {pos("primary", ServerState::kPrimary, 1), pos("replica", ServerState::kStandby, 1, "async", 0)};
  TimelineEntry e2 = e1;
  e2.step = 1;
  e2.text = "start restored";
  e2.positions.push_back(pos("restored", ServerState::kShutdownAtTarget, 1));
  r.timeline = {e1, e2};
  r.nodes = {node("primary", "primary", {{"a", kPresent}}), node("replica", "standby", {{"a", kPresent}}),
             node("restored", "stopped", {})};
  r.nodes[0].server_state = ServerState::kPrimary;
  r.nodes[1].server_state = ServerState::kStandby;
  r.nodes[1].receive_lag_bytes = r.nodes[1].replay_lag_bytes = 0;
  r.nodes[2].server_state = ServerState::kShutdownAtTarget;
  r.transactions = {tx("a", 0, "primary", {kAck})};
  return r;
}

const Difference* find(const Comparison& c, Difference::Kind kind, const std::string& node) {
  for (const auto& d : c.differences)
    if (d.kind == kind && d.node == node) return &d;
  return nullptr;
}

TEST(ComparisonStatesTest, AgreementCountsEveryStateTimelineSyncRowAndLag) {
  Comparison c = compare_runs(run("simulator"), run("postgresql"));
  EXPECT_TRUE(c.agree) << to_json(c).dump(2);
  EXPECT_TRUE(c.complete());
  EXPECT_EQ(c.states.determinate, 5);
  EXPECT_EQ(c.states.agreed, 5);
  EXPECT_EQ(c.timelines.determinate, 4);  // Not the restored node: it does not run.
  EXPECT_EQ(c.timelines.agreed, 4);
  EXPECT_EQ(c.syncs.determinate, 5);
  EXPECT_EQ(c.syncs.agreed, 5);
  EXPECT_EQ(c.positions.determinate, 1);
  EXPECT_EQ(c.positions.agreed, 1);
}

// The found case of issue 15: the old model had the restarted node open, readable, with rows.
TEST(ComparisonStatesTest, RestartedRestoreOpenInTheModelButShutDownIsAStateDifference) {
  Prediction p = run("simulator");
  p.timeline[1].positions[2] = pos("restored", ServerState::kPausedAtTarget, 1);
  p.nodes[2] = node("restored", "restoring", {{"a", kPresent}});
  p.nodes[2].server_state = ServerState::kPausedAtTarget;
  p.nodes[2].row_counts = {{"orders", 5}};
  Comparison c = compare_runs(p, run("postgresql"));
  EXPECT_FALSE(c.agree);
  const Difference* d = find(c, Difference::Kind::kServerState, "restored");
  ASSERT_NE(d, nullptr) << to_json(c).dump(2);
  EXPECT_EQ(d->predicted, "paused_at_target");
  EXPECT_EQ(d->observed, "shutdown_at_target");
  EXPECT_EQ(d->label, "after step 2");
  // Its rows could not be read: unobserved, with the reason, never agreed.
  EXPECT_EQ(c.presence.agreed, 2);
  EXPECT_EQ(c.presence.unobserved, 1);
  EXPECT_EQ(c.rows.unobserved, 1);
  bool presence_listed = false;
  for (const auto& u : c.unobserved)
    if (u.what == "presence" && u.node == "restored") {
      presence_listed = true;
      EXPECT_EQ(u.why, "node restored was shutdown_at_target at the end");
    }
  EXPECT_TRUE(presence_listed) << to_json(c).dump(2);
}

TEST(ComparisonStatesTest, TimelineDifference) {
  History h = run("postgresql");
  h.timeline[1].positions[1].timeline = 2;
  Comparison c = compare_runs(run("simulator"), h);
  const Difference* d = find(c, Difference::Kind::kTimeline, "replica");
  ASSERT_NE(d, nullptr) << to_json(c).dump(2);
  EXPECT_EQ(d->predicted, "timeline 1");
  EXPECT_EQ(d->observed, "timeline 2");
  EXPECT_EQ(c.differences.size(), 1u);
}

TEST(ComparisonStatesTest, SyncStateAndPriorityDifferences) {
  History h = run("postgresql");
  h.timeline[0].positions[1].sync_state = "sync";
  h.timeline[1].positions[1].sync_priority = 1;
  Comparison c = compare_runs(run("simulator"), h);
  ASSERT_EQ(c.differences.size(), 2u) << to_json(c).dump(2);
  EXPECT_EQ(c.differences[0].kind, Difference::Kind::kSync);
  EXPECT_EQ(c.differences[0].predicted, "async (priority 0)");
  EXPECT_EQ(c.differences[0].observed, "sync (priority 0)");
  EXPECT_EQ(c.differences[1].observed, "async (priority 1)");
}

TEST(ComparisonStatesTest, FinalLagZeroAgainstNonZeroIsADifference) {
  History h = run("postgresql");
  h.nodes[1].receive_lag_bytes = 0;
  h.nodes[1].replay_lag_bytes = 120;
  Comparison c = compare_runs(run("simulator"), h);
  const Difference* d = find(c, Difference::Kind::kPositionLag, "replica");
  ASSERT_NE(d, nullptr) << to_json(c).dump(2);
  EXPECT_EQ(d->observed, "receive 0 B, replay 120 B behind");
  // Within the byte tolerance, both non-zero: agreement.
  Prediction p = run("simulator");
  p.nodes[1].replay_lag_bytes = 184;
  EXPECT_TRUE(compare_runs(p, h).agree);
}

// A running node that did not answer: its predicted state and rows are unobserved, and the
// verdict is INCOMPLETE (exit 1), not AGREE.
TEST(ComparisonStatesTest, UnobservedPredictionMakesTheVerdictIncomplete) {
  History h = run("postgresql");
  h.timeline[1].positions[1].server_state.reset();
  h.nodes[1].presence.clear();
  h.nodes[1].server_state.reset();
  h.nodes[1].receive_lag_bytes.reset();
  h.nodes[1].replay_lag_bytes.reset();
  Comparison c = compare_runs(run("simulator"), h);
  EXPECT_TRUE(c.agree) << to_json(c).dump(2);
  EXPECT_FALSE(c.complete());
  EXPECT_EQ(c.states.unobserved, 1);
  EXPECT_EQ(c.timelines.unobserved, 1);
  EXPECT_EQ(c.presence.unobserved, 1);
  EXPECT_EQ(c.positions.unobserved, 1);
  EXPECT_EQ(c.states.agreed + c.states.unobserved, c.states.determinate);

  const Scenario s = scenario(R"(name: t
cluster:
  primary: primary
  standbys: [replica]
steps:
  - insert: a
    table: customers
    values: {firstName: A, lastName: B}
)");
  Verification v = verify_runs(s, run("simulator"), h);
  EXPECT_EQ(v.verdict, Verification::Verdict::kIncomplete);
  EXPECT_FALSE(v.passed());
  const std::string text = render_verdict(v);
  EXPECT_NE(text.find("verdict: INCOMPLETE"), std::string::npos) << text;
  EXPECT_NE(text.find("UNOBSERVED"), std::string::npos) << text;
  EXPECT_NE(text.find("replica was running after step 2 but did not answer"), std::string::npos) << text;
  auto back = verification_from_json(to_json(v));
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->verdict, Verification::Verdict::kIncomplete);
  EXPECT_EQ(to_json(back->comparison), to_json(v.comparison));
  EXPECT_EQ(parse_verification_verdict("incomplete"), Verification::Verdict::kIncomplete);
}

TEST(ComparisonStatesTest, NewDifferenceKindsSurviveJson) {
  History h = run("postgresql");
  h.timeline[1].positions[1].server_state = ServerState::kStopped;
  h.timeline[0].positions[0].timeline = 3;
  h.timeline[0].positions[1].sync_state = "potential";
  h.nodes[1].replay_lag_bytes = 9;
  Comparison c = compare_runs(run("simulator"), h);
  ASSERT_FALSE(c.agree);
  for (auto kind : {Difference::Kind::kServerState, Difference::Kind::kTimeline, Difference::Kind::kSync,
                    Difference::Kind::kPositionLag})
    EXPECT_TRUE(std::any_of(c.differences.begin(), c.differences.end(), [&](const auto& d) { return d.kind == kind; }))
        << to_string(kind);
  auto back = comparison_from_json(to_json(c));
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(to_json(*back), to_json(c));
  // A comparison stored before these fields existed still reads.
  nlohmann::json old = to_json(c);
  for (const char* key : {"states", "timelines", "syncs", "positions", "unobserved"}) old.erase(key);
  EXPECT_TRUE(comparison_from_json(old).ok());
}

}  // namespace
}  // namespace replsim
