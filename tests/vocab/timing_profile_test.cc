#include "vocab/timing_profile.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include "vocab/scenario.h"

namespace replsim {
namespace {

MeasuredTiming sample_profile() {
  MeasuredTiming p;
  p.created = "2026-12-02T11:00:00Z";
  p.command = "replsim calibrate --samples 3";
  p.machine = MachineInfo{"Test CPU @ 2.0GHz", 2, "15.18 (Debian 15.18-1.pgdg120+1)"};
  p.samples = 3;
  int64_t base = 100;
  for (const std::string& name : calibrated_steps())
    p.steps[name] = summarize_latencies({base, base * 2, base * 3}), base += 10;
  p.wal_shipping = summarize_latencies({150, 180, 400});
  for (const std::string& level : calibrated_commit_levels()) p.commit[level] = summarize_latencies({900, 1000, 2500});
  return p;
}

// The sample profile's JSON with one edit applied, read back: the error message.
std::string error_after(const std::function<void(nlohmann::json&)>& edit) {
  nlohmann::json doc = nlohmann::json::parse(timing_profile_json(sample_profile()));
  edit(doc);
  auto r = parse_timing_profile(doc.dump(), "p.json");
  EXPECT_FALSE(r.ok());
  if (r.ok()) return "";
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidInput);
  return r.status().message();
}

TEST(TimingProfileTest, SummarizesByNearestRank) {
  std::vector<int64_t> samples;
  for (int64_t i = 100; i >= 1; --i) samples.push_back(i * 10);
  EXPECT_EQ(summarize_latencies(samples), (LatencySummary{100, 10, 500, 900, 990, 1000}));
  EXPECT_EQ(summarize_latencies({7}), (LatencySummary{1, 7, 7, 7, 7, 7}));
  EXPECT_EQ(summarize_latencies({3, 1, 2}), (LatencySummary{3, 1, 2, 3, 3, 3}));
}

TEST(TimingProfileTest, CalibratedStepsAreStepKindNames) {
  std::vector<std::string> kinds;
  for (int k = 0; k <= static_cast<int>(StepKind::kOsCrash); ++k) kinds.push_back(to_string(static_cast<StepKind>(k)));
  for (const std::string& name : calibrated_steps())
    EXPECT_NE(std::find(kinds.begin(), kinds.end(), name), kinds.end()) << name;
  for (const std::string& level : calibrated_commit_levels())
    EXPECT_TRUE(parse_sync_commit(level).has_value()) << level;
}

TEST(TimingProfileTest, RoundTripsThroughJson) {
  const MeasuredTiming p = sample_profile();
  const std::string text = timing_profile_json(p);
  auto back = parse_timing_profile(text, "p.json");
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(*back, p);
  EXPECT_EQ(timing_profile_json(*back), text);
}

TEST(TimingProfileTest, RoundTripsThroughAFile) {
  const std::string dir = testing::TempDir();
  const std::string path = dir + "/timing_profile_test.json";
  const MeasuredTiming p = sample_profile();
  ASSERT_TRUE(write_timing_profile(path, p).ok());
  auto back = read_timing_profile(path);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(*back, p);
  for (const auto& entry : std::filesystem::directory_iterator(dir))  // No temporary file left.
    EXPECT_EQ(entry.path().filename().string().find("timing_profile_test.json.tmp"), std::string::npos);
  std::remove(path.c_str());
}

TEST(TimingProfileTest, MissingFileIsNotFound) {
  auto r = read_timing_profile("/nonexistent/dir/profile.json");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kNotFound);
  EXPECT_NE(r.status().message().find("/nonexistent/dir/profile.json"), std::string::npos);
}

TEST(TimingProfileTest, WriteIntoAMissingDirectoryFails) {
  EXPECT_EQ(write_timing_profile("/nonexistent/dir/profile.json", sample_profile()).code(), Status::Code::kIoError);
}

TEST(TimingProfileTest, RejectsWhatIsNotJson) {
  auto r = parse_timing_profile("{ not json", "p.json");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "p.json: expected a JSON document");
  EXPECT_EQ(parse_timing_profile("[1, 2]", "p.json").status().message(),
            "p.json: the document: expected a JSON object");
}

