// Each history check against one history that violates it and one that does not.
#include "verifier/history_checks.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test_runs.h"

namespace replsim {
namespace {

using namespace replsim::testing;

// A cluster with a primary and one standby, and the steps of drill 2.1 under the given
// settings: catchup, partition?, insert a, crash primary, heal?, promote replica.
Scenario failover(const std::string& sync_commit, const std::string& names, bool partition) {
  return scenario("name: t\ncluster:\n  primary: primary\n  standbys: [replica]\n  synchronous_commit: \"" +
                  sync_commit + "\"\n  synchronous_standby_names: \"" + names + "\"\nsteps:\n  - catchup\n" +
                  (partition ? "  - partition: replica\n" : "  - wait: 1ms\n") +
                  "  - insert: a\n    table: customers\n    values: {firstName: A}\n  - crash: primary\n" +
                  (partition ? "  - heal: replica\n" : "  - wait: 1ms\n") + "  - promote: replica\n");
}

RunResult after_failover(TxOutcome outcome, Presence on_replica) {
  RunResult r;
  r.transactions = {tx("a", 2, "primary", {outcome}, 0x3000148)};
  r.nodes = {node("primary", "crashed", {}), node("replica", "primary", {{"a", on_replica}})};
  return r;
}

TEST(AcknowledgedCommitLostTest, SyncStandbyPromotedWithoutAnAcknowledgedCommitIsCaught) {
  // FIRST 1 (replica), synchronous_commit on, replica streaming: the ack came from the replica.
  Scenario s = failover("on", "FIRST 1 (replica)", /*partition=*/false);
  auto findings = check_acknowledged_commit_lost(s, after_failover(kAck, kAbsent));
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].check, kAcknowledgedCommitLost);
  EXPECT_EQ(findings[0].node, "replica");
  EXPECT_EQ(findings[0].labels, std::vector<std::string>{"a"});
  EXPECT_EQ(findings[0].lsns[0].to_string(), "0/3000148");
}

TEST(AcknowledgedCommitLostTest, SyncStandbyPromotedWithTheCommitPasses) {
  Scenario s = failover("on", "FIRST 1 (replica)", false);
  EXPECT_TRUE(check_acknowledged_commit_lost(s, after_failover(kAck, kPresent)).empty());
}

TEST(AcknowledgedCommitLostTest, AsyncPromotionMayLoseAcknowledgedCommits) {
  // Drill 2.1: asynchronous, so losing charlie breaks no promise.
  Scenario s = failover("on", "", true);
  EXPECT_TRUE(check_acknowledged_commit_lost(s, after_failover(kAck, kAbsent)).empty());
}

TEST(AcknowledgedCommitLostTest, LocalCommitPromisesNothingAboutStandbys) {
  Scenario s = failover("local", "FIRST 1 (replica)", false);
  EXPECT_TRUE(check_acknowledged_commit_lost(s, after_failover(kAck, kAbsent)).empty());
}

TEST(AcknowledgedCommitLostTest, InDoubtCommitsPromiseNothing) {
  Scenario s = failover("on", "FIRST 1 (replica)", true);
  EXPECT_TRUE(check_acknowledged_commit_lost(s, after_failover(kInDoubt, kAbsent)).empty());
}

Scenario restart(const std::string& sync_commit) {
  return scenario("name: t\ncluster:\n  primary: primary\n  standbys: [replica]\n  synchronous_commit: \"" +
                  sync_commit +
                  "\"\nsteps:\n  - insert: a\n    table: customers\n    values: {firstName: A}\n"
                  "  - crash: primary\n  - start: primary\n");
}

RunResult after_restart(Presence on_primary) {
  RunResult r;
  r.transactions = {tx("a", 0, "primary", {kAck})};
  r.nodes = {node("primary", "primary", {{"a", on_primary}}), node("replica", "standby", {{"a", on_primary}})};
  return r;
}

TEST(AcknowledgedCommitLostTest, PrimaryRestartedWithoutAFlushedCommitIsCaught) {
  auto findings = check_acknowledged_commit_lost(restart("local"), after_restart(kAbsent));
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].node, "primary");
  EXPECT_NE(findings[0].explanation.find("synchronous_commit = local"), std::string::npos) << findings[0].explanation;
}

TEST(AcknowledgedCommitLostTest, PrimaryRestartedWithTheCommitPasses) {
  EXPECT_TRUE(check_acknowledged_commit_lost(restart("on"), after_restart(kPresent)).empty());
}

