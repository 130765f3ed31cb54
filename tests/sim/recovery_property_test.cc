// Properties of point-in-time recovery and WAL retention over generated schedules (rapidcheck):
// a restore to any transaction holds exactly the committed prefix it names when the WAL up to
// it was archived, and otherwise fails with recovery_target_not_reached; a standby without a
// slot that falls further behind than wal_keep_size never silently catches up.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <string>
#include <vector>

#include "sim_test_util.h"

namespace replsim::sim::testing {
namespace {

const NodeFinal& node_of(const Prediction& p, const std::string& name) {
  const NodeFinal* n = p.find_node(name);
  RC_ASSERT(n != nullptr);
  return *n;
}

RC_GTEST_PROP(RecoveryPropertyTest, PitrRestoresExactlyTheCommittedPrefixOrSaysTheTargetWasNotReached, ()) {
  const int n = *rc::gen::inRange(1, 10);
  std::vector<bool> switch_after(static_cast<size_t>(n));
  for (auto&& s : switch_after) s = *rc::gen::arbitrary<bool>();
  const int k = *rc::gen::inRange(0, n);
  const bool inclusive = *rc::gen::arbitrary<bool>();
  const bool clean_stop = *rc::gen::arbitrary<bool>();
  // xid: t_k itself; time: a mark just before t_k; name: a restore point just after it; lsn: a
  // mark just after it (the first record at or after that position decides).
  const std::string kind = *rc::gen::element<std::string>("xid", "time", "name", "lsn");
  std::string steps = "  - base_backup: b\n";
  for (int i = 0; i < n; ++i) {
    if (i == k && kind == "time") steps += "  - mark: target\n";
    steps += insert(fmt::format("t{}", i));
    if (i == k && kind == "name") steps += "  - restore_point: target\n";
    if (i == k && kind == "lsn") steps += "  - mark: target\n";
    if (switch_after[static_cast<size_t>(i)]) steps += "  - switch_wal\n";
  }
  steps += clean_stop ? "  - stop: p\n" : "  - crash: p\n";
  const std::string ref = kind == "xid" ? fmt::format("t{}", k) : "target";
  steps += fmt::format("  - restore: x\n    from: b\n    target: {{{}: {}}}\n    inclusive: {}\n", kind, ref,
                       inclusive);
  const Prediction p = run_yaml(
      "name: t\ncluster:\n  primary: p\n  standbys: [r]\n  synchronous_standby_names: \"\"\n"
      "  archive_mode: true\nsteps:\n" +
      steps);
  // The record that decides lies right around t_k's commit: it must be in an archived segment,
  // archived by a later switch or by the clean shutdown's switch.
  bool archived = clean_stop;
  for (int i = k; i < n; ++i) archived |= switch_after[static_cast<size_t>(i)];
  const NodeFinal& x = node_of(p, "x");
  if (!archived) {
    RC_ASSERT(x.error == "recovery_target_not_reached");
    return;
  }
  RC_ASSERT(x.error.empty());
  const bool keeps_k = kind == "xid" ? inclusive : kind != "time";
  for (int i = 0; i < n; ++i) {
    const bool expected = i < k || (i == k && keeps_k);
    RC_ASSERT(presence(p, "x", fmt::format("t{}", i)) == std::string(expected ? "present" : "absent"));
  }
}

RC_GTEST_PROP(RecoveryPropertyTest, AStandbyWithoutASlotPastWalKeepSizeNeverSilentlyCatchesUp, ()) {
  const int switches = *rc::gen::inRange(0, 5);
  const int keep_segments = *rc::gen::inRange(0, 5);
  const bool slot = *rc::gen::arbitrary<bool>();
  std::string steps = "  - catchup\n  - partition: r\n  - wait: 3s\n";
  for (int i = 0; i < switches; ++i) steps += insert(fmt::format("w{}", i)) + "  - switch_wal\n";
  steps += insert("last") + "  - checkpoint\n  - heal: r\n  - catchup: r\n";
  const Prediction p = run_yaml(fmt::format(
      "name: t\ncluster:\n  primary: p\n  standbys: [{}]\n  synchronous_standby_names: \"\"\n  wal_keep_size: {}MB\n"
      "steps:\n{}",
      slot ? "{name: r, slot: true}" : "r", keep_segments, steps));
  const NodeFinal& r = node_of(p, "r");
  // The standby needs the segment it was in when cut off; the checkpoint keeps keep_segments
  // segments before its own (1 MB segments), and a slot keeps everything from the standby on.
  const bool removed = !slot && switches > keep_segments;
  RC_ASSERT(r.error == std::string(removed ? "cannot_catch_up" : ""));
  // Never silently: either it has everything, or it says it cannot catch up.
  RC_ASSERT(presence(p, "r", "last") == std::string(removed ? "absent" : "present"));
}

}  // namespace
}  // namespace replsim::sim::testing
