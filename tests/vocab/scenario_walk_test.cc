// The scenario walk: what the steps do to the nodes' states, before each step.
#include "vocab/scenario_walk.h"

#include <gtest/gtest.h>

#include "vocab/scenario_parser.h"

namespace replsim {
namespace {

Scenario parse(const std::string& steps) {
  auto r = parse_scenario_text(R"yaml(name: t
cluster:
  primary: p
  standbys: [a, b]
  archive_mode: true
steps:
)yaml" + steps,
                               "t.yaml");
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? *r : Scenario{};
}

TEST(ScenarioWalkTest, StandbysStreamFromTheFirstPrimaryAtTheStart) {
  const Scenario s = parse("  - wait: 1ms\n");
  const ScenarioWalk walk(s);
  ASSERT_EQ(walk.step_count(), 1);
  const NodeStates& start = walk.before(0);
  EXPECT_TRUE(start.at("p").primary);
  EXPECT_EQ(start.at("a").upstream, "p");
  EXPECT_TRUE(start.at("a").streams());
  EXPECT_EQ(walk.current_primary(0), "p");
}

TEST(ScenarioWalkTest, FaultsChangeRunStateAndReconnection) {
  const Scenario s = parse(
      "  - pause: a\n  - resume: a\n  - partition: b\n  - crash: p\n  - start: p\n  - catchup: a\n  - heal: b\n");
  const ScenarioWalk walk(s);
  EXPECT_TRUE(walk.before(1).at("a").paused());
  EXPECT_FALSE(walk.before(1).at("a").may_stream());
  EXPECT_TRUE(walk.before(2).at("a").reconnecting);
  EXPECT_TRUE(walk.before(3).at("b").partitioned);
  EXPECT_EQ(walk.before(4).at("p").run, NodeRun::kDown);
  // The restarted primary's standbys must reconnect; catchup a covers a only.
  EXPECT_TRUE(walk.before(5).at("b").reconnecting);
  EXPECT_FALSE(walk.before(6).at("a").reconnecting);
  EXPECT_TRUE(walk.before(6).at("b").reconnecting);
  EXPECT_FALSE(walk.at_end().at("b").partitioned);
}

TEST(ScenarioWalkTest, StallWipeRestoreAndPromotion) {
  const Scenario s = parse(
      "  - base_backup: b1\n  - stall_disk: a\n  - os_crash: a\n  - wipe: a\n  - restore: a\n    from: b1\n"
      "  - promote: b\n");
  const ScenarioWalk walk(s);
  EXPECT_TRUE(walk.before(2).at("a").stalled);
  EXPECT_EQ(walk.before(2).at("a").stalled_at.line, 8);
  EXPECT_FALSE(walk.before(3).at("a").stalled);
  EXPECT_EQ(walk.before(4).at("a").run, NodeRun::kWiped);
  EXPECT_EQ(walk.before(4).at("a").generation, 1);
  const NodeAtStep& restored = walk.before(5).at("a");
  EXPECT_EQ(restored.generation, 2);
  EXPECT_TRUE(restored.upstream.empty());
  EXPECT_EQ(walk.current_primary(5), "p");
  EXPECT_EQ(walk.current_primary(6), "b");
  EXPECT_TRUE(walk.at_end().at("b").primary);
  EXPECT_TRUE(walk.at_end().at("b").upstream.empty());
  EXPECT_EQ(walk.step_of_name(StepKind::kBaseBackup, "b1"), 0);
}

// A replay pause lasts until resume_replay, a promotion or the end of the server; a SIGSTOP
// keeps it; a primary refuses it (nothing changes).
TEST(ScenarioWalkTest, ReplayPauseEndsWithResumePromotionOrTheServer) {
  const Scenario s = parse(
      "  - pause_replay: a\n  - pause: a\n  - resume: a\n  - resume_replay: a\n  - pause_replay: a\n"
      "  - stop: a\n  - start: a\n  - pause_replay: b\n  - promote: b\n  - pause_replay: p\n");
  const ScenarioWalk walk(s);
  EXPECT_FALSE(walk.before(0).at("a").replay_paused);
  EXPECT_TRUE(walk.before(1).at("a").replay_paused);
  EXPECT_TRUE(walk.before(3).at("a").replay_paused);  // SIGSTOP and SIGCONT keep it.
  EXPECT_FALSE(walk.before(4).at("a").replay_paused);
  EXPECT_TRUE(walk.before(5).at("a").replay_paused);
  EXPECT_FALSE(walk.before(6).at("a").replay_paused);  // Stopped: shared memory is gone.
  EXPECT_TRUE(walk.before(8).at("b").replay_paused);
  EXPECT_FALSE(walk.before(9).at("b").replay_paused);  // Promoted.
  EXPECT_FALSE(walk.at_end().at("p").replay_paused);   // Refused on a primary.
}

}  // namespace
}  // namespace replsim
