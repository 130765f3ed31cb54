// `replsim calibrate`'s measurement on real PostgreSQL: the profile is complete and each
// summary is a plausible distribution. Nothing here asserts a speed.
#include "harness/calibration.h"

#include <cstdio>
#include <string>

#include "harness_test_util.h"
#include "vocab/timing_profile.h"

namespace replsim::harness {
namespace {

void expect_plausible(const std::string& what, const LatencySummary& s, int64_t samples) {
  EXPECT_EQ(s.count, samples) << what;
  EXPECT_GT(s.min_us, 0) << what;
  EXPECT_LE(s.min_us, s.p50_us) << what;
  EXPECT_LE(s.p50_us, s.p90_us) << what;
  EXPECT_LE(s.p90_us, s.p99_us) << what;
  EXPECT_LE(s.p99_us, s.max_us) << what;
}

TEST(HarnessCalibrationTest, ProfileHasEveryMeasurementWithOrderedSummaries) {
  CalibrationOptions o;
  o.samples = 3;
  o.command = "replsim calibrate --samples 3";
  o.harness = testing::test_options();
  auto p = calibrate(o);
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(p->samples, 3);
  EXPECT_EQ(p->command, o.command);
  EXPECT_EQ(p->machine.postgresql.rfind("15", 0), 0u) << p->machine.postgresql;
  EXPECT_FALSE(p->machine.cpu.empty());
  EXPECT_GE(p->machine.cores, 1);
  EXPECT_EQ(p->created.size(), 20u) << p->created;
  ASSERT_EQ(p->steps.size(), calibrated_steps().size());
  for (const std::string& name : calibrated_steps()) {
    ASSERT_EQ(p->steps.count(name), 1u) << name;
    // `start` runs twice a round: after a crash and after a clean stop.
    expect_plausible("step " + name, p->steps.at(name), name == "start" ? 6 : 3);
  }
  expect_plausible("wal_shipping", p->wal_shipping, 3);
  ASSERT_EQ(p->commit.size(), calibrated_commit_levels().size());
  for (const std::string& level : calibrated_commit_levels()) {
    ASSERT_EQ(p->commit.count(level), 1u) << level;
    expect_plausible("commit " + level, p->commit.at(level), 3);
  }

  // What calibrate measured is what the reader accepts, unchanged.
  const std::string path = ::testing::TempDir() + "/calibration_test_profile.json";
  ASSERT_TRUE(write_timing_profile(path, *p).ok());
  auto back = read_timing_profile(path);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(*back, *p);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace replsim::harness
