#include "vocab/run_result.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace replsim {
namespace {

RunResult sample() {
  RunResult r;
  r.scenario = "drill";
  r.file = "d.yaml";
  r.source = "simulator";
  r.seed = 42;
  r.events.push_back({HistoryEvent::Type::kOk, 1200, "c1", "primary", "charlie", 735, Lsn{0x3000148}, 1100, "commit"});
  TimelineEntry t;
  t.step = 2;
  t.time_us = 1000;
  t.text = "insert charlie";
  t.positions.push_back(
      {"primary", "primary", 1, Lsn{0x3000148}, Lsn{0x3000148}, Lsn{}, Lsn{}, "", ServerState::kPrimary, 0});
  t.notes = {"charlie acknowledged"};
  r.timeline.push_back(t);
  TxRecord tx;
  tx.label = "charlie";
  tx.step = 2;
  tx.node = "primary";
  tx.outcomes = {TxOutcome::kAcknowledged, TxOutcome::kInDoubt};
  tx.xid = 735;
  tx.commit_lsn = Lsn{0x3000148};
  tx.waited_for_sync = true;
  r.transactions.push_back(tx);
  r.lags.push_back({"l", "replica", Lsn{0x3000148}, Lsn{0x3000100}, Lsn{0x3000100}, 72, 72, 1, true, {"charlie"}});
  NodeFinal n;
  n.name = "replica";
  n.state = NodeState::kPrimary;
  n.timeline = 2;
  n.presence = {{"charlie", Presence::kEither}};
  n.row_counts = {{"customers", 6}};
  r.nodes.push_back(n);
  r.notes = {"charlie was lost"};
  r.steps = {{0, "insert charlie: customers (...)", false, "", "", false},
             {1, "promote primary", true, "55000", "recovery is not in progress", true}};
  return r;
}

TEST(RunResultTest, JsonRoundTripIsExact) {
  const RunResult r = sample();
  const nlohmann::json j = to_json(r);
  auto back = run_result_from_json(j);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(to_json(*back).dump(), j.dump());
  EXPECT_EQ(back->find_tx("charlie")->outcomes.size(), 2u);
  EXPECT_EQ(back->find_node("replica")->presence.at("charlie"), Presence::kEither);
}

TEST(RunResultTest, MalformedJsonIsAnErrorValue) {
  nlohmann::json j = to_json(sample());
  j["transactions"][0]["outcomes"][0] = "maybe";
  EXPECT_FALSE(run_result_from_json(j).ok());
  j = to_json(sample());
  j["lags"][0]["primary_lsn"] = "not-an-lsn";
  EXPECT_FALSE(run_result_from_json(j).ok());
  j = to_json(sample());
  j.erase("nodes");
  EXPECT_FALSE(run_result_from_json(j).ok());
  EXPECT_FALSE(run_result_from_json(nlohmann::json::array()).ok());
}

// A node's state is a NodeState in memory and a word in JSON; a word that names no state is
// an error that says which.
TEST(RunResultTest, UnknownNodeStateIsAnErrorNamingIt) {
  nlohmann::json j = to_json(sample());
  EXPECT_EQ(j["nodes"][0]["state"], "primary");
  j["nodes"][0]["state"] = "zombie";
  auto back = run_result_from_json(j);
  ASSERT_FALSE(back.ok());
  EXPECT_NE(back.status().message().find("unknown node state 'zombie'"), std::string::npos) << back.status().message();
  for (auto s : {NodeState::kPrimary, NodeState::kStandby, NodeState::kPaused, NodeState::kCrashed, NodeState::kStopped,
                 NodeState::kWiped, NodeState::kRestoring})
    EXPECT_EQ(parse_node_state(to_string(s)), s);
}

}  // namespace
}  // namespace replsim

