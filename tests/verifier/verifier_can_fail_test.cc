// Can the verifier fail? A deliberately wrong model — the simulator perturbed so that
// async commits reach the standby instantly — must be caught as "disagree" with the
// right difference: charlie on the replica, predicted present, observed absent. Here the
// faithful simulator stands in for the observation (the pg test does it against real
// PostgreSQL), so this runs in the unit loop.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <string>

#include "sim/simulator.h"
#include "test_runs.h"
#include "verifier/comparison.h"
#include "verifier/verification.h"
#include "vocab/scenario_parser.h"

namespace replsim {
namespace {

std::string source_dir() {
  const char* dir = std::getenv("REPLSIM_SOURCE_DIR");
  return dir != nullptr ? dir : ".";
}

Result<Prediction> simulate(const Scenario& s, sim::Perturbation perturbation) {
  sim::SimOptions options;
  options.seed = 1;
  options.perturbation = perturbation;
  return sim::simulate(s, options);
}

TEST(VerifierCanFailTest, InstantAsyncReplicationIsCaughtOnDrillTwoOne) {
  auto s = parse_scenario_file(source_dir() + "/scenarios/drill-2.1-replication-lag.yaml");
  ASSERT_TRUE(s.ok()) << s.status().message();
  auto wrong = simulate(*s, sim::Perturbation::kAsyncCommitsReachStandbyInstantly);
  auto right = simulate(*s, sim::Perturbation::kNone);
  ASSERT_TRUE(wrong.ok()) << wrong.status().message();
  ASSERT_TRUE(right.ok()) << right.status().message();
  Comparison c = compare_runs(*wrong, *right);
  EXPECT_FALSE(c.agree);
  testing::expect_presence_difference(c, "charlie", "replica", "present", "absent");
  // And the verification as a whole fails: the wrong model's expectations do not hold either.
  EXPECT_FALSE(verify_runs(*s, *wrong, *right).passed());
}

TEST(VerifierCanFailTest, FaithfulModelAgreesWithItself) {
  auto s = parse_scenario_file(source_dir() + "/scenarios/drill-2.1-replication-lag.yaml");
  ASSERT_TRUE(s.ok()) << s.status().message();
  auto right = simulate(*s, sim::Perturbation::kNone);
  ASSERT_TRUE(right.ok()) << right.status().message();
  EXPECT_TRUE(compare_runs(*right, *right).agree);
}

}  // namespace
}  // namespace replsim
