#include "verifier/cluster_walk.h"

#include <algorithm>

#include "vocab/assert.h"

namespace replsim {

ClusterWalk::ClusterWalk(const Scenario& scenario) : scenario_(scenario) {
  std::map<std::string, NodeAtStep> nodes;
  std::string primary;
  for (const auto& spec : scenario.cluster.nodes) {
    NodeAtStep n;
    n.primary = spec.role == NodeRole::kPrimary;
    if (n.primary && primary.empty()) primary = spec.name;
    nodes[spec.name] = n;
  }
  // Every standby streams from the first primary; the harness waits for streaming at setup.
  for (const auto& spec : scenario.cluster.nodes)
    if (spec.role == NodeRole::kStandby) nodes[spec.name].upstream = primary;
  states_.push_back(nodes);
  primaries_.push_back(primary);
  for (const auto& step : scenario.steps) {
    apply(step, nodes, primary);
    states_.push_back(nodes);
    primaries_.push_back(primary);
  }
}

const std::map<std::string, NodeAtStep>& ClusterWalk::before(int step) const {
  REPLSIM_ASSERT(step >= 0 && step < static_cast<int>(states_.size()), "step out of range");
  return states_[static_cast<size_t>(step)];
}

std::string ClusterWalk::current_primary(int step) const {
  if (step < 0) step = 0;
  if (step >= static_cast<int>(primaries_.size())) step = static_cast<int>(primaries_.size()) - 1;
  return primaries_[static_cast<size_t>(step)];
}

bool ClusterWalk::any_step(StepKind kind, const std::string& node, int from, int to) const {
  for (int i = std::max(from + 1, 0); i < to && i < static_cast<int>(scenario_.steps.size()); ++i) {
    const Step& s = scenario_.steps[static_cast<size_t>(i)];
    if (s.kind == kind && s.node == node) return true;
  }
  return false;
}

int ClusterWalk::step_of_label(const std::string& label) const {
  for (size_t i = 0; i < scenario_.steps.size(); ++i) {
    const Step& s = scenario_.steps[i];
    const bool writes = s.kind == StepKind::kInsert || s.kind == StepKind::kUpdate || s.kind == StepKind::kDelete ||
                        s.kind == StepKind::kTruncate;
    if (writes && s.label == label) return static_cast<int>(i);
  }
  return -1;
}

int ClusterWalk::step_of_name(StepKind kind, const std::string& name) const {
  for (size_t i = 0; i < scenario_.steps.size(); ++i)
    if (scenario_.steps[i].kind == kind && scenario_.steps[i].name == name) return static_cast<int>(i);
  return -1;
}

void ClusterWalk::apply(const Step& step, std::map<std::string, NodeAtStep>& nodes, std::string& primary) const {
  auto standbys_of = [&](const std::string& upstream, auto&& fn) {
    for (auto& [name, n] : nodes)
      if (n.upstream == upstream) fn(n);
  };
  auto it = nodes.find(step.node);
  NodeAtStep* n = it == nodes.end() ? nullptr : &it->second;
  switch (step.kind) {
    case StepKind::kCatchup:
      for (auto& [name, node] : nodes)
        if (step.node.empty() || step.node == name) node.reconnecting = false;
      break;
    case StepKind::kPause:
      if (n) n->paused = true;
      break;
    case StepKind::kResume:
      if (n) {
        n->paused = false;
        n->reconnecting = true;
      }
      if (n && n->primary) standbys_of(step.node, [](NodeAtStep& s) { s.reconnecting = true; });
      break;
    case StepKind::kPartition:
      if (n) n->partitioned = true;
      break;
    case StepKind::kHeal:
      if (n) {
        n->partitioned = false;
        n->reconnecting = true;
      }
      break;
    case StepKind::kCrash:
    case StepKind::kOsCrash:
    case StepKind::kStop:
      if (n) {
        n->running = false;
        n->paused = false;
      }
      break;
    case StepKind::kStart:
      if (n) {
        n->running = true;
        n->reconnecting = true;
      }
      if (n && n->primary) standbys_of(step.node, [](NodeAtStep& s) { s.reconnecting = true; });
      break;
    case StepKind::kWipe:
      if (n) {
        n->running = false;
        ++n->generation;
      }
      break;
    case StepKind::kPromote:
      if (n) {
        n->primary = true;
        n->upstream.clear();
      }
      primary = step.node;
      break;
    case StepKind::kRestore: {
      NodeAtStep restored;
      restored.generation = n ? n->generation + 1 : 1;
      const bool copy = scenario_.restores_naive_copy(step);
      restored.primary = copy || step.target.action == RecoveryTarget::Action::kPromote;
      restored.running = copy || step.target.action != RecoveryTarget::Action::kShutdown;
      nodes[step.node] = restored;
      break;
    }
    default:
      break;
  }
}

}  // namespace replsim
