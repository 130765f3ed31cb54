// ClusterWalk: what the scenario's own steps say about each node before every step —
// who is a primary, who is reachable, who may still be reconnecting — computed from the
// Scenario alone. The history checks use it to decide which promises PostgreSQL made
// (which standbys must have acknowledged a commit); it never looks at a RunResult.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "vocab/scenario.h"

namespace replsim {

struct NodeAtStep {
  bool primary = false;
  bool running = true;        // Not crashed, stopped or wiped.
  bool paused = false;
  bool partitioned = false;   // Its replication link is cut (either direction).
  // Reachable, but healed, resumed or restarted (or its upstream restarted) since the
  // last `catchup` that covered it: it may not have reconnected yet.
  bool reconnecting = false;
  int generation = 0;         // Incremented by wipe and restore: a new data directory.
  std::string upstream;       // The node it streams from; "" for primaries and restored nodes.

  // Its walreceiver may be streaming from the upstream now.
  bool may_stream() const { return running && !paused && !partitioned && !upstream.empty() && !primary; }
  // Its walreceiver certainly streams (as far as the steps can tell).
  bool streams() const { return may_stream() && !reconnecting; }
};

class ClusterWalk {
 public:
  explicit ClusterWalk(const Scenario& scenario);

  // The nodes before step `step` runs; step == steps.size() is the end of the run.
  // REQUIRES: 0 <= step <= steps.size().
  const std::map<std::string, NodeAtStep>& before(int step) const;
  const std::map<std::string, NodeAtStep>& at_end() const { return states_.back(); }
  int step_count() const { return static_cast<int>(states_.size()) - 1; }

  // Steps of `kind` on `node` in (from, to): used for "crashed between a and b".
  bool any_step(StepKind kind, const std::string& node, int from, int to) const;
  // The step that wrote transaction `label`, or -1.
  int step_of_label(const std::string& label) const;
  // The step of the mark, restore point, base backup or lag check called `name`, or -1.
  int step_of_name(StepKind kind, const std::string& name) const;
  // The primary that unlabelled writes go to before `step`: the last one promoted, else the first.
  std::string current_primary(int step) const;

 private:
  void apply(const Step& step, std::map<std::string, NodeAtStep>& nodes, std::string& primary) const;

  const Scenario& scenario_;
  std::vector<std::map<std::string, NodeAtStep>> states_;
  std::vector<std::string> primaries_;
};

}  // namespace replsim
