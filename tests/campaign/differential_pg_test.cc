// Differential test (issue 7): twenty generated scenarios — campaign seed 1, at most 8
// intents each, every cluster shape and fault the generator draws (1-3 standbys, every
// synchronous_commit level and synchronous_standby_names shape; partitions, pauses, crashes,
// stops, promotions, cancels, disk stalls and OS crashes) — each run on the simulator and on a fresh real PostgreSQL 15
// cluster. The verifier must find every pair in agreement: each transaction's outcome, its
// presence on each node, node errors and row counts. A disagreement prints the scenario file
// and the verifier's differences; `replsim check --real` runs longer campaigns and shrinks
// a disagreement.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>

#include "harness/scenario_runner.h"
#include "sim/campaign/differential.h"
#include "sim/campaign/scenario_writer.h"
#include "sim/simulator.h"
#include "verifier/report_text.h"
#include "verifier/verification.h"

namespace replsim::campaign {
namespace {

constexpr int64_t kScenarios = 20;

TEST(DifferentialPgTest, SimulatorAndPostgresAgreeOnTwentyGeneratedScenarios) {
  DifferentialOptions options;
  options.seed = 1;
  const auto start = std::chrono::steady_clock::now();
  int64_t steps = 0, transactions = 0, compared = 0;
  for (int64_t run = 0; run < kScenarios; ++run) {
    auto scenario = differential_scenario(options, run);
    ASSERT_TRUE(scenario.ok()) << "run " << run << ": " << scenario.status().message();
    const std::string file = write_scenario(*scenario);
    ASSERT_TRUE(harness::validate_for_harness(*scenario).ok()) << file;
    const sim::SimOptions sim_options{differential_seed(options, run), sim::Perturbation::kNone};
    auto prediction = sim::simulate(*scenario, sim_options);
    ASSERT_TRUE(prediction.ok()) << prediction.status().message() << "\n" << file;
    auto history = harness::run_scenario(*scenario, harness::HarnessOptions{});
    ASSERT_TRUE(history.ok()) << history.status().message() << "\n" << file;
    const Verification v = verify_runs(*scenario, *prediction, *history);
    EXPECT_EQ(v.verdict, Verification::Verdict::kAgree)
        << "run " << run << " (seed " << differential_seed(options, run) << "):\n"
        << file << "\n"
        << render_report(v, &*prediction, &*history);
    steps += static_cast<int64_t>(scenario->steps.size());
    transactions += static_cast<int64_t>(prediction->transactions.size());
    // Each run compares something (at least how each node ended: a run may end with every node
    // down or frozen), and the runs together compare many transactions: a verifier that
    // compared nothing would agree vacuously.
    EXPECT_GT(v.comparison.outcomes.determinate + v.comparison.outcomes.either + v.comparison.presence.determinate +
                  v.comparison.rows.determinate + v.comparison.errors.determinate,
              0)
        << file;
    compared += v.comparison.outcomes.determinate + v.comparison.presence.determinate;
  }
  EXPECT_GE(compared, kScenarios);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  RecordProperty("scenarios", static_cast<int>(kScenarios));
  RecordProperty("steps", static_cast<int>(steps));
  RecordProperty("transactions", static_cast<int>(transactions));
  std::printf("%lld scenarios, %lld steps, %lld transactions in %.1f s\n", static_cast<long long>(kScenarios),
              static_cast<long long>(steps), static_cast<long long>(transactions), seconds);
}

}  // namespace
}  // namespace replsim::campaign
