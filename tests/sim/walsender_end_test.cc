// When a walsender ends, and what that does to the commits waiting on it (docs/model.md,
// "Synchronous replication" and "Standbys and the network"), and the WAL a failed statement
// leaves (docs/model.md, "Steps PostgreSQL refuses"). Each case was a disagreement of the
// differential campaign against real PostgreSQL 15.
#include <gtest/gtest.h>

#include "sim_test_util.h"

namespace replsim::sim::testing {
namespace {

bool has(const std::string& outcomes, const std::string& one) { return outcomes.find(one) != std::string::npos; }

// The sync_state `node` shows in pg_stat_replication right after step `step` (1-based).
std::string sync_state_after(const Prediction& p, int step, const std::string& node) {
  for (const auto& e : p.timeline) {
    if (e.step != step - 1) continue;
    for (const auto& pos : e.positions)
      if (pos.node == node) return pos.sync_state;
  }
  return "no such entry";
}

Lsn insert_lsn_after(const Prediction& p, int step) {
  for (const auto& e : p.timeline)
    if (e.step == step - 1) return e.positions[0].insert_lsn;
  return Lsn{};
}

// s1 is synchronous and stalled; its operating system crashes; s2 becomes synchronous, but
// syncrep.c releases waiters only at a synchronous standby's reply: s2's next status reply,
// at once or up to wal_receiver_status_interval later. Right after the crash that is "either".
TEST(WalsenderEndTest, WaitersGoAtTheNewSyncStandbysNextReplyNotAtTheWalsendersEnd) {
  const std::string steps = "  - catchup\n  - stall_disk: s1\n" + insert("t1") + "  - os_crash: s1\n";
  const Prediction at_once = run_yaml(scenario("s1, s2", "on", "FIRST 1 (s1, s2)", steps));
  EXPECT_TRUE(has(outcome(at_once, "t1"), "blocked")) << outcome(at_once, "t1");
  EXPECT_TRUE(has(outcome(at_once, "t1"), "acknowledged")) << outcome(at_once, "t1");
  EXPECT_EQ(presence(at_once, "p", "t1"), "either");

  const Prediction later = run_yaml(scenario("s1, s2", "on", "FIRST 1 (s1, s2)", steps + "  - wait: 1500ms\n"));
  EXPECT_EQ(outcome(later, "t1"), "acknowledged") << "s2 replied within wal_receiver_status_interval";
  EXPECT_NE(all_notes(later).find("confirmed by s2"), std::string::npos) << all_notes(later);
}

// The stop's end of the connection cannot cross a partition: s1's walsender lives on until
// wal_sender_timeout, still the synchronous standby, and t1 waits for it.
TEST(WalsenderEndTest, AStandbyStoppedBehindAPartitionKeepsItsWalsenderUntilTheTimeout) {
  const std::string steps = "  - catchup\n  - partition: s1\n  - stop: s1\n" + insert("t1");
  const Prediction p = run_yaml(scenario("s1, s2", "on", "FIRST 1 (s1, s2)", steps));
  EXPECT_EQ(sync_state_after(p, 3, "s1"), "sync") << "pg_stat_replication still lists the stopped s1";
  EXPECT_EQ(outcome(p, "t1"), "blocked");
  EXPECT_NE(all_notes(p).find("walsender on p streams on"), std::string::npos) << all_notes(p);

  // wal_sender_timeout (2 s after the partition), then s2's next reply (at most 1 s later).
  const Prediction timed_out = run_yaml(scenario("s1, s2", "on", "FIRST 1 (s1, s2)", steps + "  - wait: 3500ms\n"));
  EXPECT_EQ(sync_state_after(timed_out, 5, "s1"), "");
  EXPECT_EQ(outcome(timed_out, "t1"), "acknowledged");

  // A heal lets the end cross at once.
  const Prediction healed = run_yaml(
      scenario("s1, s2", "on", "FIRST 1 (s1, s2)", steps + "  - heal: s1\n  - wait: 1500ms\n"));
  EXPECT_EQ(sync_state_after(healed, 5, "s1"), "");
  EXPECT_EQ(outcome(healed, "t1"), "acknowledged");

  // Unpartitioned, the stop ends the walsender at once; s2's reply releases t1 within a second.
  const Prediction plain = run_yaml(scenario("s1, s2", "on", "FIRST 1 (s1, s2)",
                                             "  - catchup\n  - stop: s1\n" + insert("t1") + "  - wait: 1500ms\n"));
  EXPECT_EQ(sync_state_after(plain, 2, "s1"), "");
  EXPECT_EQ(outcome(plain, "t1"), "acknowledged");
}

// With only the replies cut, the walsender's own messages draw a reset from the closed
// socket at a time the model does not know: "either".
TEST(WalsenderEndTest, AStopBehindAToPrimaryCutEndsTheWalsenderAtATimeThatIsEither) {
  const std::string steps = "  - catchup\n  - partition: s1\n    direction: to_primary\n  - stop: s1\n" + insert("t1");
  const Prediction p = run_yaml(scenario("s1, s2", "on", "FIRST 1 (s1, s2)", steps));
  EXPECT_TRUE(has(outcome(p, "t1"), "blocked")) << outcome(p, "t1");
  EXPECT_TRUE(has(outcome(p, "t1"), "acknowledged")) << outcome(p, "t1");
}

// wal_sender_timeout counts from the last reply, which an idle standby sends every status
// interval (not modelled): after 0.9 s of idling, s1's walsender ends between 1.1 s and 2 s
// after the partition, so at 1.6 s whether t1 is still waiting is "either".
TEST(WalsenderEndTest, TheTimeoutCountsFromTheLastReplyWhichTheModelKnowsOnlyWithinAnInterval) {
  const std::string steps = "  - catchup\n  - wait: 900ms\n  - partition: s1\n" + insert("t1") + "  - wait: 1300ms\n";
  const Prediction p = run_yaml(scenario("s1, s2", "on", "FIRST 1 (s1, s2)", steps));
  EXPECT_TRUE(has(outcome(p, "t1"), "blocked")) << outcome(p, "t1");
  EXPECT_TRUE(has(outcome(p, "t1"), "acknowledged")) << outcome(p, "t1");

  // 3.4 s after the partition it has ended, and s2 has replied, at either extreme.
  const Prediction later = run_yaml(scenario("s1, s2", "on", "FIRST 1 (s1, s2)", steps + "  - wait: 1800ms\n"));
  EXPECT_EQ(outcome(later, "t1"), "acknowledged");
}

// No cancel request reaches a paused server (the harness's client sends none): the commit
// goes on waiting, and is released or not as if no cancel had been asked.
TEST(CancelTest, ACancelOfACommitWaitingOnAPausedPrimaryChangesNothing) {
  const Prediction p = run_yaml(scenario("s1", "on", "FIRST 1 (s1)",
                                         "  - partition: s1\n" + insert("t1") + "  - pause: p\n  - cancel: t1\n"));
  EXPECT_EQ(outcome(p, "t1"), "blocked");
  EXPECT_NE(all_notes(p).find("no cancel request is sent"), std::string::npos) << all_notes(p);
}

// A DELETE that its foreign key check refuses has deleted (and WAL-logged) the rows first:
// its WAL stays, with an abort record. A NOT NULL error comes before any heap change.
TEST(FailedStatementWalTest, AForeignKeyErrorLeavesItsChangesAndAnAbortRecordInTheWal) {
  const Prediction p = run_yaml(scenario("s1", "on", "",
                                         "  - catchup\n"
                                         "  - delete: refused\n    table: customers\n    where: {id: 1}\n"
                                         "  - insert: no_name\n    table: customers\n    values: {lastName: \"\"}\n"
                                         "  - insert: null_name\n    table: products\n    values: {price: 1}\n"));
  EXPECT_EQ(outcome(p, "refused"), "failed");
  EXPECT_GT(insert_lsn_after(p, 2).value, insert_lsn_after(p, 1).value) << "the delete's records and the abort";
  EXPECT_EQ(outcome(p, "null_name"), "failed");
  EXPECT_EQ(insert_lsn_after(p, 4), insert_lsn_after(p, 3)) << "NOT NULL is checked before heap_insert";
  EXPECT_EQ(presence(p, "s1", "refused"), "absent");
  EXPECT_EQ(presence(p, "p", "refused"), "absent");
}

}  // namespace
}  // namespace replsim::sim::testing
