#include "sim/campaign/differential.h"

#include <fmt/format.h>

#include "sim/campaign/scenario_writer.h"

namespace replsim::campaign {

const Profile& differential_profile() {
  static const Profile profile = [] {
    Profile p = general_disk_profile();
    p.name = "differential";
    p.writes_on_paused_primary = false;  // The harness cannot stage one (scenario_gen.h).
    // No far standby: a run's final state is read when its last step ends, and WAL still on a
    // 5 or 20 ms link then arrives before the harness's read but after the model's.
    p.link_latencies = false;
    // Bursts of inserts: how many of them a crash or failover loses is timing's call (issue 15).
    p.weights[static_cast<size_t>(Intent::kBurst)] = 6;
    // A terminate is realised only where a commit may wait: drawn more often here, so that real
    // PostgreSQL sees it in a 300-run campaign more than a handful of times.
    p.weights[static_cast<size_t>(Intent::kTerminate)] = 10;
    p.weights[static_cast<size_t>(Intent::kReload)] = 5;
    // A delayed standby only with a delay no run outlives: whether a commit's delay ran out just
    // before the harness's final read would be timing's call.
    p.apply_delays_ms = {600000};
    // A session needs several intents (begin, statements, commit) to interleave with the rest:
    // drawn often enough that most runs with one have a statement in it.
    p.weights[static_cast<size_t>(Intent::kSession)] = 30;
    return p;
  }();
  return profile;
}

uint64_t differential_seed(const DifferentialOptions& options, int64_t run) {
  return run_seed("differential", options.seed, run);
}

Result<Scenario> differential_scenario(const DifferentialOptions& options, int64_t run) {
  const Plan plan = draw_plan(differential_seed(options, run), options.max_steps);
  return round_trip(realize(plan, differential_profile(), fmt::format("differential-{}-{}", options.seed, run)));
}

ShrinkResult shrink_disagreement(const DifferentialOptions& options, int64_t run, const ScenarioPredicate& disagrees) {
  const ScenarioPredicate as_file = [&disagrees](const Scenario& candidate) {
    auto parsed = round_trip(candidate);
    return parsed.ok() && disagrees(*parsed);
  };
  return shrink_scenario(shrinkable_plan(differential_seed(options, run), options.max_steps), differential_profile(),
                         fmt::format("disagreement-{}-{}", options.seed, run), options.shrink_budget, as_file);
}

}  // namespace replsim::campaign
