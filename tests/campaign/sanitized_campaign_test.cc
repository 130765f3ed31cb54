// What `replsim check` and `replsim run` do without real PostgreSQL, built with AddressSanitizer
// and UndefinedBehaviorSanitizer (tests/campaign/CMakeLists.txt compiles sanitized copies of the
// vocab, wal, sim and campaign libraries for it): every property's campaign for a bounded number
// of runs, every shipped scenario simulated, every hostile input parsed. Any sanitizer report
// aborts the process, so the test fails (docs/testing.md).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "sim/campaign/campaign.h"
#include "sim/campaign/property.h"
#include "sim/simulator.h"
#include "vocab/scenario_parser.h"

// Every report ends the process with an error, whatever ASAN_OPTIONS or UBSAN_OPTIONS say.
extern "C" const char* __asan_default_options() { return "abort_on_error=1:halt_on_error=1"; }
extern "C" const char* __ubsan_default_options() { return "halt_on_error=1:print_stacktrace=1"; }

namespace replsim {
namespace {

namespace fs = std::filesystem;

// Runs per property: a hundred by default (a sanitized run is several times slower), more with
// REPLSIM_SANITIZED_RUNS.
int64_t runs_per_property() {
  const char* env = std::getenv("REPLSIM_SANITIZED_RUNS");
  return env != nullptr ? std::atoll(env) : 100;
}

std::vector<fs::path> files_in(const fs::path& dir) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.is_regular_file()) files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  return files;
}

TEST(SanitizedCampaignTest, EveryPropertyCampaignRunsWithoutAReport) {
  campaign::CampaignOptions options;
  options.runs = runs_per_property();
  options.shrink_budget = 200;  // A refuted false promise is shrunk too, on a small budget.
  int guarantees = 0;
  for (const campaign::Property& p : campaign::all_properties()) {
    SCOPED_TRACE(p.name);
    const campaign::PropertyReport report = campaign::check_property(p, options);
    EXPECT_TRUE(report.error.empty()) << report.error;
    EXPECT_GE(report.runs, 1);
    if (p.kind == campaign::PropertyKind::kGuarantee) {
      ++guarantees;
      EXPECT_FALSE(report.first_counting_run.has_value()) << "guarantee violated at run " << *report.first_counting_run;
    }
  }
  EXPECT_GE(guarantees, 1);
}

TEST(SanitizedCampaignTest, EveryShippedScenarioSimulatesWithoutAReport) {
  const fs::path dir = fs::path(REPLSIM_SOURCE_ROOT) / "scenarios";
  int simulated = 0;
  for (const fs::path& file : files_in(dir)) {
    if (file.extension() != ".yaml") continue;
    SCOPED_TRACE(file.string());
    auto scenario = parse_scenario_file(file.string());
    ASSERT_TRUE(scenario.ok()) << scenario.status().message();
    auto prediction = sim::simulate(*scenario, sim::SimOptions{.seed = 1});
    EXPECT_TRUE(prediction.ok()) << prediction.status().message();
    ++simulated;
  }
  EXPECT_GE(simulated, 10);
}

TEST(SanitizedCampaignTest, EveryHostileInputParsesWithoutAReport) {
  int refused = 0, files = 0;
  for (const fs::path& file : files_in(fs::path(REPLSIM_SOURCE_ROOT) / "tests/vocab/hostile")) {
    SCOPED_TRACE(file.string());
    ++files;
    auto scenario = parse_scenario_file(file.string());
    if (!scenario.ok()) {
      ++refused;
      EXPECT_EQ(scenario.status().message().rfind(file.string() + ":", 0), 0u) << scenario.status().message();
    }
  }
  EXPECT_GE(files, 150);
  EXPECT_GE(refused, files / 2);
}

}  // namespace
}  // namespace replsim
