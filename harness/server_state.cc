// Server states on real PostgreSQL (docs/history.md, "Server state"): what each node is, its row
// in the current primary's pg_stat_replication, its lag at the end, and the restart of a node
// that shut down at its recovery target.
#include <fmt/format.h>

#include <string>

#include "harness/runner.h"

namespace replsim::harness {

// Down: from what the harness did to it and what the server logged. Up: asked.
std::optional<ServerState> Runner::observe_server_state(ClusterNode* n) {
  if (n->state == NodeState::kWiped) return ServerState::kWiped;
  if (n->state == NodeState::kPaused) return ServerState::kSuspended;
  if (!n->server->running()) {
    if (n->shut_down_at_target) return ServerState::kShutdownAtTarget;
    if (n->error == "refuses_to_start" || n->error == "recovery_target_not_reached") return ServerState::kFailedToStart;
    return n->state == NodeState::kCrashed ? ServerState::kCrashed : ServerState::kStopped;
  }
  PgReply r = observe(n,
                      "SELECT pg_is_in_recovery(), "
                      "CASE WHEN pg_is_in_recovery() THEN pg_get_wal_replay_pause_state() END, "
                      "current_setting('primary_conninfo') <> ''");
  if (!r.ok || r.rows.empty()) return std::nullopt;  // Running, not answering: not observed.
  if (r.at(0, 0) == "f") return ServerState::kPrimary;
  const bool streaming = r.at(0, 2) == "t";
  const std::string pause = r.null_at(0, 1) ? "" : r.at(0, 1);
  // A streaming standby paused by pg_wal_replay_pause(): 'pause requested' or 'paused' alike
  // (which one depends on when its startup process last looked).
  if (streaming && (pause == "paused" || pause == "pause requested")) return ServerState::kReplayPaused;
  if (pause == "paused") return ServerState::kPausedAtTarget;
  return streaming ? ServerState::kStandby : ServerState::kArchiveRecovery;
}

// pg_stat_replication on the current primary: every node gets its row's sync_state and
// sync_priority, or "" and 0 when it has none. When the primary cannot answer, nothing is known.
void Runner::observe_sync_rows(std::vector<NodePosition>& positions) {
  PgReply rep = observe(c_.node(primary_),
                        "SELECT application_name, sync_state, sync_priority FROM pg_stat_replication");
  for (NodePosition& p : positions) {
    p.sync_priority.reset();
    if (!rep.ok) continue;
    p.sync_priority = 0;
    for (const auto& row : rep.rows) {
      if (row[0].value_or("") != p.node) continue;
      p.sync_state = row[1].value_or("");
      p.sync_priority = std::stoi(row[2].value_or("0"));
    }
  }
}

// Only a standby streaming from the current primary has a lag behind it (sim/cluster.cc,
// Cluster::follows_current_primary): one still following a primary failed away from is on
// another timeline.
void Runner::final_lag(NodeFinal& f) {
  const ClusterNode* n = c_.node(f.name);
  f.receive_lag_bytes.reset();
  f.replay_lag_bytes.reset();
  if (n != nullptr && n->upstream == primary_) set_final_lags(final_positions_, primary_, f);
}

// Started again with recovery.signal and the same recovery_target_* settings, the server
// replays to the target once more and exits: "shutdown at recovery target".
Status Runner::restart_at_target(ClusterNode* n) {
  if (Status s = n->server->start(); !s.ok()) return s;
  Status s = n->server->wait_exit(opt_.restore_timeout_ms);
  std::string line;
  for (const std::string& l : n->server->log_since_start(400))
    if (l.find("shutdown at recovery target") != std::string::npos || l.find("recovery stopping") != std::string::npos)
      line = line.empty() ? l : line + "; " + l;
  n->state = NodeState::kStopped;
  if (s.ok() && line.find("shutdown at recovery target") != std::string::npos) {
    note(fmt::format("{} started again: {}", n->name, line));
    return Status::Ok();
  }
  if (n->server->running()) n->server->crash();
  n->shut_down_at_target = false;
  n->error = "refuses_to_start";
  n->error_detail = n->server->log_tail(10);
  return Status::Failed(
      fmt::format("{} did not shut down at its recovery target again:\n{}", n->name, n->error_detail));
}

}  // namespace replsim::harness
