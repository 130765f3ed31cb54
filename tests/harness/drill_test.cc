// Drill 2.1 and its synchronous variants on real PostgreSQL: the network faults go
// through the fault proxy, the process faults to the servers' PIDs.
#include "harness_test_util.h"

namespace replsim::harness {
namespace {

using testing::dump;
using testing::outcome;
using testing::presence;
using testing::run_file;
using testing::run_text;

// The replica is partitioned through the proxy, Charlie is inserted and acknowledged, the
// primary crashes, the partition heals, the replica is promoted: Charlie is gone.
TEST(HarnessDrillTest, Drill21PartitionedReplicaLosesCharlieOnFailover) {
  History h = run_file(std::string(REPLSIM_SCENARIO_DIR) + "/drill-2.1-replication-lag.yaml");
  EXPECT_EQ(h.source, "postgresql");
  EXPECT_EQ(outcome(h, "charlie"), "acknowledged") << dump(h);
  EXPECT_EQ(presence(h, "replica", "charlie"), "absent") << dump(h);
  const NodeFinal* replica = h.find_node("replica");
  ASSERT_NE(replica, nullptr);
  EXPECT_EQ(replica->state, NodeState::kPrimary);
  EXPECT_EQ(replica->timeline, 2u) << dump(h);
  EXPECT_EQ(replica->row_counts.at("customers"), 6);  // The seed's six, without Charlie.
  const LagMeasure* lag = h.find_lag("before_failover");
  ASSERT_NE(lag, nullptr);
  EXPECT_EQ(lag->transactions, 1);
  EXPECT_GT(lag->receive_lag_bytes, 0);
  EXPECT_TRUE(lag->failover_loses_data);
  EXPECT_EQ(lag->at_risk, std::vector<std::string>{"charlie"});
  const TxRecord* charlie = h.find_tx("charlie");
  EXPECT_NE(charlie->xid, 0u);
  EXPECT_GT(charlie->commit_lsn.value, 0u);
  EXPECT_GT(charlie->commit_time_us, 0);
}

// The same with the replica as the synchronous standby: the commit waits instead of being
// acknowledged, and the crash leaves the waiting client in doubt.
TEST(HarnessDrillTest, SyncTwinBlocksTheInsert) {
  History h = run_file(std::string(REPLSIM_SCENARIO_DIR) + "/drill-2.1-sync.yaml");
  EXPECT_EQ(outcome(h, "charlie"), "in_doubt") << dump(h);
  bool blocked = false;
  for (const auto& e : h.events) blocked = blocked || (e.type == HistoryEvent::Type::kBlocked && e.label == "charlie");
  EXPECT_TRUE(blocked) << dump(h);
  EXPECT_TRUE(h.find_tx("charlie")->waited_for_sync);
  EXPECT_GT(h.find_tx("charlie")->commit_lsn.value, 0u);  // Committed locally before the wait.
  EXPECT_EQ(presence(h, "replica", "charlie"), "absent") << dump(h);
}

// A commit blocked on synchronous replication, then cancelled: the client gets success with
// a warning, the row is visible on the primary, and no standby ever acknowledged it.
TEST(HarnessDrillTest, CancelledSyncCommitIsVisibleLocallyButNeverAcknowledged) {
  History h = run_text(R"yaml(
name: cancel-blocked-sync-commit
cluster:
  primary: primary
  standbys: [replica]
  synchronous_standby_names: "FIRST 1 (replica)"
steps:
  - partition: replica
  - insert: charlie
    table: customers
    values: {firstName: Charlie, lastName: Davis, email: charlie.davis@critical.com}
  - cancel: charlie
)yaml");
  EXPECT_EQ(outcome(h, "charlie"), "cancelled") << dump(h);
  EXPECT_EQ(presence(h, "primary", "charlie"), "present") << dump(h);
  EXPECT_EQ(presence(h, "replica", "charlie"), "absent") << dump(h);
  EXPECT_EQ(h.find_node("primary")->row_counts.at("customers"), 7);
}

// While partitioned the standby falls behind (the lag check sees it and names the commit at
// risk); after heal it catches up and holds the row.
TEST(HarnessDrillTest, PartitionedStandbyCatchesUpAfterHeal) {
  History h = run_text(R"yaml(
name: catch-up-after-heal
cluster:
  primary: primary
  standbys: [replica]
steps:
  - partition: replica
  - insert: charlie
    table: customers
    values: {firstName: Charlie, lastName: Davis}
  - check_lag: during
    node: replica
  - heal: replica
  - catchup: replica
  - check_lag: after
    node: replica
)yaml");
  EXPECT_EQ(outcome(h, "charlie"), "acknowledged") << dump(h);
  const LagMeasure* during = h.find_lag("during");
  const LagMeasure* after = h.find_lag("after");
  ASSERT_TRUE(during != nullptr && after != nullptr) << dump(h);
  EXPECT_TRUE(during->failover_loses_data);
  EXPECT_GT(during->receive_lag_bytes, 0);
  EXPECT_FALSE(after->failover_loses_data) << dump(h);
  EXPECT_EQ(after->replay_lag_bytes, 0) << dump(h);
  EXPECT_EQ(presence(h, "replica", "charlie"), "present") << dump(h);
  EXPECT_TRUE(h.find_node("replica")->error.empty()) << dump(h);
}

}  // namespace
}  // namespace replsim::harness
