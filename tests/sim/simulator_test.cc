// Scenarios run through the simulator, one behaviour of PostgreSQL 15 each.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "sim_test_util.h"

namespace replsim::sim::testing {
namespace {

TEST(SimulatorTest, AsyncCommitSurvivesPromotionAfterCatchup) {
  auto p = run_yaml(
      scenario("r", "on", "", "  - catchup\n" + insert("a") + "  - catchup\n  - crash: p\n  - promote: r\n"));
  EXPECT_EQ(outcome(p, "a"), "acknowledged");
  EXPECT_EQ(presence(p, "r", "a"), "present");
}

const char* kOneStandbyAsync = "r";

TEST(SimulatorTest, PartitionedAsyncCommitIsAcknowledgedThenLostOnPromotion) {
  auto p = run_yaml(
      scenario(kOneStandbyAsync, "on", "",
               "  - catchup\n  - partition: r\n" + insert("a") + "  - crash: p\n  - heal: r\n  - promote: r\n"));
  EXPECT_EQ(outcome(p, "a"), "acknowledged");
  EXPECT_EQ(presence(p, "r", "a"), "absent");
  EXPECT_NE(all_notes(p).find("never reached r (partitioned since step 2)"), std::string::npos) << all_notes(p);
}

TEST(SimulatorTest, SyncCommitBlocksWhilePartitionedAndIsReleasedOnHeal) {
  auto p = run_yaml(
      scenario("r", "on", "FIRST 1 (r)", "  - partition: r\n" + insert("a") + "  - heal: r\n  - catchup\n"));
  EXPECT_EQ(outcome(p, "a"), "acknowledged");
  EXPECT_TRUE(p.find_tx("a")->waited_for_sync);
  EXPECT_EQ(presence(p, "r", "a"), "present");
}

TEST(SimulatorTest, EveryRemoteLevelBlocksOnAnUnreachableSyncStandbyButLocalDoesNot) {
  for (const char* level : {"remote_write", "on", "remote_apply"}) {
    auto p = run_yaml(scenario("r", level, "r", "  - partition: r\n" + insert("a")));
    EXPECT_EQ(outcome(p, "a"), "blocked") << level;
    EXPECT_EQ(presence(p, "p", "a"), "absent") << level << ": a waiting commit is invisible to other sessions";
  }
  for (const char* level : {"local", "off"}) {
    auto p = run_yaml(scenario("r", level, "r", "  - partition: r\n" + insert("a")));
    EXPECT_EQ(outcome(p, "a"), "acknowledged") << level;
    EXPECT_FALSE(p.find_tx("a")->waited_for_sync) << level;
  }
}

TEST(SimulatorTest, EveryLevelIsAcknowledgedWithAHealthySyncStandby) {
  for (const char* level : {"off", "local", "remote_write", "on", "remote_apply"}) {
    // At off the WAL writer flushes within wal_writer_delay (200 ms); catchup waits only for
    // what the primary has flushed.
    const std::string wait = std::string(level) == "off" ? "  - wait: 300ms\n" : "";
    auto p = run_yaml(scenario("r", level, "r", insert("a") + wait + "  - catchup\n"));
    EXPECT_EQ(outcome(p, "a"), "acknowledged") << level;
    EXPECT_EQ(presence(p, "r", "a"), "present") << level;
  }
}

// catchup compares with pg_current_wal_flush_lsn(), as the harness does: right after an
// asynchronous commit, whether the WAL writer has flushed it (and the standby has it) is timing.
TEST(SimulatorTest, CatchupDoesNotWaitForTheWalWriter) {
  auto p = run_yaml(scenario("r", "off", "r", insert("a") + "  - catchup\n"));
  EXPECT_EQ(presence(p, "r", "a"), "either");
  EXPECT_EQ(presence(p, "p", "a"), "present");
}

TEST(SimulatorTest, CancelledWaitIsCommittedLocallyButNeverAcknowledged) {
  auto p = run_yaml(scenario("r", "on", "FIRST 1 (r)", "  - partition: r\n" + insert("a") + "  - cancel: a\n"));
  EXPECT_EQ(outcome(p, "a"), "cancelled");
  EXPECT_EQ(presence(p, "p", "a"), "present");
  EXPECT_EQ(presence(p, "r", "a"), "absent");
}

// pg_terminate_backend of the waiting backend: the client loses its connection, the commit
// stands, leaves the wait queue (the next commit waits on its own) and streams on the heal.
TEST(SimulatorTest, TerminatedWaitIsInDoubtCommittedAndReachesTheStandbyOnHeal) {
  auto p = run_yaml(scenario("r", "on", "FIRST 1 (r)",
                             "  - partition: r\n" + insert("a") + "  - terminate: a\n" + insert("b") +
                                 "  - heal: r\n  - catchup\n"));
  EXPECT_EQ(outcome(p, "a"), "in_doubt");
  EXPECT_EQ(outcome(p, "b"), "acknowledged");
  EXPECT_EQ(presence(p, "p", "a"), "present");
  EXPECT_EQ(presence(p, "r", "a"), "present");
  EXPECT_NE(all_notes(p).find("a terminated: committed locally on p"), std::string::npos) << all_notes(p);
}

TEST(SimulatorTest, TerminateLeavesACommitThatIsNotWaitingAndAPausedPrimaryAlone) {
  auto done = run_yaml(scenario("r", "on", "FIRST 1 (r)", insert("a") + "  - terminate: a\n"));
  EXPECT_EQ(outcome(done, "a"), "acknowledged");
  auto paused = run_yaml(
      scenario("r", "on", "FIRST 1 (r)", "  - partition: r\n" + insert("a") + "  - pause: p\n  - terminate: a\n"));
  EXPECT_EQ(outcome(paused, "a"), "blocked");
  EXPECT_NE(all_notes(paused).find("no pg_terminate_backend is sent"), std::string::npos) << all_notes(paused);
}

// A reload that empties synchronous_standby_names: the checkpointer wakes every waiter, and the
// next commit does not wait; the cut-off standby has neither.
TEST(SimulatorTest, ReloadEmptyingStandbyNamesReleasesWaitersAndStopsWaiting) {
  auto p = run_yaml(scenario("r", "on", "FIRST 1 (r)",
                             "  - partition: r\n" + insert("a") +
                                 "  - reload: p\n    synchronous_standby_names: ''\n" + insert("b")));
  EXPECT_EQ(outcome(p, "a"), "acknowledged");
  EXPECT_TRUE(p.find_tx("a")->waited_for_sync);
  EXPECT_EQ(outcome(p, "b"), "acknowledged");
  EXPECT_FALSE(p.find_tx("b")->waited_for_sync);
  EXPECT_EQ(presence(p, "r", "a"), "absent");
}

// Naming another, connected standby: the waiter goes at that walsender's next reply, which
// comes at once or after wal_receiver_status_interval; by the end of a wait it has.
TEST(SimulatorTest, ReloadNamingAConnectedStandbyReleasesAtItsNextReply) {
  auto p = run_yaml(scenario("r1, r2", "on", "FIRST 1 (r1)",
                             "  - partition: r1\n" + insert("a") +
                                 "  - reload: p\n    synchronous_standby_names: 'FIRST 1 (r2)'\n  - wait: 2s\n"));
  EXPECT_EQ(outcome(p, "a"), "acknowledged");
  EXPECT_EQ(presence(p, "r2", "a"), "present");
  EXPECT_EQ(p.timeline.back().positions[2].sync_state, "sync");
  EXPECT_NE(all_notes(p).find("reloads synchronous_standby_names = 'FIRST 1 (r2)'"), std::string::npos)
      << all_notes(p);
}

// From '' to a standby that is cut off: commits after the reload wait for it.
TEST(SimulatorTest, ReloadNamingACutOffStandbyMakesTheNextCommitWait) {
  auto p = run_yaml(scenario("r", "on", "", "  - partition: r\n  - reload: p\n    synchronous_standby_names: r\n" +
                                                insert("a")));
  EXPECT_EQ(outcome(p, "a"), "blocked");
}

TEST(SimulatorTest, WaitingCommitWhosePrimaryCrashesIsInDoubtAndPresentAfterRestart) {
  auto p = run_yaml(
      scenario("r", "on", "FIRST 1 (r)", "  - partition: r\n" + insert("a") + "  - crash: p\n  - start: p\n"));
  EXPECT_EQ(outcome(p, "a"), "in_doubt");
  EXPECT_EQ(presence(p, "p", "a"), "present");
}

TEST(SimulatorTest, SyncOffCrashWithinWalWriterDelayMayLoseAnAcknowledgedCommit) {
  auto p = run_yaml(scenario("r", "off", "", insert("a") + "  - crash: p\n  - start: p\n"));
  EXPECT_EQ(outcome(p, "a"), "acknowledged");
  EXPECT_EQ(presence(p, "p", "a"), "either");
  EXPECT_NE(all_notes(p).find("before the WAL writer flushed it"), std::string::npos) << all_notes(p);
}

// RecordTransactionCommit flushes a commit that drops relation files even at off, and
// TRUNCATE drops the table's old file: it survives a crash at once, and so does every async
// commit before it (the same flush covers their WAL).
TEST(SimulatorTest, SyncOffTruncateIsFlushedBeforeItReturns) {
  auto p = run_yaml(scenario(
      "r", "off", "",
      insert("a") + "  - truncate: t\n    table: products\n    cascade: true\n" + "  - crash: p\n  - start: p\n"));
  EXPECT_EQ(outcome(p, "t"), "acknowledged");
  EXPECT_EQ(presence(p, "p", "t"), "present");
  EXPECT_EQ(presence(p, "p", "a"), "present");
}

// The final lag is a snapshot: predicted only when no WAL is on its way to the standby as the
// run ends (an async commit the WAL writer has not flushed is; a settled standby is not).
TEST(SimulatorTest, TheFinalLagIsPredictedOnlyWhenNoWalIsInMotion) {
  auto moving = run_yaml(scenario("r", "off", "", insert("a")));
  auto settled = run_yaml(scenario("r", "off", "", insert("a") + "  - wait: 300ms\n"));
  const NodeFinal* m = moving.find_node("r");
  const NodeFinal* t = settled.find_node("r");
  ASSERT_NE(m, nullptr);
  ASSERT_NE(t, nullptr);
  EXPECT_FALSE(m->receive_lag_bytes.has_value());
  EXPECT_FALSE(m->replay_lag_bytes.has_value());
  EXPECT_EQ(t->receive_lag_bytes, 0);
  EXPECT_EQ(t->replay_lag_bytes, 0);
}

// A lag is a distance along one WAL stream: after a failover, a standby still following the
// old primary has none behind the new one (another timeline), and the new primary none at all.
TEST(SimulatorTest, OnlyAStandbyOfTheCurrentPrimaryHasAFinalLag) {
  auto p = run_yaml(scenario("r, s2", "on", "", insert("a") + "  - wait: 100ms\n  - promote: r\n"));
  ASSERT_NE(p.find_node("s2"), nullptr);
  ASSERT_NE(p.find_node("r"), nullptr);
  EXPECT_FALSE(p.find_node("s2")->receive_lag_bytes.has_value());
  EXPECT_FALSE(p.find_node("r")->receive_lag_bytes.has_value());
  auto before = run_yaml(scenario("r, s2", "on", "", insert("a") + "  - wait: 100ms\n"));
  EXPECT_EQ(before.find_node("s2")->receive_lag_bytes, 0);
}

// One WAL writer, one flush per wal_writer_delay cycle: c, committed just after the cycle that
// flushed a and b, waits for the next cycle (~200 ms later), not for a timer of b's own that a
// per-commit model would have fire 100 ms after a's. A crash 150 ms after c may lose it.
TEST(SimulatorTest, TheWalWriterFlushesOncePerCycle) {
  auto p = run_yaml(scenario("r", "off", "",
                             insert("a") + "  - wait: 100ms\n" + insert("b") + "  - wait: 100ms\n" + insert("c") +
                                 "  - wait: 150ms\n  - crash: p\n  - start: p\n"));
  EXPECT_EQ(presence(p, "p", "a"), "present");
  EXPECT_EQ(presence(p, "p", "b"), "present");
  EXPECT_EQ(presence(p, "p", "c"), "either") << all_notes(p);
}

TEST(SimulatorTest, SyncOffCommitIsDurableAfterTheWalWriterDelay) {
  auto p = run_yaml(scenario("r", "off", "", insert("a") + "  - wait: 300ms\n  - crash: p\n  - start: p\n"));
  EXPECT_EQ(presence(p, "p", "a"), "present");
  EXPECT_EQ(presence(p, "r", "a"), "present");
}

TEST(SimulatorTest, PauseIsNotAPartitionTheSocketDeliversAfterResume) {
  auto p = run_yaml(
      scenario("r", "on", "", "  - pause: r\n" + insert("a") + "  - crash: p\n  - resume: r\n  - promote: r\n"));
  EXPECT_EQ(outcome(p, "a"), "acknowledged");
  EXPECT_EQ(presence(p, "r", "a"), "present");
}

TEST(SimulatorTest, PausedSyncStandbyBlocksCommitsUntilResumed) {
  auto p = run_yaml(scenario("r", "on", "FIRST 1 (r)",
                             "  - pause: r\n" + insert("a") +
                                 "  - check_lag: l\n    node: r\n"
                                 "  - resume: r\n  - catchup\n"));
  EXPECT_EQ(outcome(p, "a"), "acknowledged");
  EXPECT_TRUE(p.find_tx("a")->waited_for_sync);
  ASSERT_NE(p.find_lag("l"), nullptr);
  EXPECT_EQ(p.find_lag("l")->transactions, 1);
  EXPECT_FALSE(p.find_lag("l")->failover_loses_data) << "a was not acknowledged yet";
}

TEST(SimulatorTest, AnyOneQuorumIsReleasedByTheReachableStandby) {
  auto p = run_yaml(scenario("r1, r2", "on", "ANY 1 (r1, r2)", "  - partition: r1\n" + insert("a")));
  EXPECT_EQ(outcome(p, "a"), "acknowledged");
  EXPECT_EQ(p.timeline.back().positions[2].sync_state, "quorum");
}

TEST(SimulatorTest, FirstOnePromotesThePotentialStandbyWhenTheSyncOneCrashes) {
  auto p = run_yaml(scenario("r1, r2", "on", "FIRST 1 (r1, r2)", "  - catchup\n  - crash: r1\n" + insert("a")));
  EXPECT_EQ(p.timeline[0].positions[1].sync_state, "sync");
  EXPECT_EQ(p.timeline[0].positions[2].sync_state, "potential");
  EXPECT_EQ(p.timeline.back().positions[2].sync_state, "sync");
  EXPECT_EQ(outcome(p, "a"), "acknowledged");
}

TEST(SimulatorTest, PromotionStartsANewTimelineAndTheOldPrimaryDiverges) {
  auto p = run_yaml(
      scenario("r", "on", "", "  - partition: r\n" + insert("a") + "  - crash: p\n  - promote: r\n  - start: p\n"));
  EXPECT_EQ(p.find_node("r")->timeline, 2u);
  EXPECT_EQ(p.find_node("p")->timeline, 1u);
  EXPECT_EQ(presence(p, "p", "a"), "present");
  EXPECT_EQ(presence(p, "r", "a"), "absent");
  EXPECT_NE(all_notes(p).find("it has diverged (its commits a past the switch point exist only on p)"),
            std::string::npos)
      << all_notes(p);
}

TEST(SimulatorTest, SplitBrainBothPrimariesAcceptWrites) {
  auto p = run_yaml(scenario("r", "on", "", "  - partition: r\n  - promote: r\n" + insert("x") + insert("y", "p")));
  EXPECT_EQ(p.find_tx("x")->node, "r");
  EXPECT_EQ(presence(p, "r", "x"), "present");
  EXPECT_EQ(presence(p, "p", "x"), "absent");
  EXPECT_EQ(presence(p, "p", "y"), "present");
  EXPECT_EQ(presence(p, "r", "y"), "absent");
  EXPECT_NE(all_notes(p).find("split brain"), std::string::npos);
}

TEST(SimulatorTest, WritesOnAStandbyFail) {
  auto p = run_yaml(scenario("r", "on", "", insert("a", "r")));
  EXPECT_EQ(outcome(p, "a"), "failed");
}

TEST(SimulatorTest, ForeignKeysAreEnforced) {
  auto p = run_yaml(scenario("r", "on", "",
                             "  - insert: o\n    table: orders\n    values: {customerId: 99}\n"
                             "  - delete: j\n    table: customers\n    where: {lastName: Johnson}\n"
                             "  - truncate: t\n    table: products\n"
                             "  - truncate: tc\n    table: products\n    cascade: true\n  - catchup\n"));
  EXPECT_EQ(outcome(p, "o"), "failed");
  EXPECT_EQ(outcome(p, "j"), "failed") << "the Johnsons have orders, and orders.customerid has no ON DELETE action";
  EXPECT_EQ(outcome(p, "t"), "failed");
  EXPECT_EQ(outcome(p, "tc"), "acknowledged");
  for (const char* node : {"p", "r"}) {
    const NodeFinal* n = p.find_node(node);
    EXPECT_EQ(n->row_counts.at("products"), 0) << node;
    EXPECT_EQ(n->row_counts.at("orderitems"), 0) << node;
    EXPECT_EQ(n->row_counts.at("orders"), 4) << node;
  }
}

TEST(SimulatorTest, UpdateAndDeleteEvaluateTheirFiltersOnRows) {
  auto p = run_yaml(scenario("r", "on", "",
                             "  - update: u\n    table: products\n    set: {stock: 0}\n    where: {price: 19.99}\n"
                             "  - insert: c\n    table: customers\n    values: {firstName: Z, lastName: Z}\n"
                             "  - delete: d\n    table: customers\n    where: {lastName: Z}\n  - catchup\n"));
  EXPECT_EQ(outcome(p, "u"), "acknowledged");
  EXPECT_EQ(outcome(p, "d"), "acknowledged");
  EXPECT_EQ(p.find_node("r")->row_counts.at("customers"), 6);
}

TEST(SimulatorTest, CleanStopSendsTheRemainingWalToReachableStandbys) {
  auto p = run_yaml(scenario("r", "off", "", insert("a") + "  - stop: p\n  - promote: r\n"));
  EXPECT_EQ(presence(p, "r", "a"), "present");
}

TEST(SimulatorTest, PerturbationLetsAsyncCommitsCrossAPartition) {
  const std::string yaml = scenario("r", "on", "",
                                    "  - partition: r\n" + insert("a") + "  - crash: p\n  - promote: r\n");
  EXPECT_EQ(presence(run_yaml(yaml), "r", "a"), "absent");
  EXPECT_EQ(presence(run_yaml(yaml, 1, Perturbation::kAsyncCommitsReachStandbyInstantly), "r", "a"), "present");
}

TEST(SimulatorTest, SameSeedGivesTheSameBytes) {
  const std::string yaml = scenario(
      "r1, r2", "on", "ANY 1 (r1, r2)",
      "  - pause: r1\n" + insert("a") + "  - partition: r2\n" + insert("b") + "  - resume: r1\n  - catchup\n");
  EXPECT_EQ(to_json(run_yaml(yaml, 7)).dump(), to_json(run_yaml(yaml, 7)).dump());
}

TEST(SimulatorTest, CrashedAndPausedNodesAreNotObservable) {
  auto p = run_yaml(scenario("r1, r2", "on", "", insert("a") + "  - crash: r1\n  - pause: r2\n"));
  EXPECT_EQ(p.find_node("r1")->state, NodeState::kCrashed);
  EXPECT_TRUE(p.find_node("r1")->presence.empty());
  EXPECT_EQ(p.find_node("r2")->state, NodeState::kPaused);
  EXPECT_TRUE(p.find_node("r2")->row_counts.empty());
}

}  // namespace
}  // namespace replsim::sim::testing

