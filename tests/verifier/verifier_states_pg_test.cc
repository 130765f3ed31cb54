// Can the new comparisons fail, against real PostgreSQL? One real cluster runs issue 15's found
// case (scenarios/restore-shutdown-then-start.yaml: a primary, an async standby, and a restore
// that shuts down at its target and is started again). The simulator's prediction agrees with
// it; then the prediction is made wrong in one field at a time (server state, timeline,
// sync_state, sync_priority, final lag) and each must be caught as that kind of difference.
// The prediction is mutated field by field (no sim::Perturbation): each field is the model's
// output, and each mutation is what a model wrong in that one field would have said.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <functional>
#include <string>

#include "harness/scenario_runner.h"
#include "sim/simulator.h"
#include "verifier/comparison.h"
#include "vocab/scenario_parser.h"

namespace replsim {
namespace {

NodePosition* last_position(Prediction& p, const std::string& node) {
  for (auto& pos : p.timeline.back().positions)
    if (pos.node == node) return &pos;
  return nullptr;
}

NodeFinal* final_node(Prediction& p, const std::string& node) {
  for (auto& n : p.nodes)
    if (n.name == node) return &n;
  return nullptr;
}

TEST(VerifierStatesPgTest, EachNewFieldWrongIsCaughtOnRealPostgres) {
  const char* dir = std::getenv("REPLSIM_SOURCE_DIR");
  auto s = parse_scenario_file(std::string(dir != nullptr ? dir : ".") + "/scenarios/restore-shutdown-then-start.yaml");
  ASSERT_TRUE(s.ok()) << s.status().message();
  auto predicted = sim::simulate(*s, sim::SimOptions{});
  ASSERT_TRUE(predicted.ok()) << predicted.status().message();
  auto observed = harness::run_scenario(*s, harness::HarnessOptions{});
  ASSERT_TRUE(observed.ok()) << observed.status().message();
  const Comparison right = compare_runs(*predicted, *observed);
  EXPECT_TRUE(right.complete()) << to_json(right).dump(2);
  EXPECT_GT(right.states.agreed, 0);
  EXPECT_GT(right.syncs.agreed, 0);
  EXPECT_EQ(right.positions.agreed, 1);

  const NodeFinal* seen = observed->find_node("replica");
  ASSERT_NE(seen, nullptr);
  ASSERT_TRUE(seen->replay_lag_bytes.has_value());
  const int64_t wrong_lag = *seen->replay_lag_bytes == 0 ? 1 << 20 : 0;

  struct Wrong {
    const char* field;
    Difference::Kind kind;
    std::string node;
    std::function<void(Prediction&)> mutate;
  };
  const Wrong wrongs[] = {
      {"server state", Difference::Kind::kServerState, "restored",
       [](Prediction& p) { last_position(p, "restored")->server_state = ServerState::kPausedAtTarget; }},
      {"timeline", Difference::Kind::kTimeline, "replica",
       [](Prediction& p) { last_position(p, "replica")->timeline = 2; }},
      {"sync_state", Difference::Kind::kSync, "replica",
       [](Prediction& p) { last_position(p, "replica")->sync_state = "potential"; }},
      {"sync_priority", Difference::Kind::kSync, "replica",
       [](Prediction& p) { last_position(p, "replica")->sync_priority = 1; }},
      {"final lag", Difference::Kind::kPositionLag, "replica",
       [wrong_lag](Prediction& p) { final_node(p, "replica")->replay_lag_bytes = wrong_lag; }},
  };
  for (const Wrong& w : wrongs) {
    Prediction p = *predicted;
    w.mutate(p);
    const Comparison c = compare_runs(p, *observed);
    EXPECT_FALSE(c.agree) << w.field;
    bool caught = false;
    for (const auto& d : c.differences) caught = caught || (d.kind == w.kind && d.node == w.node);
    EXPECT_TRUE(caught) << w.field << " wrong was not caught as " << to_string(w.kind) << ":\n" << to_json(c).dump(2);
  }
}

}  // namespace
}  // namespace replsim