TEST(TimingProfileTest, NamesTheFormatAndVersionItExpects) {
  EXPECT_EQ(error_after([](auto& d) { d["format"] = "other"; }), "p.json: format: expected \"replsim-timing-profile\"");
  EXPECT_EQ(error_after([](auto& d) { d["version"] = 2; }), "p.json: version: expected 1 (got 2)");
  EXPECT_EQ(error_after([](auto& d) { d.erase("format"); }), "p.json: format: expected a string (missing)");
}

TEST(TimingProfileTest, NamesEachMissingOrMistypedField) {
  EXPECT_EQ(error_after([](auto& d) { d.erase("created"); }), "p.json: created: expected a string (missing)");
  EXPECT_EQ(error_after([](auto& d) { d["command"] = 3; }), "p.json: command: expected a non-empty string");
  EXPECT_EQ(error_after([](auto& d) { d["machine"] = "x"; }), "p.json: machine: expected an object");
  EXPECT_EQ(error_after([](auto& d) { d["machine"].erase("cpu"); }),
            "p.json: machine.cpu: expected a string (missing)");
  EXPECT_EQ(error_after([](auto& d) { d["machine"]["cores"] = 0; }), "p.json: machine.cores: expected an integer >= 1");
  EXPECT_EQ(error_after([](auto& d) { d["machine"]["postgresql"] = ""; }),
            "p.json: machine.postgresql: expected a non-empty string");
  EXPECT_EQ(error_after([](auto& d) { d["samples"] = 1.5; }), "p.json: samples: expected an integer >= 1");
  EXPECT_EQ(error_after([](auto& d) { d.erase("steps"); }), "p.json: steps: expected an object (missing)");
  EXPECT_EQ(error_after([](auto& d) { d.erase("wal_shipping"); }),
            "p.json: wal_shipping: expected a summary (missing)");
  EXPECT_EQ(error_after([](auto& d) { d["commit"] = nlohmann::json::array(); }), "p.json: commit: expected an object");
}

TEST(TimingProfileTest, NamesAMissingOrUnknownStepOrLevel) {
  EXPECT_EQ(error_after([](auto& d) { d["steps"].erase("promote"); }),
            "p.json: steps.promote: expected a summary (missing)");
  EXPECT_EQ(error_after([](auto& d) { d["commit"].erase("remote_apply"); }),
            "p.json: commit.remote_apply: expected a summary (missing)");
  const std::string unknown = error_after([](auto& d) { d["steps"]["insrt"] = d["steps"]["insert"]; });
  EXPECT_EQ(unknown.rfind("p.json: steps.insrt: expected one of insert, update, ", 0), 0u) << unknown;
  EXPECT_NE(unknown.find("(unknown key)"), std::string::npos);
}

TEST(TimingProfileTest, NamesABadSummary) {
  EXPECT_EQ(error_after([](auto& d) { d["steps"]["insert"] = 5; }),
            "p.json: steps.insert: expected an object with count, min_us, p50_us, p90_us, p99_us, max_us");
  EXPECT_EQ(error_after([](auto& d) { d["steps"]["insert"].erase("p90_us"); }),
            "p.json: steps.insert.p90_us: expected an integer (missing)");
  EXPECT_EQ(error_after([](auto& d) { d["steps"]["insert"]["count"] = 0; }),
            "p.json: steps.insert.count: expected an integer >= 1");
  EXPECT_EQ(error_after([](auto& d) { d["wal_shipping"]["min_us"] = -1; }),
            "p.json: wal_shipping.min_us: expected an integer >= 0");
  EXPECT_EQ(error_after([](auto& d) { d["commit"]["on"]["p50_us"] = 99999; }),
            "p.json: commit.on: expected min_us <= p50_us <= p90_us <= p99_us <= max_us "
            "(got 900, 99999, 2500, 2500, 2500)");
}

}  // namespace
}  // namespace replsim
