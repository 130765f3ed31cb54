// Scenarios run through the simulator, one behaviour of PostgreSQL 15 each.
#include <gtest/gtest.h>

#include "sim_test_util.h"

namespace replsim::sim::testing {
namespace {

TEST(SimulatorTest, AsyncCommitSurvivesPromotionAfterCatchup) {
  auto p = run_yaml(scenario("r", "on", "", "  - catchup\n" + insert("a") + "  - catchup\n  - crash: p\n  - promote: r\n"));
  EXPECT_EQ(outcome(p, "a"), "acknowledged");
  EXPECT_EQ(presence(p, "r", "a"), "present");
}

}  // namespace
}  // namespace replsim::sim::testing

namespace replsim::sim::testing {
namespace {

TEST(SimulatorTest, DebugOffScenario) {
  FILE* f = std::fopen("/tmp/sc/off.yaml", "r");
  if (f == nullptr) GTEST_SKIP();
  std::string text;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
  std::fclose(f);
  auto p = run_yaml(text);
  std::printf("%s", all_notes(p).c_str());
}

}  // namespace
}  // namespace replsim::sim::testing
