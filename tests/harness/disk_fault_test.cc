// Disk stalls and emulated operating-system crashes on real PostgreSQL 15: two false promises
// of issue #7 shown on real servers, each next to a control that differs only in the fault, so
// the test shows that the gate (undoing what was never fsynced) is what loses the commit.
//   - synchronous_commit = remote_write waits for the sync standby's write(), not its fsync
//     (PG15 docs 20.5.1 "synchronous_commit", 27.2.8 "Synchronous Replication");
//   - synchronous_commit = off acknowledges before the WAL is flushed (docs 30.4
//     "Asynchronous Commit").
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "harness/cluster.h"
#include "harness_test_util.h"

namespace replsim::harness {
namespace {

using Clock = std::chrono::steady_clock;

HarnessOptions disk_fault_options() {
  HarnessOptions o = testing::test_options();
  o.disk_faults = true;
  return o;
}

ClusterSpec spec_of(const std::vector<std::string>& standbys, SyncCommit level, const std::string& sync_names) {
  ClusterSpec spec;
  spec.nodes.push_back(NodeSpec{"primary", NodeRole::kPrimary, false, {}, std::nullopt});
  for (const auto& name : standbys) spec.nodes.push_back(NodeSpec{name, NodeRole::kStandby, false, {}, std::nullopt});
  spec.synchronous_commit = level;
  spec.synchronous_standby_names = sync_names;
  return spec;
}

std::unique_ptr<Cluster> make_cluster(const ClusterSpec& spec, const HarnessOptions& options = disk_fault_options()) {
  auto c = Cluster::create(options, spec);
  EXPECT_TRUE(c.ok()) << c.status().message();
  return c.ok() ? std::move(*c) : nullptr;
}

std::unique_ptr<PgConnection> connect(Cluster& c, const std::string& node) {
  auto conn = c.connect(*c.node(node));
  EXPECT_TRUE(conn.ok()) << conn.status().message();
  return conn.ok() ? std::move(*conn) : nullptr;
}

// The primary with table t(label), created before any standby is cloned (a standby named in
// synchronous_standby_names that does not exist yet would block the commit).
void init_primary_with_table(Cluster& c) {
  ASSERT_TRUE(c.init_primary("primary").ok());
  auto conn = connect(c, "primary");
  ASSERT_NE(conn, nullptr);
  ASSERT_TRUE(conn->exec("SET synchronous_commit = local").ok);
  PgReply r = conn->exec("CREATE TABLE t (label text PRIMARY KEY)");
  ASSERT_TRUE(r.ok) << r.error;
}

// Inserts `label` and says whether the commit came back successfully (acknowledged).
bool insert(PgConnection& conn, const std::string& label) {
  PgReply r = conn.exec("INSERT INTO t (label) VALUES ($1)", {label}, 5000);
  EXPECT_TRUE(r.ok && !r.timed_out) << label << ": " << r.error;
  return r.ok && !r.timed_out;
}

std::vector<std::string> labels_on(Cluster& c, const std::string& node) {
  auto conn = connect(c, node);
  if (conn == nullptr) return {"<no connection>"};
  PgReply r = conn->exec("SELECT label FROM t ORDER BY label");
  EXPECT_TRUE(r.ok) << r.error;
  std::vector<std::string> out;
  for (size_t i = 0; r.ok && i < r.rows.size(); ++i) out.push_back(r.at(i, 0));
  return out;
}

// Waits until the primary's walsender reports s1's flush position at the primary's flush LSN:
// whatever was committed so far is on s1's disk before its disk stalls.
void wait_standby_flushed(Cluster& c, const std::string& standby) {
  auto conn = connect(c, "primary");
  ASSERT_NE(conn, nullptr);
  const auto deadline = Clock::now() + std::chrono::seconds(5);
  for (;;) {
    PgReply r = conn->exec(
        "SELECT flush_lsn >= pg_current_wal_flush_lsn() FROM pg_stat_replication WHERE application_name = $1",
        {standby});
    ASSERT_TRUE(r.ok) << r.error;
    if (!r.rows.empty() && !r.null_at(0, 0) && r.at(0, 0) == "t") return;
    ASSERT_LT(Clock::now(), deadline) << standby << " never reported the primary's flush position";
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

// The remote_write staging: s1 is the synchronous standby; its disk stalls; "acked" commits
// with synchronous_commit = remote_write -- s1's walreceiver wrote it and replied, then hangs in
// fdatasync. The primary crashes (s1 can never fetch the WAL again), s1 suffers `fault`, is
// started and promoted. Returns the labels the promoted s1 holds.
std::vector<std::string> remote_write_then(bool os_crash) {
  auto c = make_cluster(spec_of({"s1"}, SyncCommit::kRemoteWrite, "FIRST 1 (s1)"));
  if (c == nullptr) return {"<no cluster>"};
  init_primary_with_table(*c);
  EXPECT_TRUE(c->add_standby(NodeSpec{"s1", NodeRole::kStandby, false, {}, std::nullopt}, "primary").ok());
  EXPECT_TRUE(c->wait_streaming("s1", 10000).ok());
  auto primary = connect(*c, "primary");
  if (primary == nullptr) return {"<no connection>"};
  EXPECT_TRUE(insert(*primary, "before"));
  wait_standby_flushed(*c, "s1");

  EXPECT_TRUE(c->stall_disk("s1").ok());
  // The promise under test: this commit is acknowledged by a synchronous standby.
  EXPECT_TRUE(insert(*primary, "acked"));
  auto held = c->unsynced_writes("s1");
  EXPECT_TRUE(held.ok() && held->writes > 0) << "s1's walreceiver wrote no WAL while stalled";

  EXPECT_TRUE(c->crash("primary").ok());
  if (os_crash) {
    Status s = c->os_crash("s1");
    EXPECT_TRUE(s.ok()) << s.message();
    EXPECT_GT(c->node("s1")->lost_writes.writes, 0) << c->node("s1")->lost_writes.describe();
  } else {
    EXPECT_TRUE(c->crash("s1").ok());
  }
  EXPECT_EQ(c->node("s1")->state, NodeState::kCrashed);
  Status started = c->start("s1");
  EXPECT_TRUE(started.ok()) << started.message();
  Status promoted = c->promote("s1");
  EXPECT_TRUE(promoted.ok()) << promoted.message();
  return labels_on(*c, "s1");
}

TEST(HarnessDiskFaultTest, OsCrashOfARemoteWriteSyncStandbyLosesAnAcknowledgedCommit) {
  EXPECT_EQ(remote_write_then(/*os_crash=*/true), (std::vector<std::string>{"before"}));
}

// The control: the same steps with a process crash of s1. The WAL s1 wrote is in the page
// cache, so crash recovery replays it and the promoted s1 has the commit.
TEST(HarnessDiskFaultTest, ProcessCrashOfTheSameStandbyKeepsTheCommit) {
  EXPECT_EQ(remote_write_then(/*os_crash=*/false), (std::vector<std::string>{"acked", "before"}));
}

// The synchronous_commit = off staging on a lone primary: its disk stalls, an asynchronous
// commit returns at once, the walwriter writes the commit record (journaled) and hangs in
// fdatasync; the primary suffers `fault` and restarts. Returns its labels.
std::vector<std::string> async_commit_then(bool os_crash) {
  auto c = make_cluster(spec_of({}, SyncCommit::kOn, ""));
  if (c == nullptr) return {"<no cluster>"};
  init_primary_with_table(*c);
  auto conn = connect(*c, "primary");
  if (conn == nullptr) return {"<no connection>"};
  EXPECT_TRUE(insert(*conn, "before"));  // synchronous_commit = on: flushed before it returns.

  EXPECT_TRUE(c->stall_disk("primary").ok());
  EXPECT_TRUE(conn->exec("SET synchronous_commit = off").ok);
  EXPECT_TRUE(insert(*conn, "async"));
  // The walwriter writes asynchronous commits within wal_writer_delay (200 ms): wait until the
  // commit record is in the file (journaled), so the control's process crash would keep it.
  const auto deadline = Clock::now() + std::chrono::seconds(3);
  Result<DiskJournalSummary> held = c->unsynced_writes("primary");
  while (held.ok() && held->writes == 0 && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    held = c->unsynced_writes("primary");
  }
  EXPECT_TRUE(held.ok() && held->writes > 0) << "the walwriter wrote no WAL within 3 s";
  conn.reset();

  Status s = os_crash ? c->os_crash("primary") : c->crash("primary");
  EXPECT_TRUE(s.ok()) << s.message();
  Status started = c->start("primary");
  EXPECT_TRUE(started.ok()) << started.message();
  return labels_on(*c, "primary");
}

TEST(HarnessDiskFaultTest, OsCrashLosesAnAcknowledgedAsynchronousCommit) {
  EXPECT_EQ(async_commit_then(/*os_crash=*/true), (std::vector<std::string>{"before"}));
}

TEST(HarnessDiskFaultTest, ProcessCrashKeepsAnAsynchronousCommit) {
  EXPECT_EQ(async_commit_then(/*os_crash=*/false), (std::vector<std::string>{"async", "before"}));
}

// synchronous_commit = on flushes before it acknowledges: on a stalled disk the commit does not
// come back (nor is it visible to others), and it completes once the disk recovers.
TEST(HarnessDiskFaultTest, StalledDiskHoldsASynchronousCommitUntilTheDiskRecovers) {
  auto c = make_cluster(spec_of({}, SyncCommit::kOn, ""));
  ASSERT_NE(c, nullptr);
  init_primary_with_table(*c);
  auto writer = connect(*c, "primary");
  auto reader = connect(*c, "primary");
  ASSERT_TRUE(writer != nullptr && reader != nullptr);
  ASSERT_TRUE(c->stall_disk("primary").ok());
  ASSERT_TRUE(writer->send("INSERT INTO t (label) VALUES ($1)", {"held"}).ok());
  PgReply waiting = writer->wait(2000);
  EXPECT_TRUE(waiting.timed_out) << "the commit returned on a stalled disk: " << waiting.error;
  PgReply seen = reader->exec("SELECT count(*) FROM t WHERE label = $1", {"held"});
  ASSERT_TRUE(seen.ok) << seen.error;
  EXPECT_EQ(seen.at(0, 0), "0");
  ASSERT_TRUE(c->unstall_disk("primary").ok());
  PgReply done = writer->wait(5000);
  EXPECT_TRUE(done.ok && !done.timed_out) << done.error;
  EXPECT_EQ(labels_on(*c, "primary"), (std::vector<std::string>{"held"}));
}

// Without a stall the gate passes everything through: nothing is journaled, and a crash -- of
// the processes or of the "operating system" -- keeps every synchronously committed row,
// because with fsync = on each was flushed before it was acknowledged.
TEST(HarnessDiskFaultTest, UnstalledGateLosesNothing) {
  auto c = make_cluster(spec_of({}, SyncCommit::kOn, ""));
  ASSERT_NE(c, nullptr);
  init_primary_with_table(*c);
  {
    auto conn = connect(*c, "primary");
    ASSERT_NE(conn, nullptr);
    EXPECT_TRUE(insert(*conn, "one"));
    EXPECT_TRUE(insert(*conn, "two"));
  }
  auto held = c->unsynced_writes("primary");
  ASSERT_TRUE(held.ok()) << held.status().message();
  EXPECT_EQ(held->writes, 0);
  ASSERT_TRUE(c->crash("primary").ok());
  ASSERT_TRUE(c->start("primary").ok());
  EXPECT_EQ(labels_on(*c, "primary"), (std::vector<std::string>{"one", "two"}));
  ASSERT_TRUE(c->os_crash("primary").ok());
  EXPECT_EQ(c->node("primary")->lost_writes.writes, 0);
  ASSERT_TRUE(c->start("primary").ok());
  EXPECT_EQ(labels_on(*c, "primary"), (std::vector<std::string>{"one", "two"}));
}

// A cluster created without disk_faults has no gate: the disk steps are refused, not ignored.
TEST(HarnessDiskFaultTest, DiskFaultsWithoutTheOptionAreRefused) {
  auto c = make_cluster(spec_of({}, SyncCommit::kOn, ""), testing::test_options());
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(c->init_primary("primary").ok());
  Status s = c->stall_disk("primary");
  EXPECT_EQ(s.code(), Status::Code::kInvalidInput);
  EXPECT_NE(s.message().find("disk_faults"), std::string::npos) << s.message();
  EXPECT_EQ(c->os_crash("primary").code(), Status::Code::kInvalidInput);
  EXPECT_EQ(c->stall_disk("nobody").code(), Status::Code::kInvalidInput);
}

}  // namespace
}  // namespace replsim::harness
