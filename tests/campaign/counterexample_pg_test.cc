// The teaching case end to end: the campaign's shrunk counterexample to "async failover
// loses nothing", written to a file, run on a real PostgreSQL 15 cluster by `replsim
// verify`, loses the same acknowledged transaction there (its `lost:` expectation holds
// and the simulator's prediction agrees with what was observed).
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "campaign/campaign.h"

namespace replsim::campaign {
namespace {

TEST(CounterexamplePgTest, ShrunkAsyncFailoverCounterexampleLosesTheSameCommitOnPostgres) {
  const Property* p = find_property("async-failover-loses-nothing");
  CampaignOptions options;
  options.seed = 1;
  const PropertyReport report = check_property(*p, options);
  ASSERT_TRUE(report.counterexample.has_value());
  const auto dir = std::filesystem::temp_directory_path() / "replsim-campaign-pg-test";
  std::filesystem::create_directories(dir);
  const auto file = dir / "async-failover-loses-nothing.yaml";
  std::ofstream(file) << report.counterexample->yaml;
  const std::string command = std::string(REPLSIM_BINARY) + " verify " + file.string();
  const int status = std::system(command.c_str());
  ASSERT_TRUE(WIFEXITED(status)) << command;
  EXPECT_EQ(WEXITSTATUS(status), 0) << command << "\n" << report.counterexample->yaml;
}

}  // namespace
}  // namespace replsim::campaign
