// The nemesis on the real cluster: process faults (pause, resume, crash, stop, start, wipe),
// partitions through the fault proxy, and the disk gate's stall and operating-system crash.
// Cluster (harness/cluster.h) does the work; a step records the event first. sim::Cluster's
// on_<kind> members model the same steps (sim/cluster.h).
#include <fmt/format.h>

#include "harness/runner.h"

namespace replsim::harness {

Status Runner::nemesis(const Step& st) {
  if (c_.node(st.node) == nullptr && !(st.kind == StepKind::kHeal && st.node.empty())) {
    return Status::InvalidInput(fmt::format("no node '{}'", st.node));
  }
  const std::string what = fmt::format("{} {}", to_string(st.kind), st.node.empty() ? "all" : st.node);
  event(EventType::kFault, "nemesis", st.node, what);
  return Status::Ok();
}

Status Runner::on_pause(const Step& st) {
  if (Status s = nemesis(st); !s.ok()) return s;
  return c_.pause(st.node);
}

Status Runner::on_resume(const Step& st) {
  if (Status s = nemesis(st); !s.ok()) return s;
  return c_.resume(st.node);
}

Status Runner::on_partition(const Step& st) {
  if (Status s = nemesis(st); !s.ok()) return s;
  c_.partition(st.node, st.direction);
  return Status::Ok();
}

Status Runner::on_heal(const Step& st) {
  if (Status s = nemesis(st); !s.ok()) return s;
  c_.heal(st.node);
  return Status::Ok();
}

Status Runner::on_crash(const Step& st) {
  if (Status s = nemesis(st); !s.ok()) return s;
  return c_.crash(st.node);
}

Status Runner::on_stop(const Step& st) {
  if (Status s = nemesis(st); !s.ok()) return s;
  return c_.stop(st.node);
}

Status Runner::on_start(const Step& st) {
  if (Status s = nemesis(st); !s.ok()) return s;
  if (ClusterNode* n = c_.node(st.node); n != nullptr && n->shut_down_at_target && !n->server->running())
    return restart_at_target(n);
  return c_.start(st.node);
}

Status Runner::on_wipe(const Step& st) {
  if (Status s = nemesis(st); !s.ok()) return s;
  return c_.wipe(st.node);
}

Status Runner::on_stall_disk(const Step& st) {
  if (Status s = nemesis(st); !s.ok()) return s;
  return c_.stall_disk(st.node);
}

// What the crash undid is the step's note: the writes a real operating system would have lost.
Status Runner::on_os_crash(const Step& st) {
  if (Status s = nemesis(st); !s.ok()) return s;
  Status s = c_.os_crash(st.node);
  if (s.ok()) {
    note(fmt::format("{}'s operating system crashed: lost {}", st.node, c_.node(st.node)->lost_writes.describe()));
  }
  return s;
}

}  // namespace replsim::harness
