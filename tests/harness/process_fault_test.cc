// Process faults on real PostgreSQL: pause/resume of a whole server, crash, clean stop,
// restart and wipe, each through the PIDs the harness started.
#include "harness_test_util.h"

namespace replsim::harness {
namespace {

using testing::dump;
using testing::outcome;
using testing::presence;
using testing::run_text;

// Pausing the replica is not a partition (docs/postgresql-notes.md, "Pausing a standby is not
// a partition"). The WAL the walsender wrote sits in the paused replica's socket buffer;
// resumed and promoted after the primary's crash, the replica has Charlie. (The seed's drill
// 2.1 used pause; that is why replsim partitions.)
TEST(HarnessProcessFaultTest, PausedReplicaIsNotPartitionedSoCharlieSurvives) {
  History h = run_text(R"yaml(
name: pause-is-not-partition
cluster:
  primary: primary
  standbys: [replica]
steps:
  - pause: replica
  - insert: charlie
    table: customers
    values: {firstName: Charlie, lastName: Davis}
  - wait: 200ms
  - check_lag: paused
    node: replica
  - crash: primary
  - resume: replica
  - wait: 200ms
  - promote: replica
)yaml");
  EXPECT_EQ(outcome(h, "charlie"), "acknowledged") << dump(h);
  EXPECT_EQ(presence(h, "replica", "charlie"), "present") << dump(h);
  ASSERT_FALSE(h.timeline.empty());
  EXPECT_EQ(h.timeline[0].positions[1].state, "paused");
}

// A cancel of a commit waiting on a paused primary: the stopped postmaster cannot serve a
// cancel request, and PQcancel has no timeout, so the harness used to wait for ever (a
// differential campaign run hung here). It sends none; the commit goes on waiting.
TEST(HarnessProcessFaultTest, CancelOnAPausedPrimarySendsNothingAndDoesNotHang) {
  History h = run_text(R"yaml(
name: cancel-on-paused-primary
cluster:
  primary: primary
  standbys: [replica]
  synchronous_standby_names: "FIRST 1 (replica)"
steps:
  - partition: replica
  - insert: charlie
    table: customers
    values: {firstName: Charlie, lastName: Davis}
  - pause: primary
  - cancel: charlie
  - resume: primary
)yaml");
  EXPECT_EQ(outcome(h, "charlie"), "blocked") << dump(h);
}

// A crashed primary restarts with its rows (crash recovery); a stopped standby restarts and
// catches up; a wiped standby is gone, and one started anyway (the parser forbids it, a
// Scenario built in C++ need not) refuses to start with the server's own words.
TEST(HarnessProcessFaultTest, CrashRestartStopAndWipe) {
  auto scenario = parse_scenario_text(R"yaml(
name: crash-restart-wipe
cluster:
  primary: primary
  standbys: [replica, spare]
steps:
  - stop: replica
  - insert: charlie
    table: customers
    values: {firstName: Charlie, lastName: Davis}
  - crash: primary
  - start: primary
  - start: replica
  - catchup: replica
  - crash: spare
  - wipe: spare
)yaml",
                                      "crash-restart-wipe.yaml");
  ASSERT_TRUE(scenario.ok()) << scenario.status().message();
  Step start_spare;
  start_spare.kind = StepKind::kStart;
  start_spare.node = "spare";
  scenario->steps.push_back(start_spare);
  auto run = run_scenario(*scenario, testing::test_options());
  ASSERT_TRUE(run.ok()) << run.status().message();
  const History& h = *run;
  ASSERT_EQ(h.nodes.size(), 3u) << dump(h);
  EXPECT_EQ(outcome(h, "charlie"), "acknowledged") << dump(h);
  EXPECT_EQ(presence(h, "primary", "charlie"), "present") << dump(h);
  EXPECT_EQ(presence(h, "replica", "charlie"), "present") << dump(h);
  EXPECT_EQ(h.find_node("replica")->state, NodeState::kStandby);
  EXPECT_EQ(h.timeline.at(7).positions.at(2).state, "wiped");
  const NodeFinal* spare = h.find_node("spare");
  EXPECT_EQ(spare->error, "refuses_to_start") << dump(h);
  EXPECT_NE(spare->error_detail.find("No such file or directory"), std::string::npos) << dump(h);
}

// A write to a standby fails (read-only transaction) and is recorded as failed.
TEST(HarnessProcessFaultTest, WriteToStandbyFails) {
  History h = run_text(R"yaml(
name: write-to-standby
cluster:
  primary: primary
  standbys: [replica]
steps:
  - insert: charlie
    table: customers
    values: {firstName: Charlie, lastName: Davis}
    node: replica
)yaml");
  EXPECT_EQ(outcome(h, "charlie"), "failed") << dump(h);
  ASSERT_NE(h.find_tx("charlie"), nullptr);
  EXPECT_NE(h.find_tx("charlie")->detail.find("read-only"), std::string::npos) << dump(h);
}

}  // namespace
}  // namespace replsim::harness