TEST(AcknowledgedCommitLostTest, SynchronousCommitOffMayLoseTheLastCommitsOnACrash) {
  EXPECT_TRUE(check_acknowledged_commit_lost(restart("off"), after_restart(kAbsent)).empty());
}

Scenario quorum(const std::string& promoted) {
  return scenario(
      "name: t\ncluster:\n  primary: primary\n  standbys: [s1, s2]\n  synchronous_standby_names: \"ANY 1 (s1, s2)\"\n"
      "steps:\n  - catchup\n  - partition: s1\n  - insert: a\n    table: customers\n    values: {firstName: A}\n"
      "  - crash: primary\n  - promote: " +
      promoted + "\n");
}

TEST(AcknowledgedCommitLostTest, QuorumStandbyThatMustHaveAckedIsCaughtWithoutTheCommit) {
  // ANY 1 (s1, s2) with s1 cut off: only s2 can have released the commit.
  RunResult r;
  r.transactions = {tx("a", 2, "primary", {kAck})};
  r.nodes = {node("primary", "crashed", {}), node("s1", "standby", {{"a", kAbsent}}),
             node("s2", "primary", {{"a", kAbsent}})};
  auto findings = check_acknowledged_commit_lost(quorum("s2"), r);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].node, "s2");
}

TEST(AcknowledgedCommitLostTest, PartitionedQuorumMemberPromotedMayLackTheCommit) {
  RunResult r;
  r.transactions = {tx("a", 2, "primary", {kAck})};
  r.nodes = {node("primary", "crashed", {}), node("s1", "primary", {{"a", kAbsent}}),
             node("s2", "standby", {{"a", kPresent}})};
  EXPECT_TRUE(check_acknowledged_commit_lost(quorum("s1"), r).empty());
}

TEST(AcknowledgedCommitLostTest, PotentialStandbyPromotedMayLackTheCommit) {
  // FIRST 1 (s1, s2) with both streaming: s1 is the sync standby, s2 only potential.
  Scenario s = scenario(
      "name: t\ncluster:\n  primary: primary\n  standbys: [s1, s2]\n  synchronous_standby_names: \"FIRST 1 (s1, s2)\"\n"
      "steps:\n  - catchup\n  - insert: a\n    table: customers\n    values: {firstName: A}\n"
      "  - crash: primary\n  - promote: s2\n");
  RunResult r;
  r.transactions = {tx("a", 1, "primary", {kAck})};
  r.nodes = {node("primary", "crashed", {}), node("s1", "standby", {{"a", kPresent}}),
             node("s2", "primary", {{"a", kAbsent}})};
  EXPECT_TRUE(check_acknowledged_commit_lost(s, r).empty());
}

Scenario two_writes() {
  return scenario(
      "name: t\ncluster:\n  primary: primary\n  standbys: [replica]\nsteps:\n"
      "  - insert: a\n    table: customers\n    values: {firstName: A}\n"
      "  - insert: b\n    table: customers\n    values: {firstName: B}\n"
      "  - insert: c\n    table: customers\n    values: {firstName: C}\n  - catchup\n");
}

TEST(PhantomWriteTest, FailedTransactionPresentIsCaught) {
  RunResult r;
  r.transactions = {tx("a", 0, "primary", {kAck}), tx("b", 1, "primary", {kFailed}), tx("c", 2, "primary", {kAck})};
  r.nodes = {node("primary", "primary", {{"a", kPresent}, {"b", kPresent}, {"c", kPresent}})};
  auto findings = check_phantom_write(two_writes(), r);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].labels, std::vector<std::string>{"b"});
}

TEST(PhantomWriteTest, UnknownLabelPresentIsCaught) {
  RunResult r;
  r.transactions = {tx("a", 0, "primary", {kAck})};
  r.nodes = {node("replica", "standby", {{"a", kPresent}, {"zed", kPresent}})};
  auto findings = check_phantom_write(two_writes(), r);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].labels, std::vector<std::string>{"zed"});
  EXPECT_EQ(findings[0].node, "replica");
}

TEST(PhantomWriteTest, InDoubtCancelledAndBlockedMayAllBePresent) {
  RunResult r;
  r.transactions = {tx("a", 0, "primary", {kInDoubt}), tx("b", 1, "primary", {kCancelled}),
                    tx("c", 2, "primary", {kBlocked})};
  r.nodes = {node("primary", "primary", {{"a", kPresent}, {"b", kPresent}, {"c", kPresent}})};
  EXPECT_TRUE(check_phantom_write(two_writes(), r).empty());
}

