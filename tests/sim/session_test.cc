// Named sessions in the model (docs/model.md, "Sessions"): a statement writes its WAL when it
// runs and its row becomes visible with the commit record; xids follow first writes, the order
// of transactions follows commits; an error aborts the transaction; the end of the session's
// server ends it; its commit waits for synchronous replication as any commit.
#include <gtest/gtest.h>

#include "sim_test_util.h"

namespace replsim::sim::testing {
namespace {

std::string begin(const std::string& label, const std::string& node = "") {
  return "  - begin: " + label + "\n" + (node.empty() ? "" : "    node: " + node + "\n");
}

std::string statement(const std::string& label, const std::string& session, const std::string& table = "customers",
                      const std::string& values = "") {
  const std::string v = values.empty() ? "{firstName: S, lastName: " + label + "}" : values;
  return "  - insert: " + label + "\n    session: " + session + "\n    table: " + table + "\n    values: " + v + "\n";
}

const StepResult* step_result(const Prediction& p, int step) { return p.find_step(step); }

TEST(SessionTest, CommitOrderNotXidOrderDecidesWhoComesFirst) {
  const Prediction p = run_yaml(scenario("r", "on", "",
                                         begin("long") + statement("l1", "long") + begin("short") +
                                             statement("s1", "short") + "  - commit: short\n" +
                                             "  - commit: long\n  - catchup\n"));
  const TxRecord* l = p.find_tx("long");
  const TxRecord* s = p.find_tx("short");
  ASSERT_NE(l, nullptr);
  ASSERT_NE(s, nullptr);
  EXPECT_LT(l->xid, s->xid);                // long wrote first: the smaller xid.
  EXPECT_LT(s->commit_lsn, l->commit_lsn);  // short committed first.
  EXPECT_EQ(l->step, 5);                    // A session's transaction is recorded at its commit.
  EXPECT_EQ(outcome(p, "long"), "acknowledged");
  EXPECT_EQ(presence(p, "r", "long"), "present");
  EXPECT_EQ(presence(p, "r", "short"), "present");
  EXPECT_EQ(p.find_node("p")->row_counts.at("customers"), 8);
}

TEST(SessionTest, RecoveryToAnXidKeepsWhatCommittedBeforeItWhateverItsXid) {
  const std::string steps = "  - base_backup: b\n" + begin("long") + statement("l1", "long") + begin("short") +
                            statement("s1", "short") + "  - commit: short\n  - commit: long\n  - switch_wal\n" +
                            "  - restore: x\n    from: b\n    target: {xid: short}\n    action: promote\n" +
                            "  - restore: y\n    from: b\n    target: {xid: long}\n    inclusive: false\n";
  std::string yaml = scenario("r", "on", "", steps);
  yaml.insert(yaml.find("steps:"), "  archive_mode: true\n");
  const Prediction p = run_yaml(yaml);
  EXPECT_EQ(presence(p, "x", "short"), "present");
  EXPECT_EQ(presence(p, "x", "long"), "absent");
  EXPECT_EQ(presence(p, "y", "short"), "present");
  EXPECT_EQ(presence(p, "y", "long"), "absent");
}

TEST(SessionTest, AnOpenTransactionIsInvisibleAndDiesWithItsPrimary) {
  const Prediction p = run_yaml(scenario("r", "on", "r",
                                         begin("open") + statement("o1", "open") + insert("later") +
                                             "  - crash: p\n  - start: p\n" + statement("o2", "open") +
                                             "  - commit: open\n  - catchup\n"));
  EXPECT_EQ(outcome(p, "later"), "acknowledged");
  EXPECT_EQ(outcome(p, "open"), "failed");
  EXPECT_EQ(presence(p, "p", "open"), "absent");
  EXPECT_EQ(presence(p, "r", "open"), "absent");
  EXPECT_EQ(p.find_node("p")->row_counts.at("customers"), 7);
  EXPECT_NE(all_notes(p).find("o2: not run"), std::string::npos) << all_notes(p);
}

TEST(SessionTest, AnErrorAbortsTheTransactionAndLaterStatementsAreRefused) {
  const Prediction p = run_yaml(scenario("r", "on", "",
                                         begin("a") + statement("a1", "a") +
                                             statement("a2", "a", "orders", "{customerId: \"999\", status: x}") +
                                             statement("a3", "a") + "  - commit: a\n"));
  ASSERT_NE(step_result(p, 2), nullptr);
  EXPECT_EQ(step_result(p, 2)->sqlstate, "23503");
  EXPECT_EQ(step_result(p, 3)->sqlstate, "25P02");
  EXPECT_FALSE(step_result(p, 4)->refused);
  EXPECT_EQ(outcome(p, "a"), "failed");
  EXPECT_EQ(presence(p, "p", "a"), "absent");
  EXPECT_EQ(p.find_node("p")->row_counts.at("customers"), 6);
}

TEST(SessionTest, ASessionOnAStandbyIsReadOnlyEvenAfterItsPromotion) {
  const Prediction p = run_yaml(
      scenario("r", "on", "", begin("a", "r") + "  - promote: r\n" + statement("a1", "a") + "  - commit: a\n"));
  EXPECT_EQ(step_result(p, 2)->sqlstate, "25006");
  EXPECT_EQ(outcome(p, "a"), "failed");
}

TEST(SessionTest, ItsCommitWaitsForTheSynchronousStandby) {
  const Prediction p = run_yaml(
      scenario("r", "on", "r", begin("a") + statement("a1", "a") + "  - partition: r\n  - commit: a\n"));
  EXPECT_EQ(outcome(p, "a"), "blocked");
  EXPECT_TRUE(p.find_tx("a")->waited_for_sync);
}

TEST(SessionTest, ATruncateWaitsForTheOpenSessionsTableLockAndIsGivenUp) {
  const Prediction p = run_yaml(scenario("r", "on", "",
                                         begin("a") + statement("a1", "a") +
                                             "  - truncate: t\n    table: customers\n    cascade: true\n" +
                                             "  - commit: a\n"));
  EXPECT_EQ(outcome(p, "t"), "failed");
  EXPECT_EQ(outcome(p, "a"), "acknowledged");
  EXPECT_NE(all_notes(p).find("its session has not committed"), std::string::npos) << all_notes(p);
}

TEST(SessionTest, RollbackLeavesNothing) {
  const Prediction p = run_yaml(
      scenario("r", "on", "", begin("a") + statement("a1", "a") + "  - rollback: a\n  - catchup\n"));
  EXPECT_EQ(outcome(p, "a"), "failed");
  EXPECT_EQ(presence(p, "r", "a"), "absent");
  EXPECT_EQ(p.find_node("r")->row_counts.at("customers"), 6);
}

}  // namespace
}  // namespace replsim::sim::testing
