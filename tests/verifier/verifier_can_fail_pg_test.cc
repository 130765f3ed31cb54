// Can the verifier fail, against real PostgreSQL? The simulator perturbed so that async
// commits reach the standby instantly predicts that charlie survives drill 2.1's failover;
// the real cluster loses him. The verifier must say "disagree", and name charlie on the
// replica, predicted present, observed absent.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <string>

#include "harness/scenario_runner.h"
#include "sim/simulator.h"
#include "test_runs.h"
#include "verifier/comparison.h"
#include "vocab/scenario_parser.h"

namespace replsim {
namespace {

TEST(VerifierCanFailPgTest, InstantAsyncReplicationDisagreesWithRealPostgresOnDrillTwoOne) {
  const char* dir = std::getenv("REPLSIM_SOURCE_DIR");
  auto s = parse_scenario_file(std::string(dir != nullptr ? dir : ".") + "/scenarios/drill-2.1-replication-lag.yaml");
  ASSERT_TRUE(s.ok()) << s.status().message();
  sim::SimOptions options;
  options.perturbation = sim::Perturbation::kAsyncCommitsReachStandbyInstantly;
  auto wrong = sim::simulate(*s, options);
  ASSERT_TRUE(wrong.ok()) << wrong.status().message();
  auto observed = harness::run_scenario(*s, harness::HarnessOptions{});
  ASSERT_TRUE(observed.ok()) << observed.status().message();
  Comparison c = compare_runs(*wrong, *observed);
  EXPECT_FALSE(c.agree);
  testing::expect_presence_difference(c, "charlie", "replica", "present", "absent", /*with_context=*/true);
}

}  // namespace
}  // namespace replsim
