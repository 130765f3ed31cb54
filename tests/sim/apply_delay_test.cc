// Delayed standbys in the model (docs/model.md, "Delayed standbys"): recovery_min_apply_delay
// holds each commit record until its timestamp plus the delay while the walreceiver receives
// and flushes at once; remote_apply waits for it; a promotion ends the wait and replays all
// received; a restart keeps the delay; resume_replay at a paused recovery target promotes.
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

const char* kDelayed = "r, {name: d, apply_delay: 500ms}";

TEST(ApplyDelayTest, ACommitIsFlushedAtOnceAndVisibleOnlyAfterTheDelay) {
  const Prediction early = run_yaml(scenario(kDelayed, "on", "", insert("a") + "  - catchup: r\n  - wait: 100ms\n"));
  const NodePosition* d = last_position(early, "d");
  const NodePosition* p = last_position(early, "p");
  ASSERT_NE(d, nullptr);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(d->write_lsn, p->flush_lsn);   // Received and flushed.
  EXPECT_LT(d->replay_lsn, d->write_lsn);  // The commit record is held.
  EXPECT_EQ(presence(early, "d", "a"), "absent");
  EXPECT_EQ(presence(early, "r", "a"), "present");
  // Held for long after the last step: its final lag is predicted, as still.
  ASSERT_FALSE(early.find_node("d")->receive_lag_bytes.has_value()) << "due within the final look: in motion";

  const Prediction late = run_yaml(scenario(kDelayed, "on", "", insert("a") + "  - catchup: r\n  - wait: 600ms\n"));
  EXPECT_EQ(presence(late, "d", "a"), "present");
  EXPECT_EQ(last_position(late, "d")->replay_lsn, last_position(late, "d")->write_lsn);
}

TEST(ApplyDelayTest, ALongDelayHoldsTheFinalLagStill) {
  const Prediction p = run_yaml(
      scenario("r, {name: d, apply_delay: 10min}", "on", "", insert("a") + "  - catchup: r\n"));
  const NodeFinal* d = p.find_node("d");
  ASSERT_TRUE(d->receive_lag_bytes.has_value());
  EXPECT_EQ(*d->receive_lag_bytes, 0);
  EXPECT_GT(*d->replay_lag_bytes, 0);
  EXPECT_EQ(presence(p, "d", "a"), "absent");
}

TEST(ApplyDelayTest, RemoteApplyWaitsForTheDelay) {
  const std::string standbys = "{name: d, apply_delay: 1s}";
  const Prediction waiting = run_yaml(scenario(standbys, "remote_apply", "d", insert("a") + "  - wait: 500ms\n"));
  EXPECT_EQ(outcome(waiting, "a"), "blocked");
  const Prediction done = run_yaml(scenario(standbys, "remote_apply", "d", insert("a") + "  - wait: 1s\n"));
  EXPECT_EQ(outcome(done, "a"), "acknowledged");
  EXPECT_TRUE(done.find_tx("a")->waited_for_sync);
  // `on` waits for the flush only: acknowledged within its step, held on the standby.
  const Prediction on = run_yaml(scenario(standbys, "on", "d", insert("a")));
  EXPECT_EQ(outcome(on, "a"), "acknowledged");
  EXPECT_EQ(presence(on, "d", "a"), "absent");
}

TEST(ApplyDelayTest, PromotionAppliesEverythingReceivedAtOnce) {
  const Prediction p = run_yaml(scenario("r, {name: d, apply_delay: 10min}", "on", "",
                                         insert("a") + "  - catchup: r\n  - wait: 10ms\n  - pause_replay: d\n"
                                                       "  - crash: p\n  - promote: d\n"));
  EXPECT_EQ(presence(p, "d", "a"), "present");
}

TEST(ApplyDelayTest, ARestartedDelayedStandbyStillHoldsTheCommit) {
  const std::string steps = insert("a") +
                            "  - catchup: r\n  - wait: 10ms\n  - crash: d\n  - start: d\n  - wait: 100ms\n";
  const Prediction held = run_yaml(scenario("r, {name: d, apply_delay: 1s}", "on", "", steps));
  EXPECT_EQ(presence(held, "d", "a"), "absent");
  const Prediction due = run_yaml(scenario("r, {name: d, apply_delay: 1s}", "on", "", steps + "  - wait: 1s\n"));
  EXPECT_EQ(presence(due, "d", "a"), "present");
}

TEST(ApplyDelayTest, EachCommitIsHeldFromItsOwnTimestamp) {
  // a is due 500 ms after its commit and applied; b, committed 600 ms later, is still held.
  const Prediction p = run_yaml(
      scenario(kDelayed, "on", "",
               insert("a") + "  - catchup: r\n  - wait: 600ms\n" + insert("b") + "  - catchup: r\n  - wait: 100ms\n"));
  EXPECT_EQ(presence(p, "d", "a"), "present");
  EXPECT_EQ(presence(p, "d", "b"), "absent");
}

TEST(ApplyDelayTest, ResumeAtAPausedRecoveryTargetPromotes) {
  const std::string yaml =
      "name: t\ncluster:\n  primary: p\n  standbys: [r]\n  archive_mode: true\nsteps:\n"
      "  - base_backup: b\n" +
      insert("before") + "  - mark: m\n" + insert("after") +
      "  - switch_wal\n  - restore: x\n    from: b\n    target: {time: m}\n    action: pause\n"
      "  - resume_replay: x\n" +
      insert("own", "x");
  const Prediction p = run_yaml(yaml);
  EXPECT_EQ(presence(p, "x", "before"), "present");
  EXPECT_EQ(presence(p, "x", "after"), "absent");
  EXPECT_EQ(outcome(p, "own"), "acknowledged");
  const NodeFinal* x = p.find_node("x");
  ASSERT_NE(x, nullptr);
  EXPECT_EQ(x->timeline, 2u);
  ASSERT_TRUE(x->server_state.has_value());
  EXPECT_EQ(to_string(*x->server_state), std::string("primary"));
}

}  // namespace
}  // namespace replsim::sim::testing