TEST(StandbyNotPrefixTest, GapInTheCommitOrderIsCaught) {
  RunResult r;
  r.transactions = {tx("a", 0, "primary", {kAck}, 0x3000100), tx("b", 1, "primary", {kAck}, 0x3000200),
                    tx("c", 2, "primary", {kAck}, 0x3000300)};
  r.nodes = {node("primary", "primary", {{"a", kPresent}, {"b", kPresent}, {"c", kPresent}}),
             node("replica", "standby", {{"a", kPresent}, {"b", kAbsent}, {"c", kPresent}})};
  auto findings = check_standby_not_prefix(two_writes(), r);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].node, "replica");
  EXPECT_EQ(findings[0].labels, (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(findings[0].lsns[0].to_string(), "0/3000200");
}

TEST(StandbyNotPrefixTest, LaggingStandbyHoldsAPrefix) {
  RunResult r;
  r.transactions = {tx("a", 0, "primary", {kAck}), tx("b", 1, "primary", {kAck}), tx("c", 2, "primary", {kAck})};
  r.nodes = {node("replica", "standby", {{"a", kPresent}, {"b", kPresent}, {"c", kAbsent}})};
  EXPECT_TRUE(check_standby_not_prefix(two_writes(), r).empty());
}

TEST(StandbyNotPrefixTest, InDoubtCommitMayBeMissingBeforeALaterOne) {
  RunResult r;
  r.transactions = {tx("a", 0, "primary", {kAck}), tx("b", 1, "primary", {kInDoubt}), tx("c", 2, "primary", {kAck})};
  r.nodes = {node("replica", "standby", {{"a", kPresent}, {"b", kAbsent}, {"c", kPresent}})};
  EXPECT_TRUE(check_standby_not_prefix(two_writes(), r).empty());
}

TEST(StandbyNotPrefixTest, CommitStillWaitingIsInvisibleOnItsOwnPrimary) {
  // b blocked on a sync wait: committed in the WAL, not yet visible on the primary itself.
  RunResult r;
  r.transactions = {tx("a", 0, "primary", {kAck}), tx("b", 1, "primary", {kBlocked}), tx("c", 2, "primary", {kAck})};
  r.nodes = {node("primary", "primary", {{"a", kPresent}, {"b", kAbsent}, {"c", kPresent}})};
  EXPECT_TRUE(check_standby_not_prefix(two_writes(), r).empty());
}

Scenario pitr() {
  return scenario(R"(name: t
cluster:
  primary: primary
  archive_mode: on
steps:
  - insert: a
    table: customers
    values: {firstName: A}
  - base_backup: bk
  - insert: b
    table: customers
    values: {firstName: B}
  - restore_point: rp
  - insert: c
    table: customers
    values: {firstName: C}
  - switch_wal
  - restore: pitr
    from: bk
    target: {name: rp}
    action: promote
)");
}

RunResult after_pitr(Presence a, Presence b, Presence c) {
  RunResult r;
  r.transactions = {tx("a", 0, "primary", {kAck}), tx("b", 2, "primary", {kAck}), tx("c", 4, "primary", {kAck})};
  r.nodes = {node("primary", "primary", {{"a", kPresent}, {"b", kPresent}, {"c", kPresent}}),
             node("pitr", "primary", {{"a", a}, {"b", b}, {"c", c}})};
  return r;
}

TEST(PitrNotExactPrefixTest, ExactPrefixUpToTheRestorePointPasses) {
  EXPECT_TRUE(check_pitr_not_exact_prefix(pitr(), after_pitr(kPresent, kPresent, kAbsent)).empty());
}

TEST(PitrNotExactPrefixTest, CommitBeyondTheTargetIsCaught) {
  auto findings = check_pitr_not_exact_prefix(pitr(), after_pitr(kPresent, kPresent, kPresent));
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].node, "pitr");
  EXPECT_EQ(findings[0].labels, std::vector<std::string>{"c"});
  EXPECT_NE(findings[0].explanation.find("beyond the target: c"), std::string::npos) << findings[0].explanation;
}

