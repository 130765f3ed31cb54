// What a node is as PostgreSQL would show it (ServerState), its row in the current primary's
// pg_stat_replication, and a restored node started again after it shut down at its target.
// docs/model.md, "Server states" and "Shutdown at the recovery target, and a restart".
#include <fmt/format.h>

#include "sim/cluster.h"
#include "vocab/assert.h"

namespace replsim::sim {

ServerState Cluster::server_state_of(int n) const {
  const Node& node = *nodes_[static_cast<size_t>(n)];
  switch (node.run_state()) {
    case RunState::kRunning:
      // The model's restores end at once: a restored node still in recovery is paused at its
      // target (recovery_target_action = pause); one that promoted is a primary.
      if (node.is_primary()) return ServerState::kPrimary;
      if (node.restoring()) return ServerState::kPausedAtTarget;
      return node.replay_paused() ? ServerState::kReplayPaused : ServerState::kStandby;
    case RunState::kPaused: return ServerState::kSuspended;
    case RunState::kCrashed: return ServerState::kCrashed;
    case RunState::kStopped: {
      if (shut_down_at_target_.count(n)) return ServerState::kShutdownAtTarget;
      // refuses_to_start and recovery_target_not_reached: the server exited while starting.
      const auto e = errors_.find(n);
      if (e != errors_.end() && e->second.first != "cannot_catch_up") return ServerState::kFailedToStart;
      return ServerState::kStopped;
    }
    case RunState::kWiped: return ServerState::kWiped;
  }
  REPLSIM_ASSERT(false, "a RunState with no ServerState");
  return ServerState::kStopped;
}

// pg_stat_replication is read on the current primary: nothing is known when it is not running;
// a node without a walsender there has no row ("" and priority 0). sync_priority is the node's
// place in synchronous_standby_names for FIRST, 1 for every listed standby with ANY, 0 when
// unlisted (walsender.c pg_stat_get_wal_senders; syncrep.c SyncRepGetStandbyPriority).
void Cluster::predict_sync_row(int n, NodePosition* p) const {
  p->sync_state.clear();
  p->sync_priority.reset();
  const Node& primary = *nodes_[static_cast<size_t>(current_primary_)];
  if (!primary.running() || !primary.is_primary()) return;
  p->sync_priority = 0;
  if (n == current_primary_ || n == 0) return;
  const Link& link = *links_[static_cast<size_t>(n - 1)];
  if (link.upstream() == current_primary_ && !link.promoted_away && link.wal_removed) {
    // Its walreceiver reconnects and is refused again and again ("requested WAL segment ... has
    // already been removed"): the walsender's row comes and goes. Timing decides; none predicted.
    p->sync_priority.reset();
    return;
  }
  if (link.upstream() != current_primary_ || link.promoted_away || !link.connected()) return;
  p->sync_state = sync_state_of(n);
  if (p->sync_state.empty()) return;
  const StandbyNames& names = names_on(current_primary_);
  const int priority = names.enabled() ? names.priority_of(nodes_[static_cast<size_t>(n)]->name()) : 0;
  p->sync_priority = names.method == StandbyNames::Method::kQuorum && priority > 0 ? 1 : priority;
}

// The server starts with recovery.signal and the same recovery_target_* settings, replays from
// the restart point its shutdown wrote to the same target, and shuts down there again
// (xlogrecovery.c recoveryStopsBefore/After, then the end-of-recovery action
// RECOVERY_TARGET_ACTION_SHUTDOWN: proc_exit(3), which the postmaster logs as "shutdown at
// recovery target"). Nothing becomes readable: the node stays down, shut down at its target.
void Cluster::restart_at_target(int n) {
  const Node& node = *nodes_[static_cast<size_t>(n)];
  note(
      "{} started: recovery.signal is still there; it replays to its recovery target again "
      "(replay ends at {}) and logs \"shutdown at recovery target\"",
      node.name(), node.flush_lsn().to_string());
}

}  // namespace replsim::sim
