// Base backups, the WAL archive and point-in-time recovery on real PostgreSQL.
#include "harness_test_util.h"

namespace replsim::harness {
namespace {

using testing::dump;
using testing::presence;
using testing::run_text;

constexpr const char* kPitr = R"yaml(
name: pitr-to-restore-point
cluster:
  primary: primary
  archive_mode: true
steps:
  - base_backup: nightly
  - insert: dana
    table: customers
    values: {firstName: Dana, lastName: Lee}
  - restore_point: before_truncate
  - truncate: oops
    table: products
    cascade: true
  - switch_wal
  - restore: restored
    from: nightly
    target: {name: before_truncate}
    action: promote
)yaml";

// The restore point comes after Dana and before the TRUNCATE: the restored node has Dana
// and every product, the primary has no products.
TEST(HarnessPitrTest, PitrToNamedRestorePointRestoresExactlyWhatCameBefore) {
  History h = run_text(kPitr);
  const NodeFinal* restored = h.find_node("restored");
  ASSERT_NE(restored, nullptr) << dump(h);
  EXPECT_EQ(restored->state, NodeState::kPrimary) << dump(h);
  EXPECT_TRUE(restored->error.empty()) << dump(h);
  EXPECT_EQ(presence(h, "restored", "dana"), "present") << dump(h);
  EXPECT_EQ(presence(h, "restored", "oops"), "absent") << dump(h);
  EXPECT_EQ(restored->row_counts.at("products"), 5);
  EXPECT_EQ(restored->row_counts.at("orderitems"), 6);
  EXPECT_EQ(restored->row_counts.at("customers"), 7);
  EXPECT_EQ(h.find_node("primary")->row_counts.at("products"), 0);
}

// Without switch_wal the restore point lies in the segment still being written, which is not
// in the archive: PostgreSQL's own error, and the server exits.
TEST(HarnessPitrTest, PartialSegmentPitfallGivesNotReachedError) {
  std::string text = kPitr;
  text.erase(text.find("  - switch_wal\n"), std::string("  - switch_wal\n").size());
  History h = run_text(text);
  const NodeFinal* restored = h.find_node("restored");
  ASSERT_NE(restored, nullptr) << dump(h);
  EXPECT_EQ(restored->error, "recovery_target_not_reached") << dump(h);
  EXPECT_NE(restored->error_detail.find("recovery ended before configured recovery target was reached"),
            std::string::npos);
  EXPECT_TRUE(restored->presence.empty());
}

// Time, xid, LSN and name targets with promote, pause and shutdown: each stops where it should.
TEST(HarnessPitrTest, TimeXidAndLsnTargetsStopAtTheirTransaction) {
  History h = run_text(R"yaml(
name: pitr-targets
cluster:
  primary: primary
  archive_mode: true
steps:
  - base_backup: b
  - insert: first
    table: customers
    values: {firstName: First, lastName: One}
  - mark: between
  - insert: second
    table: customers
    values: {firstName: Second, lastName: Two}
  - restore_point: after_second
  - switch_wal
  - restore: by_time
    from: b
    target: {time: between}
    action: promote
  - restore: by_xid
    from: b
    target: {xid: second}
    inclusive: false
    action: pause
  - restore: by_lsn
    from: b
    target: {lsn: first}
    action: promote
  - restore: by_shutdown
    from: b
    target: {name: after_second}
    action: shutdown
)yaml");
  for (const char* node : {"by_time", "by_xid", "by_lsn", "by_shutdown"}) {
    ASSERT_NE(h.find_node(node), nullptr) << node << "\n" << dump(h);
  }
  EXPECT_EQ(presence(h, "by_time", "first"), "present") << dump(h);
  EXPECT_EQ(presence(h, "by_time", "second"), "absent") << dump(h);
  EXPECT_EQ(h.find_node("by_xid")->state, NodeState::kRestoring) << dump(h);
  EXPECT_EQ(presence(h, "by_xid", "first"), "present") << dump(h);
  EXPECT_EQ(presence(h, "by_xid", "second"), "absent") << dump(h);
  EXPECT_EQ(presence(h, "by_lsn", "first"), "present") << dump(h);
  EXPECT_EQ(presence(h, "by_lsn", "second"), "absent") << dump(h);
  // Shut down at the target, as asked: not an error, and nothing to query.
  EXPECT_EQ(h.find_node("by_shutdown")->state, NodeState::kStopped) << dump(h);
  EXPECT_TRUE(h.find_node("by_shutdown")->error.empty()) << dump(h);
}

}  // namespace
}  // namespace replsim::harness
