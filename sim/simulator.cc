#include "sim/simulator.h"

#include <fmt/format.h>

#include <algorithm>

#include "sim/cluster.h"
#include "sim/timing.h"
#include "vocab/assert.h"

namespace replsim::sim {
namespace {

bool contains(const std::vector<TxOutcome>& v, TxOutcome o) { return std::find(v.begin(), v.end(), o) != v.end(); }

// Folds `other` (the same scenario under timing profile `profile`) into `base` (under
// `base_profile`): outcomes become "either of", presence that differs becomes kEither, row
// counts that differ are not predicted. Positions, lags and the timeline stay those of `base`.
void merge(RunResult& base, const char* base_profile, const RunResult& other, const char* profile) {
  REPLSIM_ASSERT(base.transactions.size() == other.transactions.size(), "profiles run the same transactions");
  for (size_t i = 0; i < base.transactions.size(); ++i) {
    TxRecord& tx = base.transactions[i];
    for (TxOutcome o : other.transactions[i].outcomes) {
      if (contains(tx.outcomes, o)) continue;
      tx.outcomes.push_back(o);
      base.notes.push_back(fmt::format("{}: timing decides; with {} timing it is {} instead of {}", tx.label, profile,
                                       to_string(o), to_string(tx.outcomes[0])));
    }
  }
  REPLSIM_ASSERT(base.steps.size() == other.steps.size(), "profiles run the same steps");
  for (size_t i = 0; i < base.steps.size(); ++i) {
    StepResult& step = base.steps[i];
    const StepResult& alt = other.steps[i];
    if (step.refused == alt.refused && step.sqlstate == alt.sqlstate) continue;
    step.timing_decides = true;
    base.notes.push_back(fmt::format("step {}: timing decides whether the server refuses it ({} with {} timing)",
                                     step.step + 1, alt.refused ? "refused " + alt.sqlstate : "accepted", profile));
  }
  REPLSIM_ASSERT(base.nodes.size() == other.nodes.size(), "profiles run the same nodes");
  for (size_t i = 0; i < base.nodes.size(); ++i) {
    NodeFinal& node = base.nodes[i];
    const NodeFinal& alt = other.nodes[i];
    if (node.state != alt.state) {
      base.notes.push_back(
          fmt::format("{} ends {} or {} depending on timing", node.name, to_string(node.state), to_string(alt.state)));
    }
    for (auto& [label, presence] : node.presence) {
      auto it = alt.presence.find(label);
      const Presence theirs = it == alt.presence.end() ? Presence::kEither : it->second;
      if (presence == theirs || presence == Presence::kEither) continue;
      base.notes.push_back(fmt::format("{} on {}: either (timing decides: {} with {} timing, {} with {} timing)", label,
                                       node.name, to_string(presence), base_profile, to_string(theirs), profile));
      presence = Presence::kEither;
    }
    for (auto it = node.row_counts.begin(); it != node.row_counts.end();) {
      auto alt_count = alt.row_counts.find(it->first);
      if (alt_count == alt.row_counts.end() || alt_count->second != it->second) it = node.row_counts.erase(it);
      else ++it;
    }
  }
}

// Server states, pg_stat_replication rows and final lags that differ between the profiles are
// not predicted (nullopt): timing decides them. Lags differ when one profile has the standby
// caught up and the other not; two non-zero lags keep the base's (the byte tolerance covers it).
void merge_states(RunResult& base, const RunResult& other, const char* profile) {
  for (size_t i = 0; i < base.nodes.size() && i < other.nodes.size(); ++i) {
    NodeFinal& node = base.nodes[i];
    const NodeFinal& alt = other.nodes[i];
    if (node.server_state != alt.server_state) node.server_state.reset();
    auto open = [](std::optional<int64_t>& mine, const std::optional<int64_t>& theirs) {
      if (mine.has_value() != theirs.has_value() || (mine && (*mine == 0) != (*theirs == 0))) mine.reset();
    };
    const bool had = node.receive_lag_bytes.has_value();
    open(node.receive_lag_bytes, alt.receive_lag_bytes);
    open(node.replay_lag_bytes, alt.replay_lag_bytes);
    if (had && !node.receive_lag_bytes)
      base.notes.push_back(
          fmt::format("{}'s lag at the end: timing decides (with {} timing it differs)", node.name, profile));
  }
  for (size_t e = 0; e < base.timeline.size() && e < other.timeline.size(); ++e) {
    auto& mine = base.timeline[e].positions;
    const auto& theirs = other.timeline[e].positions;
    for (size_t i = 0; i < mine.size() && i < theirs.size(); ++i) {
      if (mine[i].server_state != theirs[i].server_state) mine[i].server_state.reset();
      if (mine[i].sync_state != theirs[i].sync_state || mine[i].sync_priority != theirs[i].sync_priority)
        mine[i].sync_priority.reset();
    }
  }
}

}  // namespace

const char* to_string(Perturbation p) {
  switch (p) {
    case Perturbation::kNone: return "none";
    case Perturbation::kAsyncCommitsReachStandbyInstantly: return "async_commits_reach_standby_instantly";
  }
  return "?";
}

Result<Prediction> simulate(const Scenario& scenario, const SimOptions& options, SimStats* stats) {
  if (!scenario.resolved())
    return Status::InvalidInput(fmt::format("{}: the scenario is not resolved (resolve_scenario)", scenario.file));
  if (scenario.cluster.nodes.empty() || scenario.cluster.nodes[0].role != NodeRole::kPrimary)
    return Status::InvalidInput(fmt::format("{}: the first node must be the primary", scenario.file));
  set_assert_seed(options.seed);
  const std::vector<TimingProfile> profiles = timing_profiles(options.timing);
  Cluster first(scenario, options, profiles[0]);
  Prediction prediction = first.run();
  // Another profile differs from the first only in values this run never read: it would make
  // the same run, and merging an identical run changes nothing.
  const bool others_differ = first.read_timing() || options.profile_runs == ProfileRuns::kAll;
  if (stats != nullptr) stats->profiles_run = others_differ ? static_cast<int>(profiles.size()) : 1;
  bool ties_decided = first.read_tie_order();
  auto fold = [&](const TimingProfile& profile) {
    Cluster cluster(scenario, options, profile);
    const RunResult other = cluster.run();
    ties_decided = ties_decided || cluster.read_tie_order();
    merge(prediction, profiles[0].name, other, profile.name);
    merge_states(prediction, other, profile.name);
  };
  for (size_t i = 1; others_differ && i < profiles.size(); ++i) fold(profiles[i]);
  // A tie of equal priority decided who was synchronous: the walsenders' slots may be in any
  // order, at either extreme of timing (TimingProfile::reverse_equal_priority).
  for (size_t i = 0; ties_decided && i < profiles.size(); ++i) {
    TimingProfile reversed = profiles[i];
    reversed.reverse_equal_priority = true;
    reversed.name = i == 0 ? "slow (ties reversed)" : "fast (ties reversed)";
    fold(reversed);
  }
  if (stats != nullptr && ties_decided) stats->profiles_run += static_cast<int>(profiles.size());
  if (options.recording == Recording::kOutcomes) prediction.notes.clear();  // merge's sentences too.
  return prediction;
}

}  // namespace replsim::sim
