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
  t.positions.push_back({"primary", "primary", 1, Lsn{0x3000148}, Lsn{0x3000148}, Lsn{}, Lsn{}, ""});
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

}  // namespace
}  // namespace replsim
