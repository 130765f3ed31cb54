#include "vocab/scenario_walk.h"

#include <algorithm>

#include "vocab/assert.h"
#include "vocab/step_visitor.h"

namespace replsim {

// One member per step kind: what the step does to the nodes' states. A step that names a node
// the walk does not know changes no node (the checker reports it before applying anything).
struct ClusterState::Transition {
  ClusterState& c;

  NodeAtStep* node(const Step& step) {
    auto it = c.nodes_.find(step.node);
    return it == c.nodes_.end() ? nullptr : &it->second;
  }
  // A restarted or resumed primary's standbys must reconnect to it.
  void standbys_reconnect(const std::string& upstream) {
    for (auto& [name, n] : c.nodes_)
      if (n.upstream == upstream) n.reconnecting = true;
  }

  // Transactions, observation and archive operations change no node's state.
  void on_insert(const Step&) {}
  void on_update(const Step&) {}
  void on_delete(const Step&) {}
  void on_truncate(const Step&) {}
  void on_mark(const Step&) {}
  void on_wait(const Step&) {}
  void on_check_lag(const Step&) {}
  void on_cancel(const Step&) {}
  void on_terminate(const Step&) {}
  void on_reload(const Step&) {}
  void on_base_backup(const Step&) {}
  void on_switch_wal(const Step&) {}
  void on_restore_point(const Step&) {}
  void on_checkpoint(const Step&) {}
  void on_naive_copy(const Step&) {}
  void on_break_archive(const Step&) {}
  void on_repair_archive(const Step&) {}
  void on_begin(const Step&) {}
  void on_commit(const Step&) {}
  void on_rollback(const Step&) {}

