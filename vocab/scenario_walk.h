// The scenario walk: what a scenario's own steps say about each node, one step after another —
// who is a primary, whether its server runs, is paused, down or wiped, whether its link is cut,
// whether it may still be reconnecting, whether its disk stalls, which data directory it has and
// whom it streams from. It is the one node-state machine of the codebase: the checker
// (scenario_checker.cc) refuses a step the states forbid and then advances them, the verifier's
// history checks read them to decide which promises PostgreSQL made, and the campaign's
// generator (sim/campaign/scenario_gen.cc) draws only steps they allow. It never looks at a run.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "vocab/scenario.h"

namespace replsim {

// How a node's server stands. crash, stop and os_crash leave it kDown (start brings it back);
// wipe leaves it kWiped (only restore brings a node back from that).
enum class NodeRun { kRunning, kPaused, kDown, kWiped };

struct NodeAtStep {
  bool primary = false;
  NodeRun run = NodeRun::kRunning;
  bool partitioned = false;  // Its replication link is cut (either direction).
  // Reachable, but healed, resumed or restarted (or its upstream resumed or restarted) since
  // the last `catchup` that covered it: it may not have reconnected yet.
  bool reconnecting = false;
  // Its disk stalls (stall_disk): no fsync completes until os_crash ends the stall.
  bool stalled = false;
  SourcePos stalled_at;  // Where that stall_disk step stands, for messages.
  // Its replay is paused (pause_replay): pg_get_wal_replay_pause_state() is not 'not paused'
  // until resume_replay, a promotion, or the end of its server (the state is in shared memory).
  bool replay_paused = false;
  int generation = 0;    // Incremented by wipe and restore: a new data directory.
  std::string upstream;  // The node it streams from; "" for primaries and restored nodes.

  // Its processes exist (paused ones too): not crashed, stopped or wiped.
  bool running() const { return run == NodeRun::kRunning || run == NodeRun::kPaused; }
  bool paused() const { return run == NodeRun::kPaused; }
  // Its walreceiver may be streaming from the upstream now.
  bool may_stream() const { return run == NodeRun::kRunning && !partitioned && !upstream.empty() && !primary; }
  // Its walreceiver certainly streams (as far as the steps can tell).
  bool streams() const { return may_stream() && !reconnecting; }
};

using NodeStates = std::map<std::string, NodeAtStep>;

// The nodes of one scenario as its steps leave them, advanced one step at a time.
class ClusterState {
 public:
  // The nodes as the cluster section starts them: every standby streams from the first
  // primary. `scenario` must outlive this (a restore asks it whether it starts a naive copy).
  explicit ClusterState(const Scenario& scenario);

  // Advances the nodes past `step`. It does not judge: a step naming no node changes nothing
  // of a node, and the checker refuses impossible steps before it applies them.
  // REQUIRES: `step` is one of the scenario's steps, or (the generator) about to be one.
  void apply(const Step& step);

  const NodeStates& nodes() const { return nodes_; }
  // The node called `name`, or nullptr.
  const NodeAtStep* find(const std::string& name) const;
  // The primary that writes without `node:` go to: the last one promoted, else the first.
  const std::string& primary() const { return primary_; }

 private:
  struct Transition;  // The visitor: one on_<kind> per step kind (scenario_walk.cc).

  const Scenario& scenario_;
  NodeStates nodes_;
  std::string primary_;
};

// The walk over a whole scenario, keeping the nodes before every step.
class ScenarioWalk {
 public:
  // `scenario` must outlive the walk.
  explicit ScenarioWalk(const Scenario& scenario);

  // The nodes before step `step` runs; step == step_count() is the end of the run.
  // REQUIRES: 0 <= step <= step_count().
  const NodeStates& before(int step) const;
  const NodeStates& at_end() const { return states_.back(); }
  int step_count() const { return static_cast<int>(states_.size()) - 1; }
  // The primary that unlabelled writes go to before `step` (clamped to the run).
  std::string current_primary(int step) const;

  // Steps of `kind` on `node` in (from, to): used for "crashed between a and b".
  bool any_step(StepKind kind, const std::string& node, int from, int to) const;
  // The step that wrote transaction `label` (a session's: its commit or rollback), or -1.
  int step_of_label(const std::string& label) const;
  // The step of the mark, restore point, base backup or lag check called `name`, or -1.
  int step_of_name(StepKind kind, const std::string& name) const;

 private:
  const Scenario& scenario_;
  std::vector<NodeStates> states_;
  std::vector<std::string> primaries_;
};

}  // namespace replsim
