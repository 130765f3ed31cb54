// Drill 3.1 on real PostgreSQL: a naive copy of a live data directory, taken in parts at
// different moments (writes and checkpoints in between), restored as it is and started.
// What PostgreSQL does with each copy is what the simulator's model must predict.
#include "harness_test_util.h"

namespace replsim::harness {
namespace {

using testing::dump;
using testing::outcome;
using testing::presence;
using testing::run_text;

constexpr int64_t kSeedCustomers = 6;

// Every line the timeline notes hold, for looking up PostgreSQL's own startup lines.
bool any_note_has(const History& h, const std::string& needle) {
  for (const auto& t : h.timeline)
    for (const auto& n : t.notes)
      if (n.find(needle) != std::string::npos) return true;
  return false;
}

// A whole copy of an idle primary, taken while it runs, restored after the primary is stopped
// and wiped: the copied postmaster.pid names a postmaster that is gone (a stale lock file), and
// crash recovery replays the insert that no checkpoint had written yet.
TEST(HarnessNaiveCopyTest, WholeCopyOfAnIdlePrimaryRestoresEveryCommittedRow) {
  History h = run_text(R"yaml(
name: naive-copy-idle
cluster:
  primary: primary
steps:
  - insert: before
    table: customers
    values: {firstName: Before, lastName: Copy}
  - naive_copy: tarball
  - stop: primary
  - wipe: primary
  - restore: primary
    from: tarball
)yaml");
  const NodeFinal* restored = h.find_node("primary");
  ASSERT_NE(restored, nullptr) << dump(h);
  EXPECT_EQ(restored->state, NodeState::kPrimary) << dump(h);
  EXPECT_TRUE(restored->error.empty()) << dump(h);
  EXPECT_EQ(outcome(h, "before"), "acknowledged") << dump(h);
  EXPECT_EQ(presence(h, "primary", "before"), "present") << dump(h);
  EXPECT_EQ(restored->row_counts.at("customers"), kSeedCustomers + 1) << dump(h);
  EXPECT_EQ(restored->row_counts.at("products"), 5) << dump(h);
  EXPECT_TRUE(any_note_has(h, "database system was not properly shut down; automatic recovery in progress")) << dump(h);
}

// The same copy restored while its source still runs: the copied postmaster.pid names a live
// postmaster, and PostgreSQL refuses to start (docs/postgresql-notes.md, "Naive copy: the lock
// file"). The source is untouched.
TEST(HarnessNaiveCopyTest, CopyOfARunningServerRefusesToStartOnItsLockFile) {
  History h = run_text(R"yaml(
name: naive-copy-live-lock-file
cluster:
  primary: primary
steps:
  - insert: before
    table: customers
    values: {firstName: Before, lastName: Copy}
  - naive_copy: tarball
  - restore: copy
    from: tarball
)yaml");
  const NodeFinal* copy = h.find_node("copy");
  ASSERT_NE(copy, nullptr) << dump(h);
  EXPECT_EQ(copy->state, NodeState::kStopped) << dump(h);
  EXPECT_EQ(copy->error, "refuses_to_start") << dump(h);
  EXPECT_NE(copy->error_detail.find("FATAL:  lock file \"postmaster.pid\" already exists"), std::string::npos)
      << dump(h);
  EXPECT_TRUE(copy->presence.empty()) << dump(h);
  EXPECT_EQ(h.find_node("primary")->state, NodeState::kPrimary) << dump(h);
  EXPECT_EQ(presence(h, "primary", "before"), "present") << dump(h);
}

// Data files, commit status and WAL from one moment; pg_control from after a later
// checkpoint. The checkpoint pg_control names lies beyond the copied WAL.
TEST(HarnessNaiveCopyTest, PgControlNewerThanTheCopiedWalCannotFindItsCheckpoint) {
  History h = run_text(R"yaml(
name: naive-copy-control-after-wal
cluster:
  primary: primary
steps:
  - naive_copy: torn
    files: [base, pg_xact, pg_wal]
  - insert: during
    table: customers
    values: {firstName: During, lastName: Copy}
  - checkpoint
  - naive_copy: torn
    files: [global]
  - stop: primary
  - restore: restored
    from: torn
)yaml");
  EXPECT_EQ(outcome(h, "during"), "acknowledged") << dump(h);
  const NodeFinal* restored = h.find_node("restored");
  ASSERT_NE(restored, nullptr) << dump(h);
  EXPECT_EQ(restored->state, NodeState::kStopped) << dump(h);
  EXPECT_EQ(restored->error, "refuses_to_start") << dump(h);
  EXPECT_NE(restored->error_detail.find("PANIC:  could not locate a valid checkpoint record"), std::string::npos)
      << dump(h);
}

// Data files and commit status from before an acknowledged insert and the checkpoint that
// followed it; WAL and pg_control from after. Crash recovery starts at that checkpoint's
// redo point, after the insert, so nothing replays it and the copied data files never had
// it: the server starts and the acknowledged row is silently gone. A row committed and
// checkpointed before the copy began is there; one committed before the copy began but after
// the last checkpoint is gone too (it lived only in the WAL before the redo point).
TEST(HarnessNaiveCopyTest, DataFilesOlderThanTheCheckpointSilentlyLoseAnAcknowledgedInsert) {
  History h = run_text(R"yaml(
name: naive-copy-torn
cluster:
  primary: primary
steps:
  - insert: early
    table: customers
    values: {firstName: Early, lastName: Checkpointed}
  - checkpoint
  - insert: unflushed
    table: customers
    values: {firstName: Before, lastName: Copy}
  - naive_copy: torn
    files: [base, pg_xact]
  - insert: during
    table: customers
    values: {firstName: During, lastName: Copy}
  - checkpoint
  - naive_copy: torn
    files: [pg_wal, global]
  - stop: primary
  - restore: restored
    from: torn
)yaml");
  for (const char* label : {"early", "unflushed", "during"}) EXPECT_EQ(outcome(h, label), "acknowledged") << label;
  const NodeFinal* restored = h.find_node("restored");
  ASSERT_NE(restored, nullptr) << dump(h);
  EXPECT_EQ(restored->state, NodeState::kPrimary) << dump(h);
  EXPECT_TRUE(restored->error.empty()) << dump(h);
  EXPECT_EQ(presence(h, "restored", "early"), "present") << dump(h);
  EXPECT_EQ(presence(h, "restored", "unflushed"), "absent") << dump(h);
  EXPECT_EQ(presence(h, "restored", "during"), "absent") << dump(h);
  EXPECT_EQ(restored->row_counts.at("customers"), kSeedCustomers + 1) << dump(h);
  EXPECT_EQ(restored->row_counts.at("orderitems"), 6) << dump(h);
}

}  // namespace
}  // namespace replsim::harness
