// The nemesis and the operator: pause/resume (SIGSTOP/SIGCONT), partitions, crashes
// (immediate stop), clean stops, restarts, wiped data directories and promotion.
#include <fmt/format.h>

#include <algorithm>

#include "sim/cluster.h"
#include "vocab/assert.h"

namespace replsim::sim {
namespace {

bool acknowledged(const TxRecord& r) { return !r.outcomes.empty() && r.outcomes[0] == TxOutcome::kAcknowledged; }
bool only_acknowledged(const TxRecord& r) { return r.outcomes.size() == 1 && acknowledged(r); }
}  // namespace

int Cluster::nemesis(const Step& step) {
  const int n = step.node.empty() ? current_primary_ : node_index(step.node);
  event(HistoryEvent::Type::kFault, "nemesis", n, step.text, "");
  return n;
}

std::string Cluster::since_this_step() const { return fmt::format("since step {}", step_index_ + 1); }

namespace {
// The links where `node` is the primary (as_upstream) or the standby.
std::vector<int> links_of(const std::vector<std::unique_ptr<Link>>& links, int node, bool as_upstream) {
  std::vector<int> out;
  for (size_t l = 0; l < links.size(); ++l)
    if ((as_upstream ? links[l]->upstream() : links[l]->standby()) == node) out.push_back(static_cast<int>(l));
  return out;
}
}  // namespace

void Cluster::on_pause(const Step& step) {
  const int n = nemesis(step);
  since_[n] = "paused " + since_this_step();
  nodes_[static_cast<size_t>(n)]->pause();
  for (int l : links_of(links_, n, false)) update_silence(l);
  note("{} is frozen: its socket still accepts up to {} bytes of WAL", nodes_[static_cast<size_t>(n)]->name(),
       kReceiveBufferBytes);
}

void Cluster::on_resume(const Step& step) {
  const int n = nemesis(step);
  Node& node = *nodes_[static_cast<size_t>(n)];
  node.resume();
  since_.erase(n);
  for (int l : links_of(links_, n, false)) {
    auto held = std::move(socket_[l]);
    socket_.erase(l);
    if (!held.empty() && !node.is_primary()) {
      note("{} reads {} buffered message(s) from its socket", node.name(), held.size());
      for (const auto& [lsn, bytes] : held) receive(l, lsn, bytes);
    }
    update_silence(l);
    if (links_[static_cast<size_t>(l)]->connected()) send_feedback(l);
    else schedule_reconnect(l);
  }
  if (node.is_primary()) {
    node.flush_to(node.insert_lsn());  // The WAL writer catches up.
    wake_walsenders(n);
    for (int l : links_of(links_, n, true)) send_feedback(l);
  }
}

void Cluster::on_partition(const Step& step) {
  const int n = nemesis(step);
  since_[n] = "partitioned " + since_this_step();
  if (n == 0) return;
  const int l = n - 1;
  const bool to_standby = step.direction != PartitionDirection::kToPrimary;
  const bool to_primary = step.direction != PartitionDirection::kToStandby;
  Link& link = *links_[static_cast<size_t>(l)];
  link.set_cut(to_standby, to_primary);
  // The end of a stopped standby's connection crosses once its replies do (end_walreceiver).
  if (link.orphaned && !to_primary) drop_connection(l);
  update_silence(l);
}

void Cluster::on_heal(const Step& step) {
  const int n = nemesis(step);
  since_.erase(n);
  if (n == 0) return;
  const int l = n - 1;
  Link& link = *links_[static_cast<size_t>(l)];
  link.set_cut(false, false);
  // The end of a stopped standby's connection crosses now (end_walreceiver).
  if (link.orphaned) drop_connection(l);
  update_silence(l);
  if (!link.connected()) return schedule_reconnect(l);
  // What the partition swallowed is resent once the connection is usable again.
  const uint64_t generation = link.generation();
  world_.after(timing_.reconnect_delay_us, [this, l, generation] {
    Link& lk = *links_[static_cast<size_t>(l)];
    if (lk.generation() != generation || !lk.connected()) return;
    lk.held_until = lk.sent_lsn;
    lk.sent_lsn = std::min(lk.sent_lsn, nodes_[static_cast<size_t>(lk.standby())]->write_lsn());
    send_feedback(l);
    send_pending(l);
  });
}

void Cluster::resolve_waiters_of_dead_primary(int n, const std::string& why) {
  for (Tx& tx : txs_) {
    if (!tx.waiting || tx.node != n) continue;
    tx.waiting = false;
    tx.record.outcomes = {TxOutcome::kInDoubt};
    const std::string waited_for = tx.flush_wait ? "its flush" : names_on(n).to_string();
    tx.record.detail = fmt::format("was waiting for {} when {}: the connection was lost mid-commit", waited_for, why);
    event(HistoryEvent::Type::kInfo, "client", n, tx.record.label, tx.record.detail, &tx);
    note("{} in doubt: committed locally at {} but {}", tx.record.label, tx.record.commit_lsn.to_string(), why);
  }
}

void Cluster::on_stall_disk(const Step& step) {
  const int n = nemesis(step);
  Node& node = *nodes_[static_cast<size_t>(n)];
  node.stall_disk();
  note("the disk of {} stalls at flush position {}: writes reach its page cache, fsync never returns", node.name(),
       node.flush_lsn().to_string());
}

void Cluster::on_crash(const Step& step) {
  const int n = nemesis(step);
  since_[n] = fmt::format("crashed at step {}", step_index_ + 1);
  crash(n);
}

void Cluster::on_os_crash(const Step& step) {
  const int n = nemesis(step);
  since_[n] = fmt::format("its operating system crashed at step {}", step_index_ + 1);
  os_crashed_at_[n] = step_index_;
  crash(n, true);
}

void Cluster::crash(int n, bool os) {
  Node& node = *nodes_[static_cast<size_t>(n)];
  const char* crashed = os ? "'s operating system crashed" : " crashed";
  // What the flush position lacks: a primary's WAL buffers (and, with a stalled disk, its page
  // cache); a standby's writes that a stalled disk never flushed.
  const Lsn written = node.is_primary() ? node.insert_lsn() : node.write_lsn();
  drop_sessions_of(n);
  if (node.is_primary()) {
    resolve_waiters_of_dead_primary(n, fmt::format("{}{}", node.name(), crashed));
    for (Tx& tx : txs_) {
      if (tx.node != n || !tx.committed || tx.erased || tx.record.commit_lsn <= node.flush_lsn()) continue;
      tx.erased = true;
      if (!only_acknowledged(tx.record)) continue;
      run_note(
          "{} was acknowledged on {} at {} with synchronous_commit=off, but {}{} at step {} before {} (flush_lsn {}): "
          "crash recovery cannot replay it",
          tx.record.label, node.name(), tx.record.commit_lsn.to_string(), node.name(), crashed, step_index_ + 1,
          node.disk_stalled() ? "its stalled disk completed a flush" : "the WAL writer flushed it",
          node.flush_lsn().to_string());
    }
  }
  note("{}{}: WAL after its flush position {} is lost ({} unflushed bytes)", node.name(), crashed,
       node.flush_lsn().to_string(), lsn_diff(written, node.flush_lsn()));
  if (os) node.os_crash();
  else node.crash();
  for (int l : links_of(links_, n, true)) {
    const Link& link = *links_[static_cast<size_t>(l)];
    if (!os && link.connected()) crashed_generation_[l] = link.generation();
    drop_connection(l);
  }
  for (int l : links_of(links_, n, false)) {
    drop_connection(l);
    socket_.erase(l);  // The dead process's socket goes with it.
  }
}

void Cluster::on_stop(const Step& step) {
  const int n = nemesis(step);
  since_[n] = fmt::format("stopped at step {}", step_index_ + 1);
  Node& node = *nodes_[static_cast<size_t>(n)];
  if (node.is_primary()) {
    // Fast shutdown: backends are terminated (waiting clients lose their connection), the
    // shutdown checkpoint is written, and walsenders send everything before exiting.
    resolve_waiters_of_dead_primary(n, fmt::format("{} was shut down", node.name()));
    end_sessions_at_shutdown(n);
    // ShutdownXLOG: with archiving on, the last segment is switched out so the archiver takes
    // it; the shutdown checkpoint goes into the next one.
    if (scenario_.cluster.archive_mode && node.insert_lsn().value % node.wal().segment_size() != 0)
      node.writer().switch_segment();
    node.flush_to(node.insert_lsn());
    checkpoint(n);  // The shutdown checkpoint.
    std::vector<int> reachable;
    for (int l : links_of(links_, n, true)) {
      const Link& link = *links_[static_cast<size_t>(l)];
      if (link.connected() && !link.partitioned() && nodes_[static_cast<size_t>(link.standby())]->running())
        reachable.push_back(l);
    }
    world_.run_until_true(world_.now_us() + kCleanStopLimitUs, [&] {
      return std::all_of(reachable.begin(), reachable.end(),
                         [&](int l) { return links_[static_cast<size_t>(l)]->reported_flush >= node.flush_lsn(); });
    });
  }
  note("{} stopped cleanly at {}", node.name(), node.flush_lsn().to_string());
  node.stop();
  for (int l : links_of(links_, n, true)) drop_connection(l);
  for (int l : links_of(links_, n, false)) end_walreceiver(l);
}

void Cluster::on_start(const Step& step) {
  const int n = nemesis(step);
  if (shut_down_at_target_.count(n)) return restart_at_target(n);
  Node& node = *nodes_[static_cast<size_t>(n)];
  const bool crash_recovery = node.run_state() == RunState::kCrashed;
  node.start(now_epoch_us());
  since_.erase(n);
  note("{} started: crash recovery replayed its WAL to {}", node.name(), node.flush_lsn().to_string());
  if (node.is_primary()) {
    restarted_primaries_.insert(n);
    // The end of crash recovery is a checkpoint (StartupXLOG → PerformRecoveryXLogAction asks
    // for CHECKPOINT_END_OF_RECOVERY and waits): it removes WAL as any checkpoint does. A clean
    // stop left nothing to recover, and so no checkpoint.
    if (crash_recovery) checkpoint(n);
    reset_archive_timer(n, node.insert_lsn());
    for (int l : links_of(links_, n, true)) schedule_reconnect(l);
    if (n != current_primary_) report_divergence(n);
  } else {
    for (int l : links_of(links_, n, false)) {
      schedule_reconnect(l);
      schedule_delayed_replay(l);
    }
  }
}

void Cluster::on_wipe(const Step& step) {
  const int n = nemesis(step);
  since_[n] = fmt::format("wiped at step {}", step_index_ + 1);
  Node& node = *nodes_[static_cast<size_t>(n)];
  node.wipe();
  note("{}'s data directory is gone", node.name());
}

void Cluster::on_promote(const Step& step) {
  const int n = nemesis(step);
  Node& node = *nodes_[static_cast<size_t>(n)];
  // pg_promote() on a primary (xlogfuncs.c pg_promote: 55000): nothing changes.
  if (node.is_primary()) return refuse("55000", "recovery is not in progress");
  const int l = n - 1;
  Link& link = *links_[static_cast<size_t>(l)];
  const int old = link.upstream();
  link.promoted_away = true;
  // pg_promote waits for the startup process: everything written is replayed first.
  for (auto& [lsn, bytes] : socket_[l]) receive(l, lsn, bytes);
  socket_.erase(l);
  drop_connection(l);
  const TimelineId tli = new_timeline_at_promotion(n);
  const Lsn fork = node.promote(tli, now_epoch_us());
  fork_lsn_[n] = fork;
  reset_archive_timer(n, fork);
  current_primary_ = n;
  promoted_at_step_ = step_index_;
  note("{} promoted: selected new timeline ID: {}, switch point {}", node.name(), tli, fork.to_string());
  if (scenario_.cluster.archive_mode) {
    // The new timeline's history file goes to the archive; its segments follow as they complete.
    archive_.put_history(tli, {nodes_[static_cast<size_t>(old)]->timeline(), fork});
    archived_next_[n] = archive_.segno(fork);
    run_archiver(n);
  }
  for (const Tx& tx : txs_) {
    if (tx.node != old || !tx.committed || tx.erased || node.has_label(tx.record.label)) continue;
    const auto view = tx.standby_view.find(n);
    const auto os_crash = os_crashed_at_.find(n);
    std::string why = view == tx.standby_view.end() || view->second.empty() ? "its WAL had not reached it yet"
                                                                            : view->second;
    if (os_crash != os_crashed_at_.end() && os_crash->second > tx.record.step)
      why = fmt::format(
          "or not durably: its operating system crashed at step {} before its disk flushed what it had "
          "written",
          os_crash->second + 1);
    if (acknowledged(tx.record) || tx.local_only) {
      run_note("{} was acknowledged on {} at {} but never reached {} ({}); promoting {} lost it", tx.record.label,
               tx.record.node, tx.record.commit_lsn.to_string(), node.name(), why, node.name());
    } else {
      run_note(
          "{} (never acknowledged: {}) committed on {} at {} is not on {} ({}); "
          "nothing the client was promised is lost",
          tx.record.label, tx.record.outcomes.empty() ? "waiting" : to_string(tx.record.outcomes[0]), tx.record.node,
          tx.record.commit_lsn.to_string(), node.name(), why);
    }
  }
  if (nodes_[static_cast<size_t>(old)]->running())
    run_note("split brain risk: {} was promoted while {} still runs as a primary on timeline {}", node.name(),
             nodes_[static_cast<size_t>(old)]->name(), nodes_[static_cast<size_t>(old)]->timeline());
}

// An old primary that comes back after a standby of its was promoted has diverged: its
// commits after the switch point exist on no other timeline.
void Cluster::report_divergence(int n) {
  const Node& node = *nodes_[static_cast<size_t>(n)];
  for (const auto& [promoted, fork] : fork_lsn_) {
    if (links_[static_cast<size_t>(promoted - 1)]->upstream() != n) continue;
    std::vector<std::string> divergent;
    for (const Tx& tx : txs_)
      if (tx.node == n && tx.committed && !tx.erased && tx.record.commit_lsn > fork)
        divergent.push_back(tx.record.label);
    const std::string list = divergent.empty() ? std::string("none of its commits lie past the switch point yet")
                                               : fmt::format("its commits {} past the switch point exist only on {}",
                                                             fmt::join(divergent, ", "), node.name());
    run_note("{} came back on timeline {} after {} was promoted at {}: it has diverged ({})", node.name(),
             node.timeline(), nodes_[static_cast<size_t>(promoted)]->name(), fork.to_string(), list);
  }
}

}  // namespace replsim::sim
