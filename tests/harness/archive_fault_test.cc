// The archive fault and the checkpoint step on real PostgreSQL.
#include <algorithm>

#include "harness_test_util.h"

namespace replsim::harness {
namespace {

using testing::dump;
using testing::outcome;
using testing::presence;
using testing::run_text;

std::string notes_of(const History& h, size_t step) {
  std::string out;
  if (step < h.timeline.size())
    for (const auto& n : h.timeline[step].notes) out += n + "\n";
  return out;
}

const NodePosition* position(const History& h, size_t step, const std::string& node) {
  if (step >= h.timeline.size()) return nullptr;
  for (const auto& p : h.timeline[step].positions)
    if (p.node == node) return &p;
  return nullptr;
}

// With the archive broken, the segment switch_wal finishes is not archived (the archiver's
// failures are counted in pg_stat_archiver), so a PITR to a restore point in it cannot reach
// its target. Repaired, the archiver catches up and the same PITR reaches it.
TEST(HarnessArchiveFaultTest, BrokenArchiveKeepsTheSegmentOutUntilRepaired) {
  History h = run_text(R"yaml(
name: archive-broken-then-repaired
cluster:
  primary: primary
  archive_mode: true
steps:
  - base_backup: b
  - break_archive
  - insert: while_broken
    table: customers
    values: {firstName: While, lastName: Broken}
  - restore_point: after_insert
  - switch_wal
  - restore: too_early
    from: b
    target: {name: after_insert}
    action: promote
  - repair_archive
  - restore: after_repair
    from: b
    target: {name: after_insert}
    action: promote
)yaml");
  ASSERT_EQ(h.timeline.size(), 8u) << dump(h);
  EXPECT_NE(notes_of(h, 1).find("archive directory made read-only"), std::string::npos) << dump(h);
  // The count before may be above 0: the base backup's last segment is archived
  // asynchronously and may itself meet the broken archive.
  EXPECT_NE(notes_of(h, 4).find("not archived: archive_command failed (pg_stat_archiver failed_count "),
            std::string::npos)
      << dump(h);
  const NodeFinal* too_early = h.find_node("too_early");
  ASSERT_NE(too_early, nullptr) << dump(h);
  EXPECT_EQ(too_early->error, "recovery_target_not_reached") << dump(h);
  EXPECT_NE(notes_of(h, 6).find("archive repaired: nothing left to archive on primary"), std::string::npos) << dump(h);
  const NodeFinal* after_repair = h.find_node("after_repair");
  ASSERT_NE(after_repair, nullptr) << dump(h);
  EXPECT_EQ(after_repair->state, NodeState::kPrimary) << dump(h);
  EXPECT_TRUE(after_repair->error.empty()) << dump(h);
  EXPECT_EQ(outcome(h, "while_broken"), "acknowledged") << dump(h);
  EXPECT_EQ(presence(h, "after_repair", "while_broken"), "present") << dump(h);
}

// CHECKPOINT moves the redo point (recorded as the step's event LSN) past every earlier write,
// and writes its record after it; crash recovery from it keeps the row.
TEST(HarnessArchiveFaultTest, CheckpointMovesTheRedoPointPastEarlierWrites) {
  History h = run_text(R"yaml(
name: checkpoint-step
cluster:
  primary: primary
  standbys: [replica]
steps:
  - insert: a
    table: customers
    values: {firstName: A, lastName: Checkpointed}
  - checkpoint
  - crash: primary
  - start: primary
)yaml");
  auto e = std::find_if(h.events.begin(), h.events.end(),
                        [](const HistoryEvent& ev) { return ev.label == "checkpoint"; });
  ASSERT_NE(e, h.events.end()) << dump(h);
  EXPECT_EQ(e->node, "primary");
  const NodePosition* before = position(h, 0, "primary");
  const NodePosition* after = position(h, 1, "primary");
  ASSERT_TRUE(before != nullptr && after != nullptr) << dump(h);
  EXPECT_GE(e->lsn, before->insert_lsn) << dump(h);
  EXPECT_GT(after->insert_lsn, e->lsn) << dump(h);
  EXPECT_NE(notes_of(h, 1).find("checkpoint on primary: redo at "), std::string::npos) << dump(h);
  EXPECT_EQ(presence(h, "primary", "a"), "present") << dump(h);
  EXPECT_EQ(presence(h, "replica", "a"), "present") << dump(h);
}

// Right after a base backup the last file archived is the backup history file
// (000000010000000000000003.00000028.backup), and pg_switch_wal() has nothing to switch: it
// names the segment the backup finished, already archived before that history file. The step
// must see the segment archived at once, not wait out its timeout for a segment name that
// never comes (issue 15).
TEST(HarnessArchiveFaultTest, SwitchWalRightAfterABaseBackupSeesItsSegmentArchived) {
  History h = run_text(R"yaml(
name: switch-wal-after-base-backup
cluster:
  primary: primary
  archive_mode: true
steps:
  - base_backup: b
  - switch_wal
)yaml");
  ASSERT_EQ(h.timeline.size(), 2u) << dump(h);
  const std::string notes = notes_of(h, 1);
  EXPECT_EQ(notes.find("not archived"), std::string::npos) << dump(h);
  EXPECT_NE(notes.find("segment 0000000"), std::string::npos) << dump(h);
  EXPECT_NE(notes.find(" archived"), std::string::npos) << dump(h);
}

}  // namespace
}  // namespace replsim::harness
