// Properties of the simulator over generated schedules (rapidcheck). Each case is a
// scenario file generated from a small state model (so every step is possible), parsed
// like a user's file and simulated. Run longer campaigns with
//   RC_PARAMS="max_success=2000" build/tests/sim/sim_property_test
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "sim_test_util.h"

namespace replsim::sim::testing {
namespace {

struct Schedule {
  int standbys = 1;
  std::string steps;
  std::vector<std::string> labels;
};

// Random steps over standbys s1..sN: writes, catchup, waits, pause/resume, partitions,
// crash/start of standbys and of the primary. Respects what the parser allows.
Schedule gen_schedule(int standbys, bool primary_faults) {
  Schedule s;
  s.standbys = standbys;
  enum class Run { kUp, kPaused, kDown };
  std::map<std::string, Run> run;
  std::map<std::string, bool> cut;
  for (int i = 1; i <= standbys; ++i) run[fmt::format("s{}", i)] = Run::kUp;
  run["p"] = Run::kUp;
  const int n = *rc::gen::inRange(3, 16);
  for (int i = 0; i < n; ++i) {
    const std::string node = i % 3 == 0 && primary_faults ? "p"
                                                          : fmt::format("s{}", *rc::gen::inRange(1, standbys + 1));
    switch (*rc::gen::inRange(0, 7)) {
      case 0:
      case 1: {
        if (run["p"] != Run::kUp) break;
        const std::string label = fmt::format("t{}", s.labels.size());
        s.labels.push_back(label);
        s.steps += insert(label);
        break;
      }
      case 2: s.steps += "  - catchup\n"; break;
      case 3: s.steps += fmt::format("  - wait: {}ms\n", *rc::gen::element(1, 50, 300)); break;
      case 4:
        if (node == "p") break;
        s.steps += fmt::format("  - {}: {}\n", cut[node] ? "heal" : "partition", node);
        cut[node] = !cut[node];
        break;
      case 5:
        if (run[node] == Run::kUp) {
          s.steps += fmt::format("  - pause: {}\n", node);
          run[node] = Run::kPaused;
        } else if (run[node] == Run::kPaused) {
          s.steps += fmt::format("  - resume: {}\n", node);
          run[node] = Run::kUp;
        }
        break;
      case 6:
        if (run[node] == Run::kDown) {
          s.steps += fmt::format("  - start: {}\n", node);
          run[node] = Run::kUp;
        } else {
          s.steps += fmt::format("  - crash: {}\n", node);
          run[node] = Run::kDown;
        }
        break;
    }
  }
  // Leave s1 running and reachable, and the primary crashed: ready for a failover to s1.
  if (run["s1"] == Run::kPaused) s.steps += "  - resume: s1\n";
  if (run["s1"] == Run::kDown) s.steps += "  - start: s1\n";
  if (cut["s1"]) s.steps += "  - heal: s1\n";
  if (run["p"] == Run::kDown) s.steps += "  - start: p\n";
  if (run["p"] == Run::kPaused) s.steps += "  - resume: p\n";
  s.steps += "  - crash: p\n";
  return s;
}

std::string standby_list(int n) {
  std::vector<std::string> names;
  for (int i = 1; i <= n; ++i) names.push_back(fmt::format("s{}", i));
  return fmt::format("{}", fmt::join(names, ", "));
}

bool acknowledged_only(const TxRecord& tx) { return tx.outcomes == std::vector<TxOutcome>{TxOutcome::kAcknowledged}; }

RC_GTEST_PROP(SimulatorProperty, AStandbyHoldsAPrefixOfThePrimarysCommitOrder, ()) {
  const int standbys = *rc::gen::inRange(1, 4);
  const std::string level = *rc::gen::element<std::string>("local", "remote_write", "on", "remote_apply");
  const std::string names = *rc::gen::element<std::string>("", "s1", "FIRST 1 (s1, s2)", "ANY 1 (s1, s2, s3)", "*");
  Schedule s = gen_schedule(standbys, false);
  s.steps += "  - start: p\n";
  Prediction p = run_yaml(scenario(standby_list(standbys), level, names, s.steps));
  // Commit order on the primary: by commit LSN, only what it still has.
  std::vector<const TxRecord*> order;
  for (const auto& tx : p.transactions)
    if (tx.xid != 0 && presence(p, "p", tx.label) == "present") order.push_back(&tx);
  std::sort(order.begin(), order.end(), [](auto* a, auto* b) { return a->commit_lsn < b->commit_lsn; });
  for (int i = 1; i <= standbys; ++i) {
    const std::string node = fmt::format("s{}", i);
    bool gap = false;
    for (const TxRecord* tx : order) {
      const std::string here = presence(p, node, tx->label);
      if (here == "absent") gap = true;
      RC_ASSERT(!(gap && here == "present"));
    }
  }
}

RC_GTEST_PROP(SimulatorProperty, PromotingTheFirstOneSyncStandbyLosesNoAcknowledgedCommit, ()) {
  const int standbys = *rc::gen::inRange(1, 4);
  const std::string level = *rc::gen::element<std::string>("on", "remote_apply");
  Schedule s = gen_schedule(standbys, true);
  s.steps += "  - promote: s1\n";
  Prediction p = run_yaml(scenario(standby_list(standbys), level, "FIRST 1 (s1)", s.steps));
  for (const auto& tx : p.transactions) {
    if (!acknowledged_only(tx)) continue;
    RC_ASSERT(presence(p, "s1", tx.label) == "present");
  }
}

RC_GTEST_PROP(SimulatorProperty, AsyncPromotionLosesExactlyTheCommitsPastTheReceivedPosition, ()) {
  const int standbys = *rc::gen::inRange(1, 4);
  Schedule s = gen_schedule(standbys, true);
  s.steps += "  - promote: s1\n";
  Prediction p = run_yaml(scenario(standby_list(standbys), "on", "", s.steps));
  RC_ASSERT(p.timeline.size() >= 2);
  // s1's received (flushed) position right before the promotion.
  const NodePosition& before = p.timeline[p.timeline.size() - 2].positions[1];
  const TimelineId old_timeline = 1;
  for (const auto& tx : p.transactions) {
    if (!acknowledged_only(tx) || tx.timeline != old_timeline) continue;
    const std::string here = presence(p, "s1", tx.label);
    if (here == "either") continue;
    // Promotion replays everything received: present exactly when received.
    const bool received = tx.commit_lsn <= before.flush_lsn;
    RC_ASSERT(here == (received ? "present" : "absent"));
  }
}

RC_GTEST_PROP(SimulatorProperty, SameSeedGivesTheSameBytes, ()) {
  const int standbys = *rc::gen::inRange(1, 4);
  const std::string level = *rc::gen::element<std::string>("off", "local", "on", "remote_apply");
  const std::string names = *rc::gen::element<std::string>("", "s1", "ANY 1 (s1, s2)");
  Schedule s = gen_schedule(standbys, true);
  const std::string yaml = scenario(standby_list(standbys), level, names, s.steps);
  const uint64_t seed = *rc::gen::arbitrary<uint64_t>();
  RC_ASSERT(to_json(run_yaml(yaml, seed)).dump() == to_json(run_yaml(yaml, seed)).dump());
}

}  // namespace
}  // namespace replsim::sim::testing
