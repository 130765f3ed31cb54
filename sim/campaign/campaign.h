// A property campaign: many generated scenarios, each run on the simulator and judged by
// one property; when a run counts against the property, it is shrunk to a small scenario
// that still does. Everything here is single-threaded and a pure function of its inputs:
// run `i` of a campaign depends only on (property, campaign seed, i), so a caller may hand
// runs to any number of threads (the CLI does) and still get the same campaign.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "sim/campaign/property.h"
#include "sim/simulator.h"

namespace replsim::campaign {

struct CampaignOptions {
  uint64_t seed = 1;
  int64_t runs = 1000;
  int max_steps = 30;   // Intents per generated plan (realised scenarios may have fewer steps).
  int exact_steps = 0;  // > 0: every plan has exactly this many intents (benchmarks).
  sim::Perturbation perturbation = sim::Perturbation::kNone;  // Model errors, for "can it fail?" tests.
  int shrink_budget = 4000;                                   // Simulator runs the shrinker may spend.
  // The measured timing the simulator's profiles take their extremes from (SimOptions::timing).
  const MeasuredTiming* timing = &default_timing_profile();
};

// The seed of run `run`: mixes the campaign seed, the property's (or campaign's) name and
// the run index.
uint64_t run_seed(const std::string& name, uint64_t campaign_seed, int64_t run);
uint64_t run_seed(const Property& property, uint64_t campaign_seed, int64_t run);

struct RunOutcome {
  int64_t run = 0;
  uint64_t seed = 0;
  size_t steps = 0;
  Verdict verdict;
  bool counts = false;  // Property::counts(verdict).
  std::string error;    // The simulator refused the scenario (a generator bug): counts as a failure.
};

// Each simulated node allocates and frees 1 MB WAL segments. glibc serves blocks that large
// with mmap/munmap, and with several threads every munmap (and every heap trim) is a TLB
// shootdown across cores: measured 3,790 runs/s on one job but 52 runs/s on two. Keeping such
// blocks in the heaps and never trimming them makes the jobs independent again. Call before
// starting the threads (`replsim check`, the campaign tests and benchmark do).
void keep_large_blocks_in_heap();

// One run. REQUIRES: property.check != nullptr.
RunOutcome run_once(const Property& property, const CampaignOptions& options, int64_t run);

struct Counterexample {
  std::string property;
  uint64_t campaign_seed = 0;
  int64_t run = 0;
  uint64_t run_seed = 0;
  size_t original_steps = 0;
  int shrink_runs = 0;  // Simulator runs the shrinker spent.
  Scenario scenario;    // Shrunk, with expectations that state the violation.
  Verdict verdict;
  std::string yaml;  // write_scenario(scenario), with a header comment saying how to reproduce it.
};

// Shrinks run `run` (which must count against the property) with shrink_scenario; a
// candidate fails when it counts at least as strongly (a determinate counterexample never
// shrinks into a timing-dependent one).
Counterexample shrink_run(const Property& property, const CampaignOptions& options, int64_t run);

// Does a candidate still fail? The shrinker's only question, so that anything can judge:
// a property on the simulator's prediction, or the verifier on a real cluster's history.
using ScenarioPredicate = std::function<bool(const Scenario&)>;

struct ShrinkResult {
  Scenario scenario;  // Named `name`; a valid scenario file (it went through the writer and the parser).
  int runs = 0;       // Candidates judged.
};

// Shrinks the plan `root` (whose realisation under `profile` fails): rapidcheck's shrink tree
// first, then single-step removals validated by the parser, then relabelling t1, t2, ...
// `fails` is called at most `budget` times (plus one for the relabelling); plan candidates
// are realised without step texts (StepText::kOmit), the later ones are parsed files.
ShrinkResult shrink_scenario(const rc::Shrinkable<Plan>& root, const Profile& profile, const std::string& name,
                             int budget, const ScenarioPredicate& fails);

// What a campaign over one property found.
struct PropertyReport {
  const Property* property = nullptr;
  int64_t runs = 0;        // Runs done (a campaign stops at its first counting run).
  int64_t applicable = 0;  // Runs whose scenario met the property's precondition.
  int64_t possible = 0;    // Runs with a violation under some timing only.
  std::optional<int64_t> first_counting_run;
  std::optional<Counterexample> counterexample;
  std::string error;
  // Guarantee: no run counted; false promise: a run refuted it.
  bool as_expected() const;
};

// The sequential campaign: runs 0..runs-1 in order, stops at the first that counts, shrinks
// it. `progress`, if set, is called after each run.
PropertyReport check_property(const Property& property, const CampaignOptions& options,
                              const std::function<void(const RunOutcome&)>& progress = {});

}  // namespace replsim::campaign