namespace replsim::sim::testing {
namespace {

// pg_stat_replication as the model predicts it: sync_priority is the place in the list with
// FIRST, 1 for every listed standby with ANY; a stopped standby has no row.
TEST(SimulatorTest, PgStatReplicationRowsUnderFirstAndAny) {
  auto row = [](const Prediction& p, const std::string& node) {
    for (const auto& pos : p.timeline.back().positions)
      if (pos.node == node)
        return fmt::format("{}/{}", pos.sync_state, pos.sync_priority ? std::to_string(*pos.sync_priority) : "-");
    return std::string("?");
  };
  const std::string yaml =
      "name: t\ncluster:\n  primary: p\n  standbys: [s1, s2, s3]\n  synchronous_standby_names: \"{}\"\n"
      "steps:\n  - catchup\n";
  auto first = run_yaml(fmt::format(fmt::runtime(yaml), "FIRST 1 (s1, s2)"));
  EXPECT_EQ(row(first, "s1"), "sync/1");
  EXPECT_EQ(row(first, "s2"), "potential/2");
  EXPECT_EQ(row(first, "s3"), "async/0");
  EXPECT_EQ(row(first, "p"), "/0");
  EXPECT_EQ(first.timeline.back().positions[1].server_state, ServerState::kStandby);
  auto any = run_yaml(fmt::format(fmt::runtime(yaml), "ANY 1 (s1, s2)"));
  EXPECT_EQ(row(any, "s1"), "quorum/1");
  EXPECT_EQ(row(any, "s2"), "quorum/1");
  auto stopped = run_yaml(fmt::format(fmt::runtime(yaml + "  - stop: s2\n"), "FIRST 1 (s1, s2)"));
  EXPECT_EQ(row(stopped, "s2"), "/0");
  EXPECT_EQ(stopped.timeline.back().positions[2].server_state, ServerState::kStopped);
  auto down = run_yaml(fmt::format(fmt::runtime(yaml + "  - crash: p\n"), ""));
  EXPECT_EQ(row(down, "s1"), "/-");  // pg_stat_replication cannot be read on a crashed primary.
}

}  // namespace
}  // namespace replsim::sim::testing
