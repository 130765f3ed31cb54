// Campaign throughput, split where the time goes: generating a plan (rapidcheck),
// realising it, simulating it, judging it. The target is >= 10,000 generated
// scenarios of about 50 steps on 3 nodes checked per second per core; the figures and the
// machine are in docs/performance.md ("Property campaigns").
//
//   build-campaign/bench/campaign/campaign_bench --benchmark_min_time=2
#include <benchmark/benchmark.h>

#include <atomic>
#include <thread>
#include <vector>

#include "campaign/campaign.h"

namespace replsim::campaign {
namespace {

constexpr int kSteps = 50;

// Three nodes: the plan asks for two standbys; about 50 intents, all legal ones kept.
Plan plan_for(const Profile& profile, uint64_t seed) {
  Plan plan = gen_plan(profile, kSteps, kSteps)(rc::Random(seed), 100).value();
  plan.cluster.standbys = 2;
  return plan;
}

void BM_GeneratePlan(benchmark::State& state) {
  uint64_t seed = 1;
  for (auto _ : state) benchmark::DoNotOptimize(gen_plan(general_profile(), kSteps, kSteps)(rc::Random(seed++), 100).value());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_GeneratePlan);

void BM_Realize(benchmark::State& state) {
  const Plan plan = plan_for(general_profile(), 1);
  for (auto _ : state) benchmark::DoNotOptimize(realize(plan, general_profile()));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Realize);

void BM_Simulate(benchmark::State& state) {
  std::vector<Scenario> scenarios;
  for (uint64_t s = 1; s <= 64; ++s) scenarios.push_back(realize(plan_for(general_profile(), s), general_profile()));
  size_t i = 0, steps = 0;
  sim::SimOptions options;
  for (auto _ : state) {
    const Scenario& s = scenarios[i++ % scenarios.size()];
    steps += s.steps.size();
    benchmark::DoNotOptimize(sim::simulate(s, options));
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["steps"] = static_cast<double>(steps) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_Simulate);

// The whole run as `replsim check` does it, for one property: generate, realise,
// simulate, judge. Threads > 1 shows scaling with jobs (the CLI's partitioning).
void BM_CheckedScenario(benchmark::State& state) {
  const Property& p = *find_property("standby-is-prefix");
  CampaignOptions options;
  options.max_steps = kSteps;
  int64_t run = state.thread_index() * 1'000'000;
  for (auto _ : state) benchmark::DoNotOptimize(run_once(p, options, run++));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CheckedScenario)->ThreadRange(1, 2)->UseRealTime();

}  // namespace
}  // namespace replsim::campaign

BENCHMARK_MAIN();
