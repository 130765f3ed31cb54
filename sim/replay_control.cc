// Replay control on a standby (docs/model.md, "Replay control"): pg_wal_replay_pause() and
// pg_wal_replay_resume(), as PostgreSQL 15's src/backend/access/transam/xlogfuncs.c runs them
// and src/backend/access/transam/xlogrecovery.c's startup process obeys them. harness/
// replay_control.cc runs the same functions on the real standby.
#include "sim/cluster.h"

namespace replsim::sim {

// pg_wal_replay_pause(): on a server not in recovery an ERROR (55000); else SetRecoveryPause(true)
// and the startup process stops before its next record (recoveryPausesHere). The walreceiver is
// another process and goes on: it writes, flushes and reports write and flush positions, while
// the reported apply position stays where replay stopped.
void Cluster::on_pause_replay(const Step& step) {
  const int n = nemesis(step);
  Node& node = *nodes_[static_cast<size_t>(n)];
  if (node.is_primary()) return refuse("55000", "recovery is not in progress");
  node.pause_replay();
  note("{}: replay paused at {}; its walreceiver still writes and flushes what arrives", node.name(),
       node.replay_lsn().to_string());
}

// pg_wal_replay_resume(): SetRecoveryPause(false) wakes the startup process, which replays
// everything flushed and, having nothing more, makes the walreceiver report the new apply
// position (WaitForWALToBecomeAvailable's WalRcvForceReply): that reply releases the commits
// waiting with remote_apply. Resuming a standby that is not paused changes nothing.
void Cluster::on_resume_replay(const Step& step) {
  const int n = nemesis(step);
  Node& node = *nodes_[static_cast<size_t>(n)];
  if (node.is_primary()) return refuse("55000", "recovery is not in progress");
  if (node.restoring() || !node.running()) return resume_at_target(n);
  if (!node.replay_paused()) return;
  node.resume_replay();
  note("{}: replay resumed at {}", node.name(), node.replay_lsn().to_string());
  const int l = n - 1;
  // A connection lost while paused is asked for again once the startup process waits for WAL.
  if (!links_[static_cast<size_t>(l)]->connected()) schedule_reconnect(l);
  schedule_replay(l);
}

// pg_wal_replay_resume() on a restored node paused at its recovery target
// (recovery_target_action = pause): PerformWalRecovery's RECOVERY_TARGET_ACTION_PAUSE case is
// SetRecoveryPause(true); recoveryPausesHere(true), and once resumed it "drops into promote":
// recovery ends after the last record replayed, on a new timeline (one above the newest in the
// archive), as action = promote would have ended it (src/backend/access/transam/xlogrecovery.c,
// PerformWalRecovery; xlog.c, StartupXLOG). Unqualified writes keep going where they went, as
// after a restore with action = promote. A restore that failed (target not reached) is down:
// nothing answers, nothing changes.
void Cluster::resume_at_target(int n) {
  Node& node = *nodes_[static_cast<size_t>(n)];
  if (!node.running()) return note("{} is not running: nothing resumes", node.name());
  const TimelineId tli = new_timeline_at_promotion(n);
  const Lsn end = node.promote(tli, now_epoch_us());
  reset_archive_timer(n, end);
  note("{}: replay resumed at the recovery target: selected new timeline ID: {} at {}; archive recovery complete",
       node.name(), tli, end.to_string());
}

}  // namespace replsim::sim
