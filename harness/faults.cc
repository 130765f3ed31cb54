// The nemesis on the real cluster: process faults (pause, resume, crash, stop, start, wipe),
// partitions through the fault proxy, and the disk gate's stall and operating-system crash.
// Cluster (harness/cluster.h) does the work; a step records the event first. sim::Cluster's
// on_<kind> members model the same steps (sim/cluster.h).
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <thread>

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
  Status s = c_.crash(st.node);
  await_walsender_end(st.node);
  return s;
}

// A standby stopped behind a partition that holds its replies keeps its walsender until
// wal_sender_timeout (docs/model.md, "Standbys and the network"): nothing to wait for then.
Status Runner::on_stop(const Step& st) {
  if (Status s = nemesis(st); !s.ok()) return s;
  const bool orphaned = c_.replies_held(st.node);
  Status s = c_.stop(st.node);
  if (!orphaned) await_walsender_end(st.node);
  return s;
}

// The server died (or the proxy reset the held connection) and the walreceiver's end is on its
// way: the walsender reads it within a moment, but a pg_stat_replication read right after the
// step could still list the standby (CI saw it so once, for remote-write-standby-os-crash).
void Runner::await_walsender_end(const std::string& standby) {
  const ClusterNode* s = c_.node(standby);
  ClusterNode* p = c_.node(primary_);
  if (s == nullptr || s->upstream != primary_ || !queryable(p)) return;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  for (int sleep_us = 200;; sleep_us = std::min(sleep_us * 2, 5000)) {
    PgReply r = observe(p, "SELECT count(*) FROM pg_stat_replication WHERE application_name = $1", {standby});
    if (!r.ok || r.at(0, 0) == "0" || std::chrono::steady_clock::now() > deadline) return;
    std::this_thread::sleep_for(std::chrono::microseconds(sleep_us));
  }
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
  await_walsender_end(st.node);
  if (s.ok()) {
    note(fmt::format("{}'s operating system crashed: lost {}", st.node, c_.node(st.node)->lost_writes.describe()));
  }
  return s;
}

}  // namespace replsim::harness