TEST(PitrNotExactPrefixTest, MissingCommitBeforeTheTargetIsCaught) {
  auto findings = check_pitr_not_exact_prefix(pitr(), after_pitr(kPresent, kAbsent, kAbsent));
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].labels, std::vector<std::string>{"b"});
  EXPECT_NE(findings[0].explanation.find("missing: b"), std::string::npos) << findings[0].explanation;
}

TEST(PitrNotExactPrefixTest, RecoveryThatNeverReachedItsTargetIsNotJudged) {
  RunResult r = after_pitr(kAbsent, kAbsent, kAbsent);
  r.nodes[1].error = "recovery_target_not_reached";
  EXPECT_TRUE(check_pitr_not_exact_prefix(pitr(), r).empty());
}

TEST(PitrNotExactPrefixTest, ExclusiveXidTargetStopsBeforeThatTransaction) {
  Scenario s = scenario(R"(name: t
cluster:
  primary: primary
  archive_mode: on
steps:
  - base_backup: bk
  - insert: a
    table: customers
    values: {firstName: A}
  - insert: b
    table: customers
    values: {firstName: B}
  - switch_wal
  - restore: pitr
    from: bk
    target: {xid: b}
    inclusive: false
    action: promote
)");
  RunResult r;
  r.transactions = {tx("a", 1, "primary", {kAck}), tx("b", 2, "primary", {kAck})};
  r.nodes = {node("pitr", "primary", {{"a", kPresent}, {"b", kAbsent}})};
  EXPECT_TRUE(check_pitr_not_exact_prefix(s, r).empty());
  r.nodes[0].presence["b"] = kPresent;
  auto findings = check_pitr_not_exact_prefix(s, r);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].labels, std::vector<std::string>{"b"});
}

TEST(HistoryChecksTest, DrillTwoOneHistoryBreaksNoPromise) {
  // charlie acknowledged, lost on the promoted replica: expected under async replication.
  Scenario s = failover("on", "", true);
  EXPECT_TRUE(check_history(s, after_failover(kAck, kAbsent)).empty());
  EXPECT_EQ(history_check_names().size(), 4u);
}

TEST(HistoryChecksTest, FindingSurvivesJson) {
  auto findings = check_standby_not_prefix(two_writes(), [] {
    RunResult r;
    r.transactions = {tx("a", 0, "primary", {kAck}, 0x10), tx("b", 1, "primary", {kAck}, 0x20)};
    r.nodes = {node("replica", "standby", {{"a", kAbsent}, {"b", kPresent}})};
    return r;
  }());
  ASSERT_EQ(findings.size(), 1u);
  auto back = finding_from_json(to_json(findings[0]));
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->labels, findings[0].labels);
  EXPECT_EQ(back->lsns, findings[0].lsns);
  EXPECT_EQ(back->explanation, findings[0].explanation);
}

}  // namespace
}  // namespace replsim

namespace replsim::testing {
namespace {

// Two restore points with one name: recovery stops at the first the server made; one a standby
// refused (pg_create_restore_point() in recovery) wrote nothing and is not the cut.
TEST(PitrNotExactPrefixTest, RestorePointNamedTwiceCutsAtTheFirstTheServerMade) {
  const Scenario s = scenario(R"(name: t
cluster:
  primary: primary
  standbys: [replica]
  archive_mode: on
steps:
  - base_backup: bk
  - restore_point: rp
    node: replica
  - insert: b
    table: customers
    values: {firstName: B}
  - restore_point: rp
  - insert: c
    table: customers
    values: {firstName: C}
  - restore_point: rp
  - switch_wal
  - restore: pitr
    from: bk
    target: {name: rp}
    action: promote
)");
  RunResult r;
  r.transactions = {tx("b", 2, "primary", {kAck}), tx("c", 4, "primary", {kAck})};
  r.nodes = {node("primary", "primary", {{"b", kPresent}, {"c", kPresent}}),
             node("pitr", "primary", {{"b", kPresent}, {"c", kAbsent}})};
  for (int i = 0; i < 8; ++i) r.steps.push_back(StepResult{i, "", i == 1, i == 1 ? "55000" : "", "", false});
  EXPECT_TRUE(check_pitr_not_exact_prefix(s, r).empty());
  // Had the standby's restore point been made, b would lie beyond the cut.
  r.steps[1].refused = false;
  const auto findings = check_pitr_not_exact_prefix(s, r);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].labels, std::vector<std::string>{"b"});
}

}  // namespace
}  // namespace replsim::testing
