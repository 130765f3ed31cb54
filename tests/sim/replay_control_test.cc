// Replay control in the model (docs/model.md, "Replay control"): pg_wal_replay_pause() stops
// the standby's startup process while its walreceiver still writes, flushes and reports; a
// remote_apply commit waits for the apply position and is released by pg_wal_replay_resume();
// an `on` commit is released by the flush; a primary refuses both calls with 55000; promotion
// and a restart end a pause.
#include <gtest/gtest.h>

#include "sim_test_util.h"

namespace replsim::sim::testing {
namespace {

const NodePosition* last_position(const Prediction& p, const std::string& node) {
  if (p.timeline.empty()) return nullptr;
  for (const auto& pos : p.timeline.back().positions)
    if (pos.node == node) return &pos;
  return nullptr;
}

std::string server_state(const Prediction& p, const std::string& node) {
  const NodeFinal* n = p.find_node(node);
  return n == nullptr || !n->server_state ? "?" : to_string(*n->server_state);
}

TEST(ReplayControlTest, WalIsFlushedButNotReplayedWhilePaused) {
  const Prediction p = run_yaml(scenario(
      "r", "on", "", insert("before") + "  - catchup\n  - pause_replay: r\n" + insert("during") + "  - wait: 100ms\n"));
  const NodePosition* r = last_position(p, "r");
  const NodePosition* primary = last_position(p, "p");
  ASSERT_NE(r, nullptr);
  ASSERT_NE(primary, nullptr);
  EXPECT_EQ(r->write_lsn, primary->flush_lsn);  // Received, written and flushed.
  EXPECT_LT(r->replay_lsn, r->write_lsn);       // Not replayed.
  EXPECT_EQ(presence(p, "r", "before"), "present");
  EXPECT_EQ(presence(p, "r", "during"), "absent");
  EXPECT_EQ(presence(p, "p", "during"), "present");
  EXPECT_EQ(server_state(p, "r"), "replay_paused");
  // The final lags: received everything, replay held back by exactly the WAL since the pause.
  const NodeFinal* f = p.find_node("r");
  ASSERT_TRUE(f->receive_lag_bytes.has_value());
  EXPECT_EQ(*f->receive_lag_bytes, 0);
  EXPECT_EQ(*f->replay_lag_bytes, static_cast<int64_t>(primary->flush_lsn.value - r->replay_lsn.value));
}

TEST(ReplayControlTest, RemoteApplyCommitBlocksWhilePausedAndResumeReleasesIt) {
  const std::string head = "  - catchup\n  - pause_replay: r\n" + insert("waits");
  const Prediction blocked = run_yaml(scenario("r", "remote_apply", "r", head + "  - wait: 500ms\n"));
  EXPECT_EQ(outcome(blocked, "waits"), "blocked");
  EXPECT_EQ(presence(blocked, "r", "waits"), "absent");

  const Prediction resumed = run_yaml(
      scenario("r", "remote_apply", "r", head + "  - resume_replay: r\n" + insert("after")));
  EXPECT_EQ(outcome(resumed, "waits"), "acknowledged");
  EXPECT_TRUE(resumed.find_tx("waits")->waited_for_sync);
  EXPECT_EQ(outcome(resumed, "after"), "acknowledged");
  EXPECT_EQ(presence(resumed, "r", "waits"), "present");
  EXPECT_EQ(presence(resumed, "r", "after"), "present");
  EXPECT_EQ(server_state(resumed, "r"), "standby");
}

TEST(ReplayControlTest, OnCommitIsReleasedByTheFlush) {
  const Prediction p = run_yaml(scenario("r", "on", "r", "  - catchup\n  - pause_replay: r\n" + insert("flushed")));
  EXPECT_EQ(outcome(p, "flushed"), "acknowledged");
  EXPECT_EQ(presence(p, "r", "flushed"), "absent");
  // remote_write too: the walreceiver writes on.
  const Prediction w = run_yaml(scenario("r", "remote_write", "r", "  - catchup\n  - pause_replay: r\n" + insert("w")));
  EXPECT_EQ(outcome(w, "w"), "acknowledged");
}

// Only the startup process starts a walreceiver, and while replay is paused it does not: a
// connection lost then (here by a crash of the primary) comes back only after resume_replay.
TEST(ReplayControlTest, ALostConnectionIsNotReestablishedWhileReplayIsPaused) {
  const std::string head = "  - catchup\n  - pause_replay: r\n  - crash: p\n  - start: p\n  - wait: 1s\n";
  const Prediction paused = run_yaml(scenario("r", "on", "", head));
  EXPECT_EQ(paused.timeline.back().positions[1].sync_state, "");
  EXPECT_NE(all_notes(paused).find("r does not reconnect: its replay is paused"), std::string::npos)
      << all_notes(paused);
  const Prediction resumed = run_yaml(scenario("r", "on", "", head + "  - resume_replay: r\n  - wait: 1s\n"));
  EXPECT_EQ(resumed.timeline.back().positions[1].sync_state, "async");
}

TEST(ReplayControlTest, PrimaryRefusesBothCalls) {
  const Prediction p = run_yaml(
      scenario("r", "on", "", "  - pause_replay: p\n  - resume_replay: p\n" + insert("after")));
  for (int step : {0, 1}) {
    const StepResult* s = p.find_step(step);
    ASSERT_NE(s, nullptr);
    EXPECT_TRUE(s->refused);
    EXPECT_EQ(s->sqlstate, "55000");
    EXPECT_EQ(s->message, "recovery is not in progress");
  }
  EXPECT_EQ(outcome(p, "after"), "acknowledged");
  EXPECT_EQ(server_state(p, "p"), "primary");
  // Resuming a standby that is not paused is accepted and changes nothing.
  const Prediction q = run_yaml(scenario("r", "on", "", "  - resume_replay: r\n" + insert("a")));
  EXPECT_FALSE(q.find_step(0)->refused);
  EXPECT_EQ(server_state(q, "r"), "standby");
}

TEST(ReplayControlTest, PromotionAndRestartEndThePause) {
  const std::string head = "  - catchup\n  - pause_replay: r\n" + insert("during") + "  - wait: 100ms\n";
  const Prediction promoted = run_yaml(scenario("r", "on", "", head + "  - crash: p\n  - promote: r\n"));
  EXPECT_EQ(presence(promoted, "r", "during"), "present");  // Everything flushed is replayed first.
  EXPECT_EQ(server_state(promoted, "r"), "primary");

  const Prediction restarted = run_yaml(scenario("r", "on", "", head + "  - stop: r\n  - start: r\n  - catchup\n"));
  EXPECT_EQ(presence(restarted, "r", "during"), "present");
  EXPECT_EQ(server_state(restarted, "r"), "standby");

  // A SIGSTOP and SIGCONT of the standby keep it: the state is in its shared memory.
  const Prediction frozen = run_yaml(scenario("r", "on", "", head + "  - pause: r\n  - resume: r\n  - wait: 100ms\n"));
  EXPECT_EQ(presence(frozen, "r", "during"), "absent");
  EXPECT_EQ(server_state(frozen, "r"), "replay_paused");
}

}  // namespace
}  // namespace replsim::sim::testing
