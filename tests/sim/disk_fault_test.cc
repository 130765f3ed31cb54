// Disk stalls and operating-system crashes in the simulator (docs/model.md "Disk stalls and
// operating-system crashes"): what a stalled disk holds back, and what an OS crash then loses
// that a process crash keeps.
#include <gtest/gtest.h>

#include "sim_test_util.h"

namespace replsim::sim::testing {
namespace {

std::string remote_write_failover(const std::string& crash_step) {
  return scenario("s1", "remote_write", "s1",
                  "  - stall_disk: s1\n" + insert("a") + "  - partition: s1\n  - " + crash_step +
                      ": s1\n  - start: s1\n  - promote: s1\n");
}

TEST(DiskFaultTest, RemoteWriteIsReleasedByTheWriteAndLostWithTheStandbysOperatingSystem) {
  const Prediction p = run_yaml(remote_write_failover("os_crash"));
  EXPECT_EQ(outcome(p, "a"), "acknowledged");
  EXPECT_EQ(presence(p, "s1", "a"), "absent");
  EXPECT_EQ(presence(p, "p", "a"), "present");
  EXPECT_NE(all_notes(p).find("hangs in fsync"), std::string::npos) << all_notes(p);
}

TEST(DiskFaultTest, ProcessCrashKeepsWhatTheStandbyWrote) {
  // The checker refuses a process crash of a stalled node; without the stall the same schedule
  // keeps the row, which is what makes the OS crash the cause above.
  const Prediction p = run_yaml(scenario(
      "s1", "remote_write", "s1", insert("a") + "  - partition: s1\n  - crash: s1\n  - start: s1\n  - promote: s1\n"));
  EXPECT_EQ(outcome(p, "a"), "acknowledged");
  EXPECT_EQ(presence(p, "s1", "a"), "present");
}

TEST(DiskFaultTest, OnWaitsForTheStalledStandbysFlush) {
  // synchronous_commit = on waits for the flush the stalled standby never completes.
  const Prediction p = run_yaml(
      scenario("s1", "on", "s1", "  - stall_disk: s1\n" + insert("a") + "  - os_crash: s1\n"));
  EXPECT_EQ(outcome(p, "a"), "blocked");
}

TEST(DiskFaultTest, TheStuckWalreceiverTakesOnlyItsFirstBatch) {
  // After its first write under the stall the walreceiver hangs in fsync: b's WAL waits in the
  // socket, so b is not released even under remote_write.
  const Prediction p = run_yaml(
      scenario("s1", "remote_write", "s1",
               "  - stall_disk: s1\n" + insert("a") + insert("b") + "  - wait: 100ms\n  - os_crash: s1\n"));
  EXPECT_EQ(outcome(p, "a"), "acknowledged");
  EXPECT_NE(outcome(p, "b"), "acknowledged");
}

TEST(DiskFaultTest, SyncOffCommitOnAStalledPrimaryIsLostByItsOperatingSystemCrash) {
  const Prediction p = run_yaml(
      scenario("s1", "off", "", "  - stall_disk: p\n" + insert("a") + "  - os_crash: p\n  - start: p\n"));
  EXPECT_EQ(outcome(p, "a"), "acknowledged");
  EXPECT_EQ(presence(p, "p", "a"), "absent");
  EXPECT_EQ(presence(p, "s1", "a"), "absent");
}

// Even at off, a TRUNCATE's commit is flushed (it drops relation files): on a stalled disk it
// waits in XLogFlush like a local commit and is in doubt once the node's system crashes.
TEST(DiskFaultTest, SyncOffTruncateOnAStalledPrimaryWaitsInXLogFlush) {
  const Prediction p = run_yaml(scenario(
      "s1", "off", "",
      "  - stall_disk: p\n  - truncate: t\n    table: products\n    cascade: true\n  - os_crash: p\n  - start: p\n"));
  EXPECT_EQ(outcome(p, "t"), "in_doubt");
  EXPECT_EQ(presence(p, "p", "t"), "absent");
}

TEST(DiskFaultTest, LocalCommitOnAStalledPrimaryWaitsInXLogFlushAndEndsInDoubt) {
  const Prediction p = run_yaml(
      scenario("s1", "local", "", "  - stall_disk: p\n" + insert("a") + "  - os_crash: p\n  - start: p\n"));
  EXPECT_EQ(outcome(p, "a"), "in_doubt");
  EXPECT_EQ(presence(p, "p", "a"), "absent");
}

TEST(DiskFaultTest, OsCrashWithoutAStallLosesNoMoreThanACrash) {
  for (const char* crash : {"crash", "os_crash"}) {
    const Prediction p = run_yaml(scenario("s1", "local", "", insert("a") + "  - " + crash + ": p\n  - start: p\n"));
    EXPECT_EQ(presence(p, "p", "a"), "present") << crash;
  }
}

}  // namespace
}  // namespace replsim::sim::testing
