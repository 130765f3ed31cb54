// The simulator's shortcuts for campaign runs change nothing a property reads:
//  - Recording::kOutcomes (no timeline, events or notes) leaves transactions, lag measures and
//    node finals byte-identical, and every property that declares it reads only those gives the
//    same verdict with it;
//  - running the second timing profile only when the first run read a timing value gives the
//    full prediction (the rapidcheck property is in sim_shortcuts_property_test.cc);
//  - starting every run from the process's saved load of the seed rows (sim/initial_data.h)
//    gives the prediction of a run that loads them itself;
// checked on every drill in scenarios/ and on generated scenarios of every property's profile.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "sim/campaign/campaign.h"
#include "sim/campaign/scenario_gen.h"
#include "sim/initial_data.h"
#include "vocab/run_result.h"
#include "vocab/scenario_parser.h"

namespace replsim::campaign {
namespace {

// As `replsim check` does (campaign.h): the simulator's 1 MB segments stay in the heap.
const bool kLargeBlocksInHeap = (keep_large_blocks_in_heap(), true);

std::vector<Scenario> drills() {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator("scenarios"))
    if (entry.path().extension() == ".yaml") files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  std::vector<Scenario> out;
  for (const auto& file : files) {
    auto s = parse_scenario_file(file.string());
    EXPECT_TRUE(s.ok()) << file << ": " << s.status().message();
    if (s.ok()) out.push_back(*s);
  }
  EXPECT_GE(out.size(), 4u) << "run from the source directory (ctest does)";
  return out;
}

// `runs` generated scenarios per checkable property's profile, 3 nodes, up to 50 intents,
// each with the seed its campaign run would use.
struct Generated {
  const Property* property;
  Scenario scenario;
  uint64_t seed;
};
std::vector<Generated> generated(int64_t runs) {
  std::vector<Generated> out;
  for (const Property& p : all_properties()) {
    if (p.check == nullptr) continue;
    for (int64_t run = 0; run < runs; ++run) {
      const uint64_t seed = run_seed(p, 7, run);
      Plan plan = draw_plan(seed, 50);
      plan.cluster.standbys = 2;
      out.push_back({&p, realize(plan, p.profile, "generated", StepText::kOmit), seed});
    }
  }
  return out;
}

// What Recording::kOutcomes promises to keep, as JSON text.
std::string outcomes_json(const Prediction& p) {
  const nlohmann::json j = to_json(p);
  return j.at("transactions").dump() + j.at("lags").dump() + j.at("nodes").dump();
}

void expect_same_outcomes(const Scenario& s, uint64_t seed) {
  sim::SimOptions everything;
  everything.seed = seed;
  sim::SimOptions outcomes = everything;
  outcomes.recording = sim::Recording::kOutcomes;
  auto full = sim::simulate(s, everything);
  auto bare = sim::simulate(s, outcomes);
  ASSERT_TRUE(full.ok() && bare.ok());
  EXPECT_EQ(outcomes_json(*full), outcomes_json(*bare)) << s.name;
  EXPECT_TRUE(bare->timeline.empty());
  EXPECT_TRUE(bare->events.empty());
  EXPECT_TRUE(bare->notes.empty());
  EXPECT_FALSE(full->timeline.empty() && !s.steps.empty());
}

TEST(RecordingTest, OutcomesOnlyKeepsTransactionsLagsAndNodesOfEveryDrill) {
  for (const Scenario& s : drills()) expect_same_outcomes(s, 1);
}

TEST(RecordingTest, OutcomesOnlyKeepsTransactionsLagsAndNodesOfGeneratedScenarios) {
  for (const Generated& g : generated(40)) expect_same_outcomes(g.scenario, g.seed);
}

std::string describe(const Verdict& v) {
  std::string out = std::to_string(static_cast<int>(v.kind)) + (v.applicable ? " applicable " : " - ") + v.witness;
  for (const Expectation& e : v.expectations)
    out += " | " + std::to_string(static_cast<int>(e.kind)) + " " + e.label + " " + e.node + " " + e.table + " " +
           std::to_string(e.count) + " " + e.error;
  return out;
}

// A property that declares it reads only outcomes judges the bare prediction as the full one.
TEST(RecordingTest, PropertiesReadingOutcomesJudgeBarePredictionsAlike) {
  int compared = 0;
  for (const Generated& g : generated(60)) {
    const Property& p = *g.property;
    if (p.reads != sim::Recording::kOutcomes) continue;
    sim::SimOptions everything;
    everything.seed = g.seed;
    sim::SimOptions outcomes = everything;
    outcomes.recording = sim::Recording::kOutcomes;
    auto full = sim::simulate(g.scenario, everything);
    auto bare = sim::simulate(g.scenario, outcomes);
    ASSERT_TRUE(full.ok() && bare.ok());
    EXPECT_EQ(describe(p.check(Evaluation{g.scenario, *full, everything})),
              describe(p.check(Evaluation{g.scenario, *bare, outcomes})))
        << p.name << " seed " << g.seed;
    ++compared;
  }
  EXPECT_GE(compared, 6 * 60);
}

// The properties that read more than outcomes keep the full recording.
TEST(RecordingTest, DeterminismAndPitrRecordEverything) {
  EXPECT_EQ(find_property("determinism")->reads, sim::Recording::kEverything);
  EXPECT_EQ(find_property("pitr-exact-prefix")->reads, sim::Recording::kEverything);
  EXPECT_EQ(find_property("standby-is-prefix")->reads, sim::Recording::kOutcomes);
}

// On the drills, whose timing matters by design, the shortcut changes nothing either.
TEST(TimingShortcutTest, DrillPredictionsAreThoseOfEveryProfile) {
  for (const Scenario& s : drills()) {
    sim::SimOptions full;
    full.profile_runs = sim::ProfileRuns::kAll;
    sim::SimOptions shortcut = full;
    shortcut.profile_runs = sim::ProfileRuns::kWhenTimingWasRead;
    auto a = sim::simulate(s, full);
    auto b = sim::simulate(s, shortcut);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(to_json(*a).dump(), to_json(*b).dump()) << s.file;
  }
}

// The saved load of the seed rows, shared by every run, against loading them in each run: the
// whole prediction, as JSON, with every profile run, on every drill and generated scenario.
void expect_saved_load_changes_nothing(const Scenario& s, uint64_t seed) {
  sim::SimOptions loading;
  loading.seed = seed;
  loading.profile_runs = sim::ProfileRuns::kAll;
  loading.saved_initial_data = false;
  sim::SimOptions saved = loading;
  saved.saved_initial_data = true;
  auto a = sim::simulate(s, loading);
  auto b = sim::simulate(s, saved);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(to_json(*a).dump(), to_json(*b).dump()) << s.name << " seed " << seed;
}

TEST(SavedInitialDataTest, DrillPredictionsAreThoseOfLoadingTheRows) {
  for (const Scenario& s : drills()) expect_saved_load_changes_nothing(s, 1);
}

TEST(SavedInitialDataTest, GeneratedPredictionsAreThoseOfLoadingTheRows) {
  for (const Generated& g : generated(40)) expect_saved_load_changes_nothing(g.scenario, g.seed);
}

// Generated scenarios use 1 MB segments; other sizes have their own saved loads (not 1 GB:
// a segment switch there writes a gigabyte of padding).
TEST(SavedInitialDataTest, OtherSegmentSizesArePredictedAlike) {
  const std::vector<Generated> all = generated(3);
  for (const Generated& g : all) {
    if (g.property->profile.archive_mode) continue;  // Base backups and switches copy whole segments.
    for (uint64_t size : {uint64_t{2} << 20, uint64_t{16} << 20}) {
      Scenario s = g.scenario;
      s.cluster.wal_segment_size = size;
      expect_saved_load_changes_nothing(s, g.seed);
    }
  }
}

// `replsim check --jobs N` simulates on N threads: the first runs of a segment size build its
// saved load concurrently, and every thread gets the one load and the loading path's prediction.
TEST(SavedInitialDataTest, ThreadsShareOneSavedLoad) {
  Scenario s = generated(1).front().scenario;
  s.cluster.wal_segment_size = uint64_t{4} << 20;  // No other test uses it: first use is here.
  sim::SimOptions loading;
  loading.saved_initial_data = false;
  auto expected = sim::simulate(s, loading);
  ASSERT_TRUE(expected.ok());
  const std::string want = to_json(*expected).dump();
  std::vector<std::string> got(4);
  std::vector<const sim::InitialData*> saved(4);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < got.size(); ++t)
    threads.emplace_back([&, t] {
      saved[t] = sim::saved_initial_data(s.dataset(), s.cluster.wal_segment_size);
      auto p = sim::simulate(s, sim::SimOptions{});
      got[t] = p.ok() ? to_json(*p).dump() : p.status().message();
    });
  for (std::thread& t : threads) t.join();
  for (size_t t = 0; t < got.size(); ++t) {
    EXPECT_EQ(got[t], want) << "thread " << t;
    EXPECT_EQ(saved[t], saved[0]);
  }
}

// Every scenario segment size and data set has a saved load, with the seed rows in it.
TEST(SavedInitialDataTest, EverySegmentSizeAndDataSetIsSaved) {
  for (const Dataset& d : all_datasets()) {
    for (uint64_t size = uint64_t{1} << 20; size <= uint64_t{1} << 30; size <<= 1) {
      const sim::InitialData* saved = sim::saved_initial_data(d, size);
      ASSERT_NE(saved, nullptr) << d.name << " " << size;
      EXPECT_EQ(saved, sim::saved_initial_data(d, size)) << "built once";
      size_t rows = 0;
      for (const auto& t : d.rows) rows += t.rows.size();
      EXPECT_EQ(saved->rows.size(), rows);
      EXPECT_EQ(saved->wal.size(), saved->end.value - saved->start.value);
    }
  }
  EXPECT_EQ(sim::saved_initial_data(all_datasets().front(), 4096), nullptr);
}

}  // namespace
}  // namespace replsim::campaign