namespace replsim {
namespace {

// Each step's own result travels with the run; a run stored before step results were recorded
// (no "steps") still reads, with none.
TEST(RunResultTest, StepResultsRoundTripAndMayBeAbsent) {
  nlohmann::json j = to_json(sample());
  auto back = run_result_from_json(j);
  ASSERT_TRUE(back.ok()) << back.status().message();
  ASSERT_EQ(back->steps.size(), 2u);
  const StepResult* promote = back->find_step(1);
  ASSERT_NE(promote, nullptr);
  EXPECT_TRUE(promote->refused);
  EXPECT_EQ(promote->sqlstate, "55000");
  EXPECT_EQ(promote->message, "recovery is not in progress");
  EXPECT_TRUE(promote->timing_decides);
  EXPECT_EQ(promote->text, "promote primary");
  EXPECT_FALSE(back->find_step(0)->refused);
  EXPECT_EQ(back->find_step(2), nullptr);
  j.erase("steps");
  auto old = run_result_from_json(j);
  ASSERT_TRUE(old.ok()) << old.status().message();
  EXPECT_TRUE(old->steps.empty());
  j = to_json(sample());
  j["steps"][1]["refused"] = "yes";
  EXPECT_FALSE(run_result_from_json(j).ok());
}

// Server states, sync_priority and final lags survive JSON; an unknown server state is an error
// naming it; a run recorded before these fields existed reads with them unset.
TEST(RunResultTest, ServerStateSyncPriorityAndFinalLagsRoundTrip) {
  RunResult r;
  r.scenario = "s";
  r.source = "postgresql";
  TimelineEntry e;
  e.step = 0;
  NodePosition p;
  p.node = "replica";
  p.server_state = ServerState::kShutdownAtTarget;
  p.sync_state = "quorum";
  p.sync_priority = 1;
  e.positions = {p};
  r.timeline = {e};
  NodeFinal n;
  n.name = "replica";
  n.server_state = ServerState::kPausedAtTarget;
  n.receive_lag_bytes = 0;
  n.replay_lag_bytes = 184;
  r.nodes = {n};
  const nlohmann::json j = to_json(r);
  EXPECT_EQ(j["timeline"][0]["positions"][0]["server_state"], "shutdown_at_target");
  EXPECT_EQ(j["nodes"][0]["server_state"], "paused_at_target");
  auto back = run_result_from_json(j);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(to_json(*back), j);
  EXPECT_EQ(back->timeline[0].positions[0].sync_priority, 1);
  EXPECT_EQ(back->nodes[0].replay_lag_bytes, 184);

  nlohmann::json bad = j;
  bad["nodes"][0]["server_state"] = "undead";
  auto err = run_result_from_json(bad);
  ASSERT_FALSE(err.ok());
  EXPECT_NE(err.status().message().find("unknown server state 'undead'"), std::string::npos);

  nlohmann::json old = j;
  old["nodes"][0].erase("server_state");
  old["timeline"][0]["positions"][0].erase("sync_priority");
  auto read_old = run_result_from_json(old);
  ASSERT_TRUE(read_old.ok());
  EXPECT_FALSE(read_old->nodes[0].server_state.has_value());
  EXPECT_FALSE(read_old->timeline[0].positions[0].sync_priority.has_value());

  for (auto s :
       {ServerState::kPrimary, ServerState::kStandby, ServerState::kArchiveRecovery, ServerState::kPausedAtTarget,
        ServerState::kShutdownAtTarget, ServerState::kStopped, ServerState::kCrashed, ServerState::kFailedToStart,
        ServerState::kSuspended, ServerState::kWiped, ServerState::kReplayPaused})
    EXPECT_EQ(parse_server_state(to_string(s)), s);
  EXPECT_EQ(std::string(to_string(ServerState::kReplayPaused)), "replay_paused");
  EXPECT_TRUE(server_answers(ServerState::kReplayPaused));
}

// The final lag rule both sides use: a standby behind a running primary, at the last entry.
TEST(RunResultTest, FinalLagsOnlyForAStandbyOfARunningPrimary) {
  TimelineEntry last;
  NodePosition primary;
  primary.node = "primary";
  primary.server_state = ServerState::kPrimary;
  primary.flush_lsn = Lsn{1000};
  NodePosition standby;
  standby.node = "replica";
  standby.server_state = ServerState::kStandby;
  standby.write_lsn = Lsn{900};
  standby.replay_lsn = Lsn{800};
  last.positions = {primary, standby};
  NodeFinal f;
  f.name = "replica";
  set_final_lags(last, "primary", f);
  EXPECT_EQ(f.receive_lag_bytes, 100);
  EXPECT_EQ(f.replay_lag_bytes, 200);
  // A standby whose replay is paused has lags too: its replay lag is what the pause holds back.
  last.positions[1].server_state = ServerState::kReplayPaused;
  set_final_lags(last, "primary", f);
  EXPECT_EQ(f.replay_lag_bytes, 200);
  last.positions[1].server_state = ServerState::kStandby;
  // Restarted, a standby reports where streaming restarted: what it replayed it had received.
  last.positions[1].write_lsn = Lsn{700};
  set_final_lags(last, "primary", f);
  EXPECT_EQ(f.receive_lag_bytes, 200);
  last.positions[1].write_lsn = Lsn{900};
  last.positions[0].server_state = ServerState::kCrashed;
  set_final_lags(last, "primary", f);
  EXPECT_FALSE(f.receive_lag_bytes.has_value());
  f.name = "primary";
  last.positions[0].server_state = ServerState::kPrimary;
  set_final_lags(last, "primary", f);
  EXPECT_FALSE(f.replay_lag_bytes.has_value());
}

}  // namespace
}  // namespace replsim
