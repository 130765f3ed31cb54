// The teaching cases end to end: each false promise's shrunk counterexample (campaign seed 1),
// written to a file and run on a real PostgreSQL 15 cluster by `replsim verify`, fails the same
// way there: its expectations (`acknowledged: t1`, `lost: t1 on: s1`; `cancelled: t1`,
// `present: t1 on: primary`; ...) hold and the simulator's prediction agrees with what was
// observed. The two promises about crashes are refuted through a stalled disk and an emulated
// operating-system crash (docs/harness.md "Disk stalls and operating-system crashes").
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "sim/campaign/campaign.h"

namespace replsim::campaign {
namespace {

class CounterexamplePgTest : public testing::TestWithParam<std::string> {};

TEST_P(CounterexamplePgTest, ShrunkCounterexampleFailsTheSameWayOnPostgres) {
  const Property* p = find_property(GetParam());
  ASSERT_NE(p, nullptr);
  CampaignOptions options;
  options.seed = 1;
  const PropertyReport report = check_property(*p, options);
  ASSERT_TRUE(report.counterexample.has_value());
  ASSERT_EQ(report.counterexample->verdict.kind, Verdict::Kind::kViolated) << report.counterexample->yaml;
  ASSERT_FALSE(report.counterexample->scenario.expectations.empty()) << report.counterexample->yaml;
  const auto dir = std::filesystem::temp_directory_path() / "replsim-campaign-pg-test";
  std::filesystem::create_directories(dir);
  const auto file = dir / (p->name + ".yaml");
  std::ofstream(file) << report.counterexample->yaml;
  const std::string command = std::string(REPLSIM_BINARY) + " verify --no-store " + file.string();
  const int status = std::system(command.c_str());
  ASSERT_TRUE(WIFEXITED(status)) << command;
  EXPECT_EQ(WEXITSTATUS(status), 0) << command << "\n" << report.counterexample->yaml;
}

INSTANTIATE_TEST_SUITE_P(Campaign, CounterexamplePgTest,
                         testing::Values("async-failover-loses-nothing", "cancelled-sync-commit-invisible",
                                         "terminated-sync-commit-rolled-back", "sync-off-crash-loses-nothing",
                                         "remote-write-survives-standby-os-crash", "delayed-standby-loses-nothing-old"),
                         [](const auto& info) {
                           std::string name;
                           for (char c : info.param)
                             if (c != '-') name += c;
                           return name;
                         });

}  // namespace
}  // namespace replsim::campaign
