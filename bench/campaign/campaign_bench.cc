// Campaign throughput, split where the time goes: generating a plan (rapidcheck),
// realising it, simulating it, judging it. The target is >= 10,000 generated
// scenarios of about 50 steps on 3 nodes checked per second per core; the figures and the
// machine are in docs/performance.md ("Property campaigns").
//
//   build-perf/bench/campaign/campaign_bench --benchmark_filter='BM_Simulate|BM_CheckedScenario|BM_CampaignRun'
//       --benchmark_repetitions=3 --benchmark_report_aggregates_only=true --benchmark_min_time=1  (one line)
// Counter `profiles`: timing profiles simulated per scenario (1 when the first never read a
// timing value, sim/timing_use.h).
#include <benchmark/benchmark.h>

#include <atomic>
#include <thread>
#include <vector>

#include "sim/campaign/campaign.h"

namespace replsim::campaign {
namespace {

constexpr int kSteps = 50;

// As `replsim check` does (campaign.h): the simulator's 1 MB segments stay in the heap.
const bool kLargeBlocksInHeap = (keep_large_blocks_in_heap(), true);

// Three nodes: the plan asks for two standbys; 50 intents, the legal ones kept.
Plan plan_for(const Profile& profile, uint64_t seed) {
  (void)profile;
  Plan plan = draw_plan(seed, kSteps, kSteps);
  plan.cluster.standbys = 2;
  return plan;
}

void BM_GeneratePlan(benchmark::State& state) {
  uint64_t seed = 1;
  for (auto _ : state) benchmark::DoNotOptimize(draw_plan(seed++, kSteps, kSteps));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_GeneratePlan);

// Realising with step texts (what a written or printed scenario needs) and without them
// (what campaign runs do: no property reads the texts).
void BM_Realize(benchmark::State& state) {
  const Plan plan = plan_for(general_profile(), 1);
  const StepText text = state.range(0) != 0 ? StepText::kDescribe : StepText::kOmit;
  for (auto _ : state) benchmark::DoNotOptimize(realize(plan, general_profile(), "generated", text));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Realize)->ArgName("text")->Arg(1)->Arg(0);

// Recording everything (what `replsim run` shows) and only outcomes (what most properties read).
void BM_Simulate(benchmark::State& state) {
  std::vector<Scenario> scenarios;
  for (uint64_t s = 1; s <= 64; ++s)
    scenarios.push_back(realize(plan_for(general_profile(), s), general_profile(), "generated", StepText::kOmit));
  size_t i = 0, steps = 0;
  sim::SimOptions options;
  options.recording = state.range(0) != 0 ? sim::Recording::kEverything : sim::Recording::kOutcomes;
  int64_t profiles = 0;
  for (auto _ : state) {
    const Scenario& s = scenarios[i++ % scenarios.size()];
    steps += s.steps.size();
    sim::SimStats stats;
    benchmark::DoNotOptimize(sim::simulate(s, options, &stats));
    profiles += stats.profiles_run;
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["steps"] = static_cast<double>(steps) / static_cast<double>(state.iterations());
  state.counters["profiles"] = static_cast<double>(profiles) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_Simulate)->ArgName("everything")->Arg(1)->Arg(0);

// The whole run as `replsim check` does it, for one property, on 3 nodes and 50 intents:
// draw a plan, realise it, simulate it, judge it. Threads > 1 show scaling with jobs (the
// CLI's partitioning: independent runs, nothing shared).
void BM_CheckedScenario(benchmark::State& state) {
  const Property& p = *find_property("standby-is-prefix");
  uint64_t seed = static_cast<uint64_t>(state.thread_index()) << 40;
  sim::SimOptions options;
  options.recording = p.reads;  // As campaign runs do (campaign.cc, judge).
  int64_t profiles = 0;
  for (auto _ : state) {
    const Scenario s = realize(plan_for(p.profile, ++seed), p.profile, "generated", StepText::kOmit);
    options.seed = seed;
    sim::SimStats stats;
    auto prediction = sim::simulate(s, options, &stats);
    profiles += stats.profiles_run;
    if (prediction.ok()) benchmark::DoNotOptimize(p.check(Evaluation{s, *prediction, options}));
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["profiles"] = static_cast<double>(profiles) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_CheckedScenario)->ThreadRange(1, 2)->UseRealTime();

// run_once for each checkable property, as `replsim check` runs it: the property's own
// profile (1-3 standbys as drawn), exactly 50 intents. Properties with a precondition that
// the scenario alone rules out (Property::may_apply) skip the simulation on such runs; the
// counter `simulated` is the share of runs that still needed the simulator.
void BM_CampaignRun(benchmark::State& state) {
  const Property& p = all_properties()[static_cast<size_t>(state.range(0))];
  state.SetLabel(p.name);
  CampaignOptions options;
  options.max_steps = kSteps;
  options.exact_steps = kSteps;
  int64_t run = 0;
  for (auto _ : state) benchmark::DoNotOptimize(run_once(p, options, run++));
  state.SetItemsProcessed(state.iterations());
  // After the timed loop: the same runs' scenarios again, to count those that needed the simulator.
  int64_t simulated = 0;
  for (int64_t r = 0; r < run; ++r) {
    const Scenario s = realize(draw_plan(run_seed(p, options.seed, r), kSteps, kSteps), p.profile, "generated",
                               StepText::kOmit);
    simulated += p.may_apply == nullptr || p.may_apply(s) ? 1 : 0;
  }
  state.counters["simulated"] = static_cast<double>(simulated) / static_cast<double>(state.iterations());
}

void CheckableProperties(benchmark::internal::Benchmark* b) {
  for (size_t i = 0; i < all_properties().size(); ++i)
    if (all_properties()[i].check != nullptr) b->Arg(static_cast<int64_t>(i));
}
BENCHMARK(BM_CampaignRun)->Apply(CheckableProperties);

}  // namespace
}  // namespace replsim::campaign

BENCHMARK_MAIN();
