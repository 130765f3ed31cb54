// Backups, the WAL archive, point-in-time recovery, naive copies and WAL retention in the
// simulator: the recovery drills' expectations, every recovery target kind and action,
// archiving triggers and the bad input the scenario checker refuses.
#include <gtest/gtest.h>

#include <filesystem>

#include "sim/archive.h"
#include "sim_test_util.h"
#include "verifier/expectations.h"
#include "vocab/scenario_parser.h"

namespace replsim::sim::testing {
namespace {

std::string scenarios_dir() {
  const char* dir = std::getenv("REPLSIM_SOURCE_DIR");
  return std::string(dir ? dir : ".") + "/scenarios";
}

// A primary p with standby r, archiving on; `cluster` adds settings.
std::string archived(const std::string& steps, const std::string& cluster = "", const std::string& standbys = "r") {
  return "name: t\ncluster:\n  primary: p\n  standbys: [" + standbys +
         "]\n  synchronous_standby_names: \"\"\n"
         "  archive_mode: true\n" +
         cluster + "steps:\n" + steps;
}

std::string restore(const std::string& node, const std::string& target, const std::string& extra = "") {
  return "  - restore: " + node + "\n    from: b\n" + (target.empty() ? "" : "    target: " + target + "\n") + extra;
}

std::string error_of(const Prediction& p, const std::string& node) {
  const NodeFinal* n = p.find_node(node);
  return n == nullptr ? "?" : n->error;
}

std::string state_of(const Prediction& p, const std::string& node) {
  const NodeFinal* n = p.find_node(node);
  return n == nullptr ? "?" : to_string(n->state);
}

// a, b2 and c around a mark and a restore point, all archived by the clean stop.
const std::string kHistory = "  - base_backup: b\n" + insert("a") + "  - mark: m\n" + insert("b2") +
                             "  - restore_point: rp\n" + insert("c") + "  - stop: p\n";

TEST(RecoveryTargetTest, EveryKindStopsAtItsPlace) {
  auto p = run_yaml(archived(kHistory + restore("x_in", "{xid: b2}") +
                             restore("x_ex", "{xid: b2}", "    inclusive: false\n") + restore("t", "{time: m}") +
                             restore("l", "{lsn: b2}") + restore("n", "{name: rp}") + restore("i", "immediate")));
  auto expect = [&](const std::string& node, const std::string& a, const std::string& b2, const std::string& c) {
    EXPECT_EQ(presence(p, node, "a"), a) << node << "\n" << all_notes(p);
    EXPECT_EQ(presence(p, node, "b2"), b2) << node;
    EXPECT_EQ(presence(p, node, "c"), c) << node;
    EXPECT_EQ(state_of(p, node), "restoring") << node;  // recovery_target_action defaults to pause.
  };
  expect("x_in", "present", "present", "absent");
  expect("x_ex", "present", "absent", "absent");
  expect("t", "present", "absent", "absent");
  expect("l", "present", "present", "absent");
  expect("n", "present", "present", "absent");
  expect("i", "absent", "absent", "absent");
  EXPECT_NE(all_notes(p).find("recovery stopping before commit of transaction"), std::string::npos);
}

TEST(RecoveryTargetTest, ActionsPromotePauseAndShutdown) {
  auto p = run_yaml(archived(kHistory + restore("pr", "{xid: a}", "    action: promote\n") + insert("on_pr", "pr") +
                             restore("pa", "{xid: a}", "    action: pause\n") +
                             restore("sd", "{xid: a}", "    action: shutdown\n")));
  EXPECT_EQ(state_of(p, "pr"), "primary");
  EXPECT_EQ(p.find_node("pr")->timeline, 2u);
  EXPECT_EQ(outcome(p, "on_pr"), "acknowledged");
  EXPECT_EQ(presence(p, "pr", "on_pr"), "present");
  EXPECT_EQ(state_of(p, "pa"), "restoring");
  EXPECT_EQ(state_of(p, "sd"), "stopped");
  EXPECT_EQ(error_of(p, "sd"), "");
  EXPECT_NE(all_notes(p).find("selected new timeline ID: 2"), std::string::npos);
}

// Issue 15's found case: started again, a restore that shut down at its target replays to the
// target again and shuts down again. It never opens: no readable rows, nothing predicted there.
TEST(RecoveryTargetTest, ShutDownAtTargetAndStartedAgainShutsDownAgain) {
  auto p = run_yaml(archived(kHistory + restore("sd", "{xid: a}", "    action: shutdown\n") + "  - start: sd\n"));
  const NodeFinal* sd = p.find_node("sd");
  ASSERT_NE(sd, nullptr);
  EXPECT_EQ(sd->server_state, ServerState::kShutdownAtTarget) << all_notes(p);
  EXPECT_TRUE(sd->presence.empty());
  EXPECT_TRUE(sd->row_counts.empty());
  EXPECT_EQ(sd->error, "");
  EXPECT_EQ(p.timeline.back().positions.back().server_state, ServerState::kShutdownAtTarget);
  EXPECT_NE(all_notes(p).find("shutdown at recovery target"), std::string::npos);
  // The other actions' states; the primary is stopped by kHistory, so nothing is in
  // pg_stat_replication to predict.
  auto q = run_yaml(archived(kHistory + restore("pa", "{xid: a}", "    action: pause\n")));
  EXPECT_EQ(q.find_node("pa")->server_state, ServerState::kPausedAtTarget);
  EXPECT_EQ(q.find_node("p")->server_state, ServerState::kStopped);
  EXPECT_EQ(q.find_node("r")->server_state, ServerState::kStandby);
  EXPECT_FALSE(q.timeline.back().positions.back().sync_priority.has_value());
}

TEST(RecoveryTargetTest, TargetInTheUnarchivedSegmentIsNeverReached) {
  const std::string steps = "  - base_backup: b\n" + insert("a") + "  - mark: m\n" + insert("b2") + "  - crash: p\n";
  auto p = run_yaml(archived(steps + restore("x", "{time: m}") + restore("all", "")));
  EXPECT_EQ(error_of(p, "x"), "recovery_target_not_reached");
  EXPECT_EQ(state_of(p, "x"), "stopped");
  // Without a target, recovery replays what the archive has and promotes: a is not there.
  EXPECT_EQ(state_of(p, "all"), "primary");
  EXPECT_EQ(presence(p, "all", "a"), "absent");
}

TEST(RecoveryTargetTest, RecoveryFollowsTheTimelineItIsTold) {
  // r is promoted (timeline 2, its history file archived) and switches its first segment out;
  // the primary's own last segment was never archived.
  const std::string steps = "  - base_backup: b\n" + insert("a") + "  - catchup\n  - crash: p\n  - promote: r\n" +
                            insert("after") + "  - switch_wal: r\n";
  auto p = run_yaml(archived(steps + restore("latest", "") + restore("two", "", "    timeline: 2\n") +
                             restore("current", "", "    timeline: current\n") +
                             restore("seven", "", "    timeline: 7\n")));
  for (const char* node : {"latest", "two"}) {
    EXPECT_EQ(presence(p, node, "a"), "present") << node << "\n" << all_notes(p);
    EXPECT_EQ(presence(p, node, "after"), "present") << node;
    EXPECT_EQ(p.find_node(node)->timeline, 3u) << node;  // One above the newest timeline in the archive.
  }
  EXPECT_EQ(presence(p, "current", "a"), "absent");  // Timeline 1's segment holding a was never archived.
  EXPECT_EQ(error_of(p, "seven"), "refuses_to_start");
  EXPECT_NE(p.find_node("seven")->error_detail.find("recovery target timeline 7 does not exist"), std::string::npos);
}

// Found by the pitr-exact-prefix campaign: after a restart at a segment boundary (the base
// backup's switch), pg_switch_wal() writes nothing, and the primary must still work.
TEST(ArchivingTest, SwitchAtASegmentBoundaryAfterARestartWritesNothing) {
  auto p = run_yaml(archived("  - base_backup: b1\n  - crash: p\n  - start: p\n  - switch_wal\n" + insert("a")));
  EXPECT_EQ(outcome(p, "a"), "acknowledged");
  EXPECT_EQ(presence(p, "p", "a"), "present");
}

TEST(ArchivingTest, SwitchWalArchivesTheCurrentSegment) {
  const std::string steps = "  - base_backup: b\n" + insert("a") + "  - switch_wal\n" + insert("b2") + "  - crash: p\n";
  auto p = run_yaml(archived(steps + restore("x", "{xid: a}") + restore("all", "")));
  EXPECT_EQ(error_of(p, "x"), "");
  EXPECT_EQ(presence(p, "x", "a"), "present");
  EXPECT_EQ(presence(p, "all", "a"), "present");
  EXPECT_EQ(presence(p, "all", "b2"), "absent");  // In the segment that was never complete.
}

TEST(ArchivingTest, ArchiveTimeoutSwitchesAPartlyFilledSegment) {
  const std::string before = "  - base_backup: b\n" + insert("a");
  auto waited = run_yaml(
      archived(before + "  - wait: 1500ms\n  - crash: p\n" + restore("x", "{xid: a}"), "  archive_timeout: 1s\n"));
  auto quick = run_yaml(archived(before + "  - crash: p\n" + restore("x", "{xid: a}"), "  archive_timeout: 1s\n"));
  EXPECT_EQ(error_of(waited, "x"), "");
  EXPECT_EQ(presence(waited, "x", "a"), "present");
  EXPECT_EQ(error_of(quick, "x"), "recovery_target_not_reached");
}

// guc.c rounds a size to wal_keep_size's unit, MB, with rint(); KeepLogSeg counts whole segments.
TEST(ArchivingTest, SizeSettingsKeepWholeSegmentsOfRoundedMegabytes) {
  constexpr int64_t kKb = 1024;
  constexpr uint64_t kMb = 1 << 20;
  EXPECT_EQ(size_setting_segments(0, kMb), 0);
  EXPECT_EQ(size_setting_segments(512 * kKb, kMb), 0);  // 0.5 MB: a tie, to even 0.
  EXPECT_EQ(size_setting_segments(513 * kKb, kMb), 1);
  EXPECT_EQ(size_setting_segments(1200 * kKb, kMb), 1);
  EXPECT_EQ(size_setting_segments(1536 * kKb, kMb), 2);          // 1.5 MB: a tie, to even 2.
  EXPECT_EQ(size_setting_segments(2560 * kKb, kMb), 2);          // 2.5 MB: a tie, to even 2.
  EXPECT_EQ(size_setting_segments(3 * 1024 * kKb, 2 * kMb), 1);  // 3 MB of 2 MB segments: 1.
  EXPECT_EQ(size_setting_segments(3584 * kKb, 2 * kMb), 2);      // 3.5 MB rounds to 4: 2 segments.
}

// guc.c rounds a value in milliseconds to archive_timeout's unit, seconds, with rint().
TEST(ArchivingTest, ArchiveTimeoutIsWholeSecondsRoundedToNearestEven) {
  EXPECT_EQ(archive_timeout_seconds(0), 0);
  EXPECT_EQ(archive_timeout_seconds(400), 0);
  EXPECT_EQ(archive_timeout_seconds(500), 0);  // Disabled, as on PostgreSQL 15.18.
  EXPECT_EQ(archive_timeout_seconds(501), 1);
  EXPECT_EQ(archive_timeout_seconds(1499), 1);
  EXPECT_EQ(archive_timeout_seconds(1500), 2);
  EXPECT_EQ(archive_timeout_seconds(2500), 2);
  EXPECT_EQ(archive_timeout_seconds(2501), 3);
  EXPECT_EQ(archive_timeout_seconds(3500), 4);
  EXPECT_EQ(archive_timeout_seconds(60000), 60);
}

// 500ms is 0 s: no timeout, so the partly filled segment is never archived.
TEST(ArchivingTest, ArchiveTimeoutOfHalfASecondIsOff) {
  const std::string steps = "  - base_backup: b\n" + insert("a") + "  - wait: 3000ms\n  - crash: p\n";
  auto p = run_yaml(archived(steps + restore("x", "{xid: a}"), "  archive_timeout: 500ms\n"));
  EXPECT_EQ(error_of(p, "x"), "recovery_target_not_reached") << all_notes(p);
  EXPECT_EQ(all_notes(p).find("archive_timeout on"), std::string::npos);
}

// 2500ms is 2 s: the segment is switched 2 s after the backup's switch, not 2.5 s.
TEST(ArchivingTest, ArchiveTimeoutOf2500msIsTwoSeconds) {
  const std::string steps = "  - base_backup: b\n" + insert("a") + "  - wait: 2200ms\n  - crash: p\n";
  auto p = run_yaml(archived(steps + restore("x", "{xid: a}"), "  archive_timeout: 2500ms\n"));
  EXPECT_EQ(error_of(p, "x"), "") << all_notes(p);
  EXPECT_EQ(presence(p, "x", "a"), "present");
}

// The timer runs from the last segment switch (the backup's), not from the first write into
// the new segment: a written 2 s after the switch is archived at 3 s, 1 s after it was written.
TEST(ArchivingTest, ArchiveTimeoutRunsFromTheLastSegmentSwitch) {
  const std::string before = "  - base_backup: b\n  - wait: 2000ms\n" + insert("a");
  auto after_look = run_yaml(
      archived(before + "  - wait: 1200ms\n  - crash: p\n" + restore("x", "{xid: a}"), "  archive_timeout: 3s\n"));
  EXPECT_EQ(error_of(after_look, "x"), "") << all_notes(after_look);
  EXPECT_EQ(presence(after_look, "x", "a"), "present");
  // A look that finds no WAL since the switch counts as one: the next is 3 s later.
  const std::string idle = "  - base_backup: b\n  - wait: 3500ms\n" + insert("a");
  auto early = run_yaml(
      archived(idle + "  - wait: 2000ms\n  - crash: p\n" + restore("x", "{xid: a}"), "  archive_timeout: 3s\n"));
  auto late = run_yaml(
      archived(idle + "  - wait: 2800ms\n  - crash: p\n" + restore("x", "{xid: a}"), "  archive_timeout: 3s\n"));
  EXPECT_EQ(error_of(early, "x"), "recovery_target_not_reached") << all_notes(early);
  EXPECT_EQ(error_of(late, "x"), "") << all_notes(late);
}

TEST(ArchivingTest, ABrokenArchiveKeepsSegmentsUntilRepaired) {
  const std::string before = "  - base_backup: b\n" + insert("a") + "  - break_archive\n  - switch_wal\n";
  auto broken = run_yaml(archived(before + "  - crash: p\n" + restore("x", "{xid: a}")));
  auto repaired = run_yaml(archived(before + "  - repair_archive\n  - crash: p\n" + restore("x", "{xid: a}")));
  EXPECT_EQ(error_of(broken, "x"), "recovery_target_not_reached");
  EXPECT_EQ(error_of(repaired, "x"), "");
  EXPECT_EQ(presence(repaired, "x", "a"), "present");
}

// The standby r is cut off, the primary moves three segments on and checkpoints.
std::string falls_behind() {
  std::string s = "  - catchup\n  - partition: r\n  - wait: 3s\n";
  for (int i = 0; i < 3; ++i) s += insert("w" + std::to_string(i)) + "  - switch_wal\n";
  return s + "  - checkpoint\n  - heal: r\n  - catchup: r\n";
}

TEST(WalRetentionTest, AStandbyWithoutASlotLosesItsWal) {
  auto p = run_yaml(archived(falls_behind()));
  EXPECT_EQ(error_of(p, "r"), "cannot_catch_up");
  EXPECT_NE(all_notes(p).find("has already been removed"), std::string::npos) << all_notes(p);
}

TEST(WalRetentionTest, WalKeepSizeOrASlotKeepsIt) {
  auto kept = run_yaml(archived(falls_behind(), "  wal_keep_size: 8MB\n"));
  auto slot = run_yaml(archived(falls_behind(), "", "{name: r, slot: true}"));
  for (const auto* p : {&kept, &slot}) {
    EXPECT_EQ(error_of(*p, "r"), "");
    EXPECT_EQ(presence(*p, "r", "w2"), "present");
  }
}

// Crash recovery ends with a checkpoint (PerformRecoveryXLogAction): it removes WAL as a
// CHECKPOINT does (as a clean stop's shutdown checkpoint would). Without either, the WAL stays.
TEST(WalRetentionTest, TheEndOfCrashRecoveryIsACheckpointThatRemovesWal) {
  std::string behind = "  - catchup\n  - partition: r\n  - wait: 3s\n";
  for (int i = 0; i < 3; ++i) behind += insert("w" + std::to_string(i)) + "  - switch_wal\n";
  const std::string after = "  - heal: r\n  - catchup: r\n";
  auto crashed = run_yaml(archived(behind + "  - crash: p\n  - start: p\n" + after));
  auto running = run_yaml(archived(behind + after));
  EXPECT_EQ(error_of(crashed, "r"), "cannot_catch_up") << all_notes(crashed);
  EXPECT_EQ(presence(crashed, "p", "w2"), "present");
  EXPECT_EQ(error_of(running, "r"), "");
  EXPECT_EQ(presence(running, "r", "w2"), "present");
}

TEST(WalRetentionTest, AnInvalidatedSlotKeepsNothing) {
  auto p = run_yaml(archived(falls_behind(), "  max_slot_wal_keep_size: 1MB\n", "{name: r, slot: true}"));
  EXPECT_EQ(error_of(p, "r"), "cannot_catch_up");
  EXPECT_NE(all_notes(p).find("invalidating slot \"r\""), std::string::npos) << all_notes(p);
}

// do_pg_backup_start switches segments before its checkpoint: the backup starts in a fresh
// segment, and its checkpoint may remove the one that was being written, which a standby that
// was cut off still needs.
TEST(WalRetentionTest, TheBaseBackupsCheckpointLiesInAFreshSegment) {
  const std::string steps = "  - catchup\n  - partition: r\n  - wait: 3s\n" + insert("w0") +
                            "  - base_backup: b\n  - heal: r\n  - catchup: r\n";
  auto p = run_yaml(scenario("r", "on", "", steps));
  EXPECT_EQ(error_of(p, "r"), "cannot_catch_up") << all_notes(p);
  EXPECT_EQ(presence(p, "r", "w0"), "absent");
  EXPECT_NE(all_notes(p).find("has already been removed"), std::string::npos);
  // The backup starts at a segment boundary's checkpoint, past w0's segment.
  EXPECT_NE(all_notes(p).find("base backup b of p: starts at 0/3100000"), std::string::npos) << all_notes(p);
}

// findNewestTimeLine: a standby without restore_command sees only its own pg_wal, so a second
// standby promoted after the first, which never saw the first's history file, also selects
// timeline 2; no timeline 3 exists for a restore to follow.
TEST(TimelineTest, TwoStandbysThatCannotSeeEachOtherChooseTheSameTimeline) {
  const std::string steps = "  - base_backup: b\n" + insert("a") +
                            "  - catchup\n  - crash: p\n  - promote: r\n"
                            "  - promote: s\n" +
                            restore("x", "", "    timeline: 3\n");
  auto p = run_yaml(archived(steps, "", "r, s"));
  ASSERT_NE(p.find_node("r"), nullptr);
  ASSERT_NE(p.find_node("s"), nullptr);
  EXPECT_EQ(p.find_node("r")->timeline, 2u) << all_notes(p);
  EXPECT_EQ(p.find_node("s")->timeline, 2u);
  EXPECT_EQ(presence(p, "r", "a"), "present");
  EXPECT_EQ(presence(p, "s", "a"), "present");
  EXPECT_EQ(error_of(p, "x"), "refuses_to_start");
  EXPECT_NE(p.find_node("x")->error_detail.find("recovery target timeline 3 does not exist"), std::string::npos);
}

// A restored node has restore_command: it probes the archive, so it chooses above every
// timeline whose history file is there.
TEST(TimelineTest, ARestoredNodeChoosesAboveTheArchivesNewestTimeline) {
  const std::string steps = "  - base_backup: b\n" + insert("a") + "  - catchup\n  - stop: p\n  - promote: r\n" +
                            restore("x", "", "    timeline: current\n");
  auto p = run_yaml(archived(steps));
  EXPECT_EQ(p.find_node("r")->timeline, 2u) << all_notes(p);
  EXPECT_EQ(error_of(p, "x"), "");
  EXPECT_EQ(p.find_node("x")->timeline, 3u) << all_notes(p);
}

TEST(NaiveCopyTest, TheCopyOfARestartedServerIgnoresItsStaleLockFile) {
  auto p = run_yaml(scenario(
      "r", "on", "", insert("a") + "  - naive_copy: c\n  - stop: p\n  - start: p\n  - restore: x\n    from: c\n"));
  EXPECT_EQ(error_of(p, "x"), "");
  EXPECT_EQ(presence(p, "x", "a"), "present");
}

class RecoveryDrillTest : public ::testing::TestWithParam<std::string> {};

TEST_P(RecoveryDrillTest, PredictionMeetsEveryExpectation) {
  auto scenario = parse_scenario_file(scenarios_dir() + "/" + GetParam());
  ASSERT_TRUE(scenario.ok()) << scenario.status().message();
  auto prediction = simulate(*scenario, SimOptions{});
  ASSERT_TRUE(prediction.ok()) << prediction.status().message();
  for (const auto& r : check_expectations(*scenario, *prediction))
    EXPECT_EQ(r.verdict, ExpectationResult::Verdict::kHeld) << r.expectation->text << ": " << r.explanation << "\n"
                                                            << all_notes(*prediction);
}

INSTANTIATE_TEST_SUITE_P(Drills, RecoveryDrillTest,
                         ::testing::Values("drill-1.1-pitr-after-delete.yaml", "drill-1.1-unarchived-target.yaml",
                                           "drill-3.1-naive-copy.yaml", "drill-3.1-copy-spans-checkpoint.yaml",
                                           "drill-3.1-torn-copy.yaml", "drill-3.1-copy-beside-live-server.yaml",
                                           "drill-4.1-full-disaster-recovery.yaml"),
                         [](const auto& info) {
                           std::string name = info.param.substr(0, info.param.size() - 5);
                           for (char& c : name)
                             if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           return name;
                         });

}  // namespace
}  // namespace replsim::sim::testing

namespace replsim::sim::testing {
namespace {

// A standby whose WAL was removed reconnects and is refused again and again: its
// pg_stat_replication row comes and goes, so the model predicts none (and it stays a standby).
TEST(ServerStateTest, NoReplicationRowIsPredictedForAStandbyThatCannotCatchUp) {
  auto scenario = parse_scenario_file(scenarios_dir() + "/base-backup-switches-before-its-checkpoint.yaml");
  ASSERT_TRUE(scenario.ok()) << scenario.status().message();
  auto p = simulate(*scenario, SimOptions{});
  ASSERT_TRUE(p.ok()) << p.status().message();
  const NodePosition& replica = p->timeline.back().positions.at(1);
  ASSERT_EQ(replica.node, "replica");
  EXPECT_EQ(replica.server_state, ServerState::kStandby);
  EXPECT_FALSE(replica.sync_priority.has_value());
  EXPECT_EQ(p->find_node("replica")->error, "cannot_catch_up");
  // Before the partition it streamed: an async row with priority 0.
  const NodePosition& first = p->timeline.front().positions.at(1);
  EXPECT_EQ(first.sync_state, "async");
  EXPECT_EQ(first.sync_priority, 0);
}

}  // namespace
}  // namespace replsim::sim::testing