  // Waiting until the standbys (or the one named) replayed everything: they stream again.
  void on_catchup(const Step& step) {
    for (auto& [name, n] : c.nodes_)
      if (step.node.empty() || step.node == name) n.reconnecting = false;
  }
  void on_pause(const Step& step) {
    if (NodeAtStep* n = node(step)) n->run = NodeRun::kPaused;
  }
  void on_resume(const Step& step) {
    NodeAtStep* n = node(step);
    if (n == nullptr) return;
    n->run = NodeRun::kRunning;
    n->reconnecting = true;
    if (n->primary) standbys_reconnect(step.node);
  }
  void on_partition(const Step& step) {
    if (NodeAtStep* n = node(step)) n->partitioned = true;
  }
  void on_heal(const Step& step) {
    NodeAtStep* n = node(step);
    if (n == nullptr) return;
    n->partitioned = false;
    n->reconnecting = true;
  }
  void on_crash(const Step& step) {
    if (NodeAtStep* n = node(step)) {
      n->run = NodeRun::kDown;
      n->replay_paused = false;
    }
  }
  void on_stop(const Step& step) { on_crash(step); }
  // The operating system's crash is the only end of a disk stall.
  void on_os_crash(const Step& step) {
    NodeAtStep* n = node(step);
    if (n == nullptr) return;
    n->run = NodeRun::kDown;
    n->stalled = false;
    n->replay_paused = false;
  }
  void on_stall_disk(const Step& step) {
    NodeAtStep* n = node(step);
    if (n == nullptr) return;
    n->stalled = true;
    n->stalled_at = step.pos;
  }
  void on_start(const Step& step) {
    NodeAtStep* n = node(step);
    if (n == nullptr) return;
    n->run = NodeRun::kRunning;
    n->reconnecting = true;
    if (n->primary) standbys_reconnect(step.node);
  }
  void on_wipe(const Step& step) {
    NodeAtStep* n = node(step);
    if (n == nullptr) return;
    n->run = NodeRun::kWiped;
    ++n->generation;
  }
  void on_promote(const Step& step) {
    // pg_promote() on a primary is refused ("recovery is not in progress"): nothing changes.
    if (const NodeAtStep* already = node(step); already != nullptr && already->primary) return;
    if (NodeAtStep* n = node(step)) {
      n->primary = true;
      n->upstream.clear();
      n->replay_paused = false;  // A promote request ends a pause (xlogrecovery.c, recoveryPausesHere).
    }
    c.primary_ = step.node;
  }
  // pg_wal_replay_pause() on a primary is refused ("recovery is not in progress"): nothing changes.
  void on_pause_replay(const Step& step) {
    if (NodeAtStep* n = node(step); n != nullptr && !n->primary) n->replay_paused = true;
  }
  void on_resume_replay(const Step& step) {
    NodeAtStep* n = node(step);
    if (n == nullptr) return;
    n->replay_paused = false;
    // A restored node paused at its recovery target ends recovery and runs as a primary (it may
    // also have failed to reach its target and be down: then nothing changes in the server).
    if (!n->primary && n->upstream.empty() && n->run == NodeRun::kRunning) n->primary = true;
  }
  // A new data directory: recovered from a base backup (running as its target's action says),
  // or a naive copy started, which runs as a primary whatever its target says.
  void on_restore(const Step& step) {
    const NodeAtStep* old = node(step);
    NodeAtStep restored;
    restored.generation = old != nullptr ? old->generation + 1 : 1;
    const bool copy = c.scenario_.restores_naive_copy(step);
    restored.primary = copy || step.target.action == RecoveryTarget::Action::kPromote;
    const bool shut_down = !copy && step.target.action == RecoveryTarget::Action::kShutdown;
    restored.run = shut_down ? NodeRun::kDown : NodeRun::kRunning;
    c.nodes_[step.node] = restored;
  }
};

ClusterState::ClusterState(const Scenario& scenario) : scenario_(scenario) {
  for (const auto& spec : scenario.cluster.nodes) {
    NodeAtStep n;
    n.primary = spec.role == NodeRole::kPrimary;
    if (n.primary && primary_.empty()) primary_ = spec.name;
    nodes_[spec.name] = n;
  }
  // Every standby streams from the first primary; the harness waits for streaming at setup.
  for (const auto& spec : scenario.cluster.nodes)
    if (spec.role == NodeRole::kStandby) nodes_[spec.name].upstream = primary_;
}

void ClusterState::apply(const Step& step) {
  Transition t{*this};
  visit_step(step, t);
}

const NodeAtStep* ClusterState::find(const std::string& name) const {
  auto it = nodes_.find(name);
  return it == nodes_.end() ? nullptr : &it->second;
}

ScenarioWalk::ScenarioWalk(const Scenario& scenario) : scenario_(scenario) {
  ClusterState state(scenario);
  states_.reserve(scenario.steps.size() + 1);
  primaries_.reserve(scenario.steps.size() + 1);
  states_.push_back(state.nodes());
  primaries_.push_back(state.primary());
  for (const auto& step : scenario.steps) {
    state.apply(step);
    states_.push_back(state.nodes());
    primaries_.push_back(state.primary());
  }
}

const NodeStates& ScenarioWalk::before(int step) const {
  REPLSIM_ASSERT(step >= 0 && step < static_cast<int>(states_.size()), "step out of range");
  return states_[static_cast<size_t>(step)];
}

std::string ScenarioWalk::current_primary(int step) const {
  if (step < 0) step = 0;
  if (step >= static_cast<int>(primaries_.size())) step = static_cast<int>(primaries_.size()) - 1;
  return primaries_[static_cast<size_t>(step)];
}

bool ScenarioWalk::any_step(StepKind kind, const std::string& node, int from, int to) const {
  for (int i = std::max(from + 1, 0); i < to && i < static_cast<int>(scenario_.steps.size()); ++i) {
    const Step& s = scenario_.steps[static_cast<size_t>(i)];
    if (s.kind == kind && s.node == node) return true;
  }
  return false;
}

int ScenarioWalk::step_of_label(const std::string& label) const {
  for (size_t i = 0; i < scenario_.steps.size(); ++i) {
    const Step& s = scenario_.steps[i];
    // A session's transaction takes its place in the order at its COMMIT (or ROLLBACK), not at
    // its BEGIN: commit order is what standbys and recovery see.
    const bool ends = s.kind == StepKind::kCommit || s.kind == StepKind::kRollback;
    if ((is_own_transaction(s) || ends) && s.label == label) return static_cast<int>(i);
  }
  return -1;
}

int ScenarioWalk::step_of_name(StepKind kind, const std::string& name) const {
  for (size_t i = 0; i < scenario_.steps.size(); ++i)
    if (scenario_.steps[i].kind == kind && scenario_.steps[i].name == name) return static_cast<int>(i);
  return -1;
}

}  // namespace replsim
