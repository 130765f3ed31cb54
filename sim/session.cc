// Named sessions: a transaction whose BEGIN, statements and COMMIT or ROLLBACK are separate steps,
// so that transactions interleave (docs/model.md, "Sessions"; harness/session.cc runs the same
// steps on the real cluster). A statement writes its WAL when it runs; its rows become visible
// with the commit record, which goes through the same path as a write step's (Cluster::committed).
#include <fmt/format.h>

#include "sim/cluster.h"
#include "sim/executor.h"
#include "vocab/assert.h"

namespace replsim::sim {

// BEGIN on a connection that stays open (the harness holds one libpq connection per session).
// BEGIN itself writes nothing and takes no xid (StartTransaction: the xid comes with the first
// write, AssignTransactionId).
void Cluster::on_begin(const Step& step) {
  const int p = target_primary(step);
  Node& n = *nodes_[static_cast<size_t>(p)];
  Tx& tx = invoke_tx(step, p);
  Session s;
  s.tx = txs_.size() - 1;
  if (n.running()) {
    s.node = p;
    s.incarnation = n.incarnation();
    // A transaction that starts in recovery is read-only to its end (StartTransaction sets
    // XactReadOnly from RecoveryInProgress), even if its server is promoted meanwhile.
    s.read_only = !n.is_primary();
    tx.open_session = true;
    tx.held = std::make_shared<HeldByWaitingCommit>();
    note("{} began on {}", step.label, n.name());
  } else {
    note("{}: could not connect to {}: it is {}", step.label, n.name(), to_string(n.run_state()));
  }
  sessions_[step.label] = std::move(s);
}

std::string Cluster::session_lost(const Session& s) const {
  if (s.node < 0) return "its connection never opened";
  const Node& n = *nodes_[static_cast<size_t>(s.node)];
  if (n.incarnation() != s.incarnation || n.run_state() == RunState::kCrashed || n.run_state() == RunState::kStopped ||
      n.run_state() == RunState::kWiped)
    return fmt::format("its connection to {} was lost when the server ended", n.name());
  return "";
}

// A statement of an open session: its row changes are WAL-logged under the session's xid (the
// first write assigns it) and stay invisible to everyone else until the commit record. An error
// aborts the transaction at once (AbortTransaction writes the abort record if it has an xid);
// later statements are refused (25P02) until COMMIT or ROLLBACK ends the block.
void Cluster::session_statement(const Step& step) {
  Session& s = sessions_.at(step.session);
  Tx& tx = txs_[s.tx];
  if (const std::string lost = session_lost(s); !lost.empty()) {
    note("{}: not run: {}", step.label, lost);
    return;
  }
  Node& n = *nodes_[static_cast<size_t>(s.node)];
  if (!s.aborted.empty()) {
    refuse("25P02", "current transaction is aborted, commands ignored until end of transaction block");
    return;
  }
  if (s.read_only || !n.is_primary()) {
    refuse("25006", "cannot execute INSERT in a read-only transaction");
    s.aborted = "cannot execute INSERT in a read-only transaction";
    return;
  }
  tx.open_session = false;  // Its own locks do not block it.
  ExecutionResult exec = execute_as_seen(s.node, step);
  tx.open_session = true;
  if (!exec.ok) {
    if (!exec.sqlstate.empty()) refuse(exec.sqlstate, exec.error);
    if (s.xid == 0 && exec.aborted_with_xid) s.xid = n.assign_xid();
    if (exec.aborted_with_xid) log_row_changes(n.writer(), s.xid, exec.changes);
    s.aborted = exec.error;
    abort_session(s);
    note("{} failed: {}; the transaction of {} is aborted", step.label, exec.error, step.session);
    return;
  }
  if (s.xid == 0) s.xid = n.assign_xid();
  log_row_changes(n.writer(), s.xid, exec.changes);
  n.make_visible();  // Replays its records: buffered until the commit record, as on a standby.
  HeldByWaitingCommit held = held_by(dataset_, n.store(), exec);
  s.undo.insert(s.undo.end(), held.undo.begin(), held.undo.end());
  held.undo.clear();
  HeldByWaitingCommit& locks = *tx.held;
  locks.updated.insert(held.updated.begin(), held.updated.end());
  locks.deleted.insert(held.deleted.begin(), held.deleted.end());
  locks.key_share.insert(held.key_share.begin(), held.key_share.end());
  locks.tables.insert(held.tables.begin(), held.tables.end());
  locks.exclusive.insert(held.exclusive.begin(), held.exclusive.end());
  note("{} wrote {} row change(s) in {} (xid {}), not yet committed", step.label, exec.changes.size(), step.session,
       s.xid);
}

void Cluster::abort_session(Session& s) {
  if (s.xid == 0 || s.node < 0) return;
  Node& n = *nodes_[static_cast<size_t>(s.node)];
  n.writer().abort(s.xid, now_epoch_us());
  n.make_visible();
  schedule_wal_writer(s.node);  // XLogSetAsyncXactLSN: the WAL writer flushes it.
}

// COMMIT: the marker row and the commit record, then what every commit does (Cluster::committed:
// the flush, synchronous replication's wait). An aborted transaction's COMMIT answers ROLLBACK.
void Cluster::on_commit(const Step& step) {
  Session& s = sessions_.at(step.label);
  Tx& tx = txs_[s.tx];
  tx.open_session = false;
  tx.record.step = step_index_;
  auto fail = [&](const std::string& why) {
    tx.held.reset();
    tx.record.outcomes = {TxOutcome::kFailed};
    tx.record.detail = why;
    event(HistoryEvent::Type::kFail, "client", tx.node, step.label, why, &tx);
    note("{} failed: {}", step.label, why);
  };
  if (const std::string lost = session_lost(s); !lost.empty()) return fail(lost);
  if (!s.aborted.empty()) return fail(fmt::format("COMMIT rolled back a transaction an error aborted: {}", s.aborted));
  Node& n = *nodes_[static_cast<size_t>(s.node)];
  if (s.read_only || !n.is_primary()) {  // The marker's INSERT is refused; the COMMIT rolls back.
    refuse("25006", "cannot execute INSERT in a read-only transaction");
    return fail("cannot execute INSERT in a read-only transaction (its transaction began on a standby)");
  }
  if (s.xid == 0) s.xid = n.assign_xid();
  wal::WalWriter& w = n.writer();
  const uint64_t marker = n.next_marker_key();
  w.insert(s.xid, marker_table_id(dataset_), marker, Executor::initial_row({step.label}));
  s.undo.push_back({RowId{marker_table_id(dataset_), marker}, std::nullopt});
  const SyncCommit level = tx.level;
  const bool may_wait = commit_waits_for_standbys(level, names_on(s.node)) ||
                        (level != SyncCommit::kOff && n.disk_stalled());
  if (may_wait) tx.held->undo = std::move(s.undo);
  else tx.held.reset();
  const wal::Appended commit = w.commit(s.xid, now_epoch_us());
  committed(tx, s.node, s.xid, commit, false);
}

// ROLLBACK: the abort record when the transaction has an xid and no error wrote one already.
void Cluster::on_rollback(const Step& step) {
  Session& s = sessions_.at(step.label);
  Tx& tx = txs_[s.tx];
  tx.open_session = false;
  tx.held.reset();
  tx.record.step = step_index_;
  std::string why = session_lost(s);
  if (why.empty()) {
    if (s.aborted.empty()) abort_session(s);
    why = "rolled back";
  }
  tx.record.outcomes = {TxOutcome::kFailed};
  tx.record.detail = why;
  event(HistoryEvent::Type::kFail, "client", tx.node, step.label, why, &tx);
  note("{}: {}", step.label, why);
}

// Node `n` crashed or stopped: its sessions' backends are gone, with their locks; the
// transactions are aborted without a record (crash recovery finds them unfinished).
void Cluster::drop_sessions_of(int n) {
  for (auto& [name, s] : sessions_) {
    Tx& tx = txs_[s.tx];
    if (s.node != n || !tx.open_session) continue;
    tx.open_session = false;
    tx.held.reset();
  }
}

// A fast shutdown terminates the backends: each open transaction with an xid is aborted and
// logged (AbortTransaction from proc_exit) before the shutdown checkpoint.
void Cluster::end_sessions_at_shutdown(int n) {
  for (auto& [name, s] : sessions_) {
    if (s.node != n || !txs_[s.tx].open_session || !session_lost(s).empty()) continue;
    if (s.aborted.empty()) abort_session(s);
    s.aborted = "its server was shut down";
  }
  drop_sessions_of(n);
}

}  // namespace replsim::sim
