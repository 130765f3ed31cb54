#include "sim/cluster.h"

#include <absl/container/flat_hash_set.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "sim/executor.h"
#include "sim/initial_data.h"
#include "sim/sync_rep.h"
#include "sim/wal/row_image.h"
#include "vocab/assert.h"
#include "vocab/step_visitor.h"

namespace replsim::sim {
namespace {

// What a node is, in the vocabulary's terms: a running node is a primary, a standby, or a
// restore on its way to a target; the others are their run state.
NodeState state_of(const Node& n) {
  switch (n.run_state()) {
    case RunState::kRunning:
      return n.restoring() ? NodeState::kRestoring : n.is_primary() ? NodeState::kPrimary : NodeState::kStandby;
    case RunState::kPaused: return NodeState::kPaused;
    case RunState::kCrashed: return NodeState::kCrashed;
    case RunState::kStopped: return NodeState::kStopped;
    case RunState::kWiped: return NodeState::kWiped;
  }
  REPLSIM_ASSERT(false, "a RunState with no NodeState");
  return NodeState::kStopped;
}

// The labels in `node`'s replsim_tx marker table, in one pass (Node::has_label is one per label).
absl::flat_hash_set<std::string> labels_on(const Node& node, const Dataset& dataset) {
  absl::flat_hash_set<std::string> labels;
  (void)node.store().for_each(marker_table_id(dataset), [&](uint64_t, std::string_view image) {
    if (const auto label = wal::row_column(image, 0)) labels.emplace(*label);
  });
  return labels;
}

// A write step's SQL command, as PostgreSQL names it in its messages: "INSERT".
std::string statement_word(StepKind kind) {
  std::string word = to_string(kind);
  for (char& c : word) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return word;
}

}  // namespace

Cluster::Cluster(const Scenario& scenario, const SimOptions& options, const TimingProfile& timing)
    : scenario_(scenario),
      options_(options),
      timing_(timing),
      dataset_(scenario.dataset()),
      no_sync_names_(*parse_standby_names("")),
      sync_names_{{0, scenario.standby_names()}},
      world_(options.seed),
      archive_(scenario.cluster.wal_segment_size) {}

int Cluster::node_index(const std::string& name) const {
  for (size_t i = 0; i < nodes_.size(); ++i)
    if (nodes_[i]->name() == name) return static_cast<int>(i);
  REPLSIM_ASSERT(false, "node names were checked by the parser");
  return -1;
}

void Cluster::setup() {
  const auto& specs = scenario_.cluster.nodes;
  for (size_t i = 0; i < specs.size(); ++i)
    nodes_.push_back(std::make_unique<Node>(specs[i].name, i == 0, scenario_.cluster.wal_segment_size, dataset_));
  // Every run loads the same seed rows: from the saved load when there is one (initial_data.h).
  const InitialData* saved = options_.saved_initial_data
                                 ? saved_initial_data(dataset_, scenario_.cluster.wal_segment_size)
                                 : nullptr;
  if (saved != nullptr) nodes_[0]->load_initial_data(*saved);
  else nodes_[0]->load_initial_data(kEpochUs);
  for (size_t i = 1; i < nodes_.size(); ++i) {
    if (saved != nullptr) nodes_[i]->clone_from(*nodes_[0], *saved);
    else nodes_[i]->clone_from(*nodes_[0]);
    nodes_[i]->set_apply_delay(specs[i].apply_delay_us);  // After the clone: a backup is not delayed.
    links_.push_back(std::make_unique<Link>(world_, 0, static_cast<int>(i), scenario_.cluster.latency_of(specs[i])));
    // pg_basebackup -C -S: the slot's restart_lsn starts where the clone's WAL ends.
    links_.back()->has_slot = specs[i].replication_slot;
    links_.back()->slot_restart_lsn = nodes_[i]->flush_lsn();
  }
  archived_next_[0] = archive_.segno(nodes_[0]->wal().oldest_lsn());
  // Standbys start streaming in the order they are listed: that is their connection order.
  for (size_t l = 0; l < links_.size(); ++l) try_connect(static_cast<int>(l));
  reset_archive_timer(0, nodes_[0]->insert_lsn());
  world_.run_until(kStepGapUs);
}

RunResult Cluster::run() {
  result_.scenario = scenario_.name;
  result_.file = scenario_.file;
  result_.source = "simulator";
  result_.seed = options_.seed;
  txs_.reserve(scenario_.steps.size());  // At most one per step: no reallocation while writing.
  setup();
  for (size_t i = 0; i < scenario_.steps.size(); ++i) {
    const Step& step = scenario_.steps[i];
    step_index_ = static_cast<int>(i);
    begin_step(step);
    if (recording()) {
      TimelineEntry entry;
      entry.step = step_index_;
      entry.time_us = world_.now_us();
      entry.text = step.text;
      result_.timeline.push_back(std::move(entry));
    }
    result_.steps.push_back(StepResult{step_index_, step.text, false, "", "", false});
    visit_step(step, *this);
    end_step(step);
    if (recording()) snapshot(step_index_, step);
  }
  finish();
  return std::move(result_);
}

// A load's step starts no sooner than pace_us after the previous one started: idle time.
void Cluster::begin_step(const Step& step) {
  if (step.pace_us > 0) world_.run_until(std::max(world_.now_us(), step_start_us_ + step.pace_us));
  step_start_us_ = world_.now_us();
}

// The step takes its profile's time after its action. If nothing is pending once the least
// time any profile gives it has passed, the rest is idle in every profile: the runs differ
// only by a shift of the clock, so the time was not read. Otherwise something in flight (WAL,
// a timer, a reconnection) may land before or after the next step depending on the profile.
void Cluster::end_step(const Step& step) {
  const int64_t end = world_.now_us() + timing_.step_us(step.kind);
  if (timing_.step_floor_us(step.kind) != timing_.step_ceiling_us(step.kind)) {
    world_.run_until(world_.now_us() + timing_.step_floor_us(step.kind));
    if (world_.pending_events() > 0) timing_.mark_step_time_read();
  }
  world_.run_until(end);
}

void Cluster::on_wait(const Step& step) { world_.run_until(world_.now_us() + step.duration_ms * 1000); }

void Cluster::refuse(const std::string& sqlstate, const std::string& message) {
  StepResult& r = result_.steps.back();
  r.refused = true;
  r.sqlstate = sqlstate;
  r.message = message;
  note("ERROR:  {} (SQLSTATE {})", message, sqlstate);
}

void Cluster::note(std::string text) {
  if (!result_.timeline.empty()) result_.timeline.back().notes.push_back(std::move(text));
}

void Cluster::event(HistoryEvent::Type type, const std::string& process, int node, const std::string& label,
                    const std::string& detail, const Tx* tx) {
  if (!recording()) return;
  HistoryEvent e;
  e.type = type;
  e.time_us = world_.now_us();
  e.process = process;
  e.node = node >= 0 ? nodes_[static_cast<size_t>(node)]->name() : "";
  e.label = label;
  e.detail = detail;
  if (tx != nullptr) {
    e.xid = tx->record.xid;
    e.lsn = tx->record.commit_lsn;
    e.commit_time_us = tx->record.commit_time_us;
  }
  result_.events.push_back(std::move(e));
}

int Cluster::target_primary(const Step& step) const {
  return step.node.empty() ? current_primary_ : node_index(step.node);
}

// Why `standby` does not have what its primary commits now: the fault that cuts it off.
std::string Cluster::why_not_received(int standby) const {
  auto it = since_.find(standby);
  if (it != since_.end()) return it->second;
  const Link& link = *links_[static_cast<size_t>(standby - 1)];
  if (!link.connected()) return "not streaming";
  return "";
}

// The transaction's row changes as WAL records (heap_insert, heap_update, heap_delete,
// ExecuteTruncate's records), before its marker row and commit record.
void Cluster::log_row_changes(wal::WalWriter& w, Xid xid, const std::vector<RowChange>& changes) {
  for (const RowChange& c : changes) {
    switch (row_op(c.type)) {
      case RowOp::kInsert: w.insert(xid, c.table, c.key, c.row); break;
      case RowOp::kUpdate: w.update(xid, c.table, c.key, c.row); break;
      case RowOp::kDelete: w.erase(xid, c.table, c.key); break;
      case RowOp::kTruncate: w.truncate(xid, c.truncated); break;
    }
  }
}

// A statement that failed with an XID: what it logged, then its abort record, which
// RecordTransactionAbort does not flush (XLogSetAsyncXactLSN: the WAL writer does, and the
// walsenders then send it).
void Cluster::log_abort(int p, const std::vector<RowChange>& changes) {
  Node& n = *nodes_[static_cast<size_t>(p)];
  const Xid xid = n.assign_xid();
  log_row_changes(n.writer(), xid, changes);
  n.writer().abort(xid, now_epoch_us());
  n.make_visible();
  schedule_wal_writer(p);
}

Cluster::Tx& Cluster::invoke_tx(const Step& step, int p) {
  txs_.push_back(Tx{});
  Tx& tx = txs_.back();
  tx.record.label = step.label;
  tx.record.step = step_index_;
  tx.record.node = nodes_[static_cast<size_t>(p)]->name();
  tx.node = p;
  tx.level = scenario_.cluster.synchronous_commit;
  event(HistoryEvent::Type::kInvoke, "client", p, step.label, step.text);
  return tx;
}

void Cluster::write(const Step& step) {
  const int p = target_primary(step);
  Node& n = *nodes_[static_cast<size_t>(p)];
  Tx& tx = invoke_tx(step, p);
  auto fail = [&](const std::string& why, TxOutcome outcome = TxOutcome::kFailed) {
    tx.record.outcomes = {outcome};
    tx.record.detail = why;
    event(outcome == TxOutcome::kFailed ? HistoryEvent::Type::kFail : HistoryEvent::Type::kBlocked, "client", p,
          step.label, why, &tx);
    note("{} {}: {}", step.label, to_string(outcome), why);
  };
  if (n.run_state() == RunState::kPaused)
    return fail(fmt::format("{} is paused: the statement hangs", n.name()), TxOutcome::kBlocked);
  if (!n.running()) return fail(fmt::format("could not connect to {}: it is {}", n.name(), to_string(n.run_state())));
  if (!n.is_primary()) {
    const std::string statement = statement_word(step.kind);
    refuse("25006", fmt::format("cannot execute {} in a read-only transaction", statement));
    return fail(fmt::format("cannot execute {} in a read-only transaction ({} is a standby)", statement, n.name()));
  }
  ExecutionResult exec = execute_as_seen(p, step);
  if (!exec.ok) {
    // A statement that waited for a lock until the client gave up got no ERROR: not refused.
    if (!exec.sqlstate.empty()) refuse(exec.sqlstate, exec.error);
    if (exec.aborted_with_xid) log_abort(p, exec.changes);
    return fail(exec.error);
  }
  tx.held = held_if_waiting(p, exec);

  const Xid xid = n.assign_xid();
  wal::WalWriter& w = n.writer();
  log_row_changes(w, xid, exec.changes);
  const uint64_t marker = n.next_marker_key();
  w.insert(xid, marker_table_id(dataset_), marker, Executor::initial_row({step.label}));
  if (tx.held) tx.held->undo.push_back({RowId{marker_table_id(dataset_), marker}, std::nullopt});
  const wal::Appended commit = w.commit(xid, now_epoch_us());
  // RecordTransactionCommit flushes at every level but off, and at off too when the
  // transaction drops relation files (nrels > 0): TRUNCATE always does (it gives the table a
  // new relfilenode and drops the old one). It still waits for no standby at off.
  committed(tx, p, xid, commit, step.kind == StepKind::kTruncate);
}

// The commit record of `tx` (xid `xid`) is written on primary `p`: it is visible there, flushed
// as its level says (`drops_files`: at every level), then acknowledged or left waiting for its
// standbys or its flush. A write step's transaction and a session's COMMIT end here.
void Cluster::committed(Tx& tx, int p, Xid xid, const wal::Appended& commit, bool drops_files) {
  Node& n = *nodes_[static_cast<size_t>(p)];
  n.make_visible();
  tx.committed = true;
  tx.record.xid = xid;
  tx.record.commit_lsn = commit.end_lsn;
  tx.record.commit_time_us = world_.now_us();
  tx.record.timeline = n.timeline();
  for (const auto& link : links_)
    if (link->upstream() == p && !link->promoted_away)
      tx.standby_view[link->standby()] = why_not_received(link->standby());

  const bool waits = commit_waits_for_standbys(tx.level, names_on(p));
  schedule_archive_timeout(p);
  const bool flushes = tx.level != SyncCommit::kOff || drops_files;
  if (!flushes) {
    tx.local_only = true;
    schedule_wal_writer(p);
  } else {
    n.flush_to(commit.end_lsn);
  }
  if (!waits && options_.perturbation == Perturbation::kAsyncCommitsReachStandbyInstantly) push_instantly(p);
  wake_walsenders(p);
  if (flushes && n.flush_lsn() < commit.end_lsn) return wait_for_flush(tx);
  if (!waits) return acknowledge(tx, "");
  tx.waiting = true;
  tx.record.waited_for_sync = true;
  if (recording())  // Its arguments cost as much as the formatting.
    note("{} committed locally at {} (xid {}); waiting for {}", tx.record.label, commit.end_lsn.to_string(), xid,
         names_on(p).to_string());
  // No standby has this commit yet (its record is new WAL): a reply will release it.
  client_waits_for_commit(static_cast<size_t>(&tx - txs_.data()));
}

// The client (the harness) waits up to block_after_ms for the COMMIT's reply before it records
// the commit as blocked and goes on: the step takes as long as it waited, and replication, the
// WAL writer and timeouts run meanwhile (until 2026-12-07 the model went on at once, and a run
// of blocked commits took milliseconds instead of seconds: a stalled standby's
// wal_sender_timeout came much later in the model than on the real cluster).
void Cluster::client_waits_for_commit(size_t tx) {
  world_.run_until_true(world_.now_us() + kBlockAfterUs, [this, tx] { return !txs_[tx].waiting; });
}

// RecordTransactionCommit's XLogFlush on a stalled disk never returns: the client waits (the
// harness sees a commit not back in time) until the node dies, and then cannot know.
void Cluster::wait_for_flush(Tx& tx) {
  tx.waiting = tx.flush_wait = true;
  tx.record.waited_for_sync = true;
  note("{} wrote its commit record at {} (xid {}) and waits in XLogFlush: the disk of {} is stalled", tx.record.label,
       tx.record.commit_lsn.to_string(), tx.record.xid, tx.record.node);
  client_waits_for_commit(static_cast<size_t>(&tx - txs_.data()));
}

void Cluster::acknowledge(Tx& tx, const std::string& how) {
  tx.waiting = false;
  tx.record.outcomes = {TxOutcome::kAcknowledged};
  if (!how.empty()) tx.record.detail = how;
  event(HistoryEvent::Type::kOk, "client", tx.node, tx.record.label, how, &tx);
  if (recording())  // Its arguments cost as much as the formatting.
    note("{} acknowledged at {} (xid {}, synchronous_commit={}){}", tx.record.label, tx.record.commit_lsn.to_string(),
         tx.record.xid, to_string(tx.level), how.empty() ? "" : ": " + how);
}

bool Cluster::can_catch_up(int standby) const {
  const Node& s = *nodes_[static_cast<size_t>(standby)];
  if (s.is_primary() || !s.running()) return false;
  const Link& link = *links_[static_cast<size_t>(standby - 1)];
  const Node& up = *nodes_[static_cast<size_t>(link.upstream())];
  return !link.promoted_away && !link.wal_removed && !link.partitioned() && up.running() && up.is_primary();
}

bool Cluster::caught_up(int standby) const {
  const Link& link = *links_[static_cast<size_t>(standby - 1)];
  const Node& up = *nodes_[static_cast<size_t>(link.upstream())];
  const Node& s = *nodes_[static_cast<size_t>(standby)];
  // What the primary has flushed (pg_current_wal_flush_lsn, as the harness reads it): an
  // asynchronous commit the WAL writer has not flushed yet is not sent, so not waited for.
  return link.connected() && s.replay_lsn() >= up.flush_lsn() && link.reported_apply >= up.flush_lsn();
}

// `catchup` waits for the standbys that can replay everything: without a node, those streaming
// from the current primary over a working link; a named standby that cannot (cut off, down,
// following a primary that is gone), or does not within the limit, ends in cannot_catch_up, as
// the harness reports it.
void Cluster::on_catchup(const Step& step) {
  std::vector<int> targets;
  for (size_t i = 1; i < nodes_.size(); ++i) {
    const int n = static_cast<int>(i);
    const Node& s = *nodes_[i];
    const Link& link = *links_[i - 1];
    const bool named = !step.node.empty();
    if (named && s.name() != step.node) continue;
    if (s.is_primary() || s.restoring()) {
      if (named) note("{} has nothing to catch up: it is not streaming", s.name());
      continue;
    }
    if (link.wal_removed && s.running()) {
      wal_gone_at_catchup(n);
    } else if (can_catch_up(n) && (named || link.upstream() == current_primary_)) {
      targets.push_back(n);
      if (!link.connected()) schedule_reconnect(n - 1);
    } else {
      const std::string why = since_.count(n) ? since_.at(n) : "its primary is down";
      if (named) cannot_catch_up(n, why);
      else note("{} cannot catch up now ({})", s.name(), why);
    }
  }
  const int64_t start = world_.now_us();
  const bool done = world_.run_until_true(start + kCatchupLimitUs, [&] {
    return std::all_of(targets.begin(), targets.end(), [&](int s) { return caught_up(s); });
  });
  for (int t : targets) {
    if (links_[static_cast<size_t>(t - 1)]->wal_removed) wal_gone_at_catchup(t);
    else if (!caught_up(t))
      cannot_catch_up(t, fmt::format("replay at {} after {} ms",
                                     nodes_[static_cast<size_t>(t)]->replay_lsn().to_string(), kCatchupLimitUs / 1000));
  }
  if (!done) note("catchup gave up after {} ms", kCatchupLimitUs / 1000);
  else if (!targets.empty() && world_.now_us() > start) note("caught up in {} us", world_.now_us() - start);
  else if (!targets.empty()) note("already caught up");
}

void Cluster::cannot_catch_up(int standby, const std::string& why) {
  errors_[standby] = {"cannot_catch_up", why};
  note("{} cannot catch up: {}", nodes_[static_cast<size_t>(standby)]->name(), why);
}

// The walreceiver keeps asking for a segment the primary removed: only a new clone helps.
void Cluster::wal_gone_at_catchup(int standby) {
  const Node& s = *nodes_[static_cast<size_t>(standby)];
  cannot_catch_up(standby,
                  fmt::format("requested WAL segment {} has already been removed",
                              wal_segment_name(s.timeline(), s.flush_lsn(), scenario_.cluster.wal_segment_size)));
}

void Cluster::on_check_lag(const Step& step) {
  const int s = step.node.empty() ? 1 : node_index(step.node);
  LagMeasure m;
  m.name = step.name;
  m.standby = nodes_[static_cast<size_t>(s)]->name();
  const Node& standby = *nodes_[static_cast<size_t>(s)];
  const int up = standby.is_primary() ? s : links_[static_cast<size_t>(s - 1)]->upstream();
  const Node& primary = *nodes_[static_cast<size_t>(up)];
  // pg_current_wal_lsn() on the primary against the standby's receive and replay positions.
  m.primary_lsn = primary.flush_lsn();
  m.receive_lsn = standby.is_primary() ? m.primary_lsn : standby.flush_lsn();
  m.replay_lsn = standby.is_primary() ? m.primary_lsn : standby.replay_lsn();
  m.receive_lag_bytes = std::max<int64_t>(0, lsn_diff(m.primary_lsn, m.receive_lsn));
  m.replay_lag_bytes = std::max<int64_t>(0, lsn_diff(m.primary_lsn, m.replay_lsn));
  for (const Tx& tx : txs_) {
    if (!tx.committed || tx.node != up || tx.record.timeline != primary.timeline()) continue;
    if (tx.record.commit_lsn > m.replay_lsn) ++m.transactions;
    const bool acked = !tx.record.outcomes.empty() && tx.record.outcomes[0] == TxOutcome::kAcknowledged;
    if (acked && tx.record.commit_lsn > m.receive_lsn) m.at_risk.push_back(tx.record.label);
  }
  m.failover_loses_data = !m.at_risk.empty();
  note("lag {} of {}: primary {} received {} replayed {}: {} bytes behind, {} commit(s) not replayed{}", m.name,
       m.standby, m.primary_lsn.to_string(), m.receive_lsn.to_string(), m.replay_lsn.to_string(), m.replay_lag_bytes,
       m.transactions, m.failover_loses_data ? fmt::format("; failover now loses {}", fmt::join(m.at_risk, ", ")) : "");
  result_.lags.push_back(std::move(m));
}

// The commit `step` names if a signal reaches it: not when it is not waiting (a note says so),
// nor while its server is paused: the harness sends neither a cancel request nor a statement to
// a stopped (SIGSTOPped) server, which could not serve it (docs/harness.md, "Steps"), so the
// commit goes on waiting. `unsent` says what is not sent.
Cluster::Tx* Cluster::signalled_waiter(const Step& step, const char* unsent) {
  for (Tx& tx : txs_) {
    if (tx.record.label != step.label) continue;
    if (!tx.waiting) {
      note("{} {}: its commit is not waiting; nothing to do", to_string(step.kind), step.label);
      return nullptr;
    }
    if (nodes_[static_cast<size_t>(tx.node)]->run_state() == RunState::kPaused) {
      note("{} {}: {} is paused; {} is sent", to_string(step.kind), step.label, tx.record.node, unsent);
      return nullptr;
    }
    return &tx;
  }
  return nullptr;
}

// The signalled commit leaves the wait queue; its client learns `outcome`.
void Cluster::end_wait(Tx& tx, TxOutcome outcome, const char* detail) {
  tx.waiting = false;
  tx.record.outcomes = {outcome};
  tx.record.detail = detail;
  event(HistoryEvent::Type::kInfo, "client", tx.node, tx.record.label, tx.record.detail, &tx);
}

void Cluster::on_cancel(const Step& step) {
  Tx* tx = signalled_waiter(step, "no cancel request");
  if (tx == nullptr) return;
  end_wait(*tx, TxOutcome::kCancelled,
           "canceling wait for synchronous replication due to user request: the transaction has already "
           "committed locally, but might not have been replicated to the standby");
  note("{} cancelled: committed locally on {}, never confirmed by a standby", step.label, tx->record.node);
}

// pg_terminate_backend() of the waiting backend (docs/model.md, "Terminating a waiting commit"):
// SyncRepWaitForLSN sees ProcDiePending, warns, stops sending to the client and leaves the
// queue; the backend exits. The commit record is flushed already: the transaction is committed
// locally and streams to the standbys like any other, but its client only lost its connection.
void Cluster::on_terminate(const Step& step) {
  Tx* tx = signalled_waiter(step, "no pg_terminate_backend");
  if (tx == nullptr) return;
  end_wait(*tx, TxOutcome::kInDoubt,
           "canceling the wait for synchronous replication and terminating connection due to administrator command: "
           "the transaction has already committed locally; the client lost its connection");
  note("{} terminated: committed locally on {}, its client cannot know", step.label, tx->record.node);
}

// A reload of synchronous_standby_names (docs/model.md, "Reloading synchronous_standby_names").
// Emptied: the checkpointer, handling the SIGHUP, finds no synchronous standby defined and wakes
// every waiter (src/backend/replication/syncrep.c, SyncRepUpdateSyncStandbysDefined ->
// SyncRepWakeQueue(true, ...)): each is acknowledged. Changed: each walsender re-reads it
// (SyncRepInitConfig) and the waiters go at the next reply of a walsender that is synchronous
// under the new value (release_waiters), which comes at once or after wal_receiver_status_interval.
void Cluster::on_reload(const Step& step) {
  const int n = node_index(step.node);
  auto names = parse_standby_names(step.synchronous_standby_names.value_or(""));
  REPLSIM_ASSERT(names.ok(), "the parser checked the value");
  if (names->enabled()) sync_names_.insert_or_assign(n, *std::move(names));
  else sync_names_.erase(n);
  note("{} reloads synchronous_standby_names = '{}'", step.node, names_on(n).to_string());
  if (names_on(n).enabled()) return schedule_status_replies(n);
  for (Tx& tx : txs_)
    if (tx.waiting && !tx.flush_wait && tx.node == n)
      acknowledge(tx, "released: a reload emptied synchronous_standby_names");
}

void Cluster::on_mark(const Step& step) {
  const Node& p = *nodes_[static_cast<size_t>(current_primary_)];
  marks_[step.name] = Mark{now_epoch_us(), p.insert_lsn()};
  note("mark {} at {}", step.name, p.insert_lsn().to_string());
}

// Reading the profile's tie order only where a tie decides keeps the one-profile shortcut.
SyncRepDecision Cluster::decide_sync(const StandbyNames& names, const std::vector<WalSenderView>& views) const {
  return decide_sync_rep(names, views, ties_decide(names, views) && timing_.reverse_equal_priority);
}

std::string Cluster::sync_state_of(int standby) const {
  const Link& link = *links_[static_cast<size_t>(standby - 1)];
  if (!link.connected() || !nodes_[static_cast<size_t>(link.upstream())]->running()) return "";
  const StandbyNames& names = names_on(link.upstream());
  if (!names.enabled()) return "async";
  std::vector<WalSenderView> views;
  size_t mine = 0;
  for (int l : walsenders_of(link.upstream())) {
    const Link& other = *links_[static_cast<size_t>(l)];
    if (&other == &link) mine = views.size();
    views.push_back({nodes_[static_cast<size_t>(other.standby())]->name(), true, other.has_feedback,
                     other.reported_write, other.reported_flush, other.reported_apply});
  }
  return decide_sync(names, views).sync_state[mine];
}

NodePosition Cluster::position(int n) const {
  const Node& node = *nodes_[static_cast<size_t>(n)];
  NodePosition p;
  p.node = node.name();
  // A restore that stopped short of its target still shows as restoring in the positions.
  p.state = to_string(node.restoring() ? NodeState::kRestoring : state_of(node));
  p.timeline = node.timeline();
  p.flush_lsn = node.flush_lsn();
  if (node.is_primary()) {
    p.insert_lsn = node.insert_lsn();
  } else {
    p.write_lsn = node.write_lsn();
    p.replay_lsn = node.replay_lsn();
    p.sync_state = sync_state_of(n);
  }
  p.server_state = server_state_of(n);
  predict_sync_row(n, &p);
  return p;
}

void Cluster::snapshot(int index, const Step& step) {
  (void)index;
  (void)step;
  auto& entry = result_.timeline.back();
  for (size_t i = 0; i < nodes_.size(); ++i) entry.positions.push_back(position(static_cast<int>(i)));
}

// Whether WAL is still on its way to standby `n` as the run ends: unflushed on the primary (an
// async commit the WAL writer has not flushed yet), flushed but not yet received over a link that
// carries it, or received but not yet replayed. Observed at that instant, a real standby's lag is
// a snapshot of something in motion, its size (and whether it is zero) timing's call: the final
// lag is then not predicted. A standby cut off, paused or down has a lag that stays put.
// REQUIRES: follows_current_primary(n).
bool Cluster::wal_in_motion_to(int n) const {
  const Node& primary = *nodes_[static_cast<size_t>(current_primary_)];
  const Node& standby = *nodes_[static_cast<size_t>(n)];
  const Link& link = *links_[static_cast<size_t>(n - 1)];
  if (!primary.running() || !standby.running() || standby.is_primary()) return false;
  // Received but not replayed moves on, unless replay is paused: then it stays where it is.
  if (standby.replay_lsn() < standby.flush_lsn() && !standby.replay_paused() && !delay_holds_past_end(standby))
    return true;
  // The WAL writer will move the flush position the lag is measured to, whether or not the
  // standby can then receive it (differential campaign, seed 2026, run 242: a standby cut off
  // after an asynchronous commit was behind at the last look, once the WAL writer had flushed).
  if (primary.insert_lsn() > primary.flush_lsn()) return true;
  if (!link.connected() || link.cut(Link::Direction::kToStandby)) return false;
  return standby.write_lsn() < primary.flush_lsn();
}

// A lag is a distance along one WAL stream: only a standby streaming from the current primary
// has one (a standby still following a primary that was failed away from is on another
// timeline; comparing its LSNs with the new primary's measures nothing).
bool Cluster::follows_current_primary(int n) const {
  if (n == 0 || static_cast<size_t>(n - 1) >= links_.size()) return false;
  const Link& link = *links_[static_cast<size_t>(n - 1)];
  return !link.promoted_away && link.upstream() == current_primary_;
}

void Cluster::finish() {
  for (Tx& tx : txs_) {
    if (!tx.waiting) continue;
    tx.record.outcomes = {TxOutcome::kBlocked};
    tx.record.detail = fmt::format("still waiting for {} when the scenario ended", names_on(tx.node).to_string());
    event(HistoryEvent::Type::kBlocked, "client", tx.node, tx.record.label, tx.record.detail, &tx);
    run_note("{} never returned: committed locally on {} at {}, still waiting for {} at the end", tx.record.label,
             tx.record.node, tx.record.commit_lsn.to_string(), names_on(tx.node).to_string());
  }
  // Everyone's positions now (as the last timeline entry has them, also when the run records
  // no timeline): the final lags come from them.
  TimelineEntry now;
  for (size_t i = 0; i < nodes_.size(); ++i) now.positions.push_back(position(static_cast<int>(i)));
  for (size_t i = 0; i < nodes_.size(); ++i) {
    const Node& n = *nodes_[i];
    NodeFinal f;
    f.name = n.name();
    f.state = state_of(n);
    f.server_state = server_state_of(static_cast<int>(i));
    if (follows_current_primary(static_cast<int>(i)) && !wal_in_motion_to(static_cast<int>(i)) &&
        !restarted_primaries_.count(current_primary_))
      set_final_lags(now, nodes_[static_cast<size_t>(current_primary_)]->name(), f);
    f.timeline = n.timeline();
    if (auto e = errors_.find(static_cast<int>(i)); e != errors_.end()) {
      f.error = e->second.first;
      f.error_detail = e->second.second;
    }
    if (n.observable()) {
      const absl::flat_hash_set<std::string> labels = labels_on(n, dataset_);
      for (const Tx& tx : txs_) {
        // A commit still waiting for its standbys is not visible to other sessions.
        const bool hidden = tx.waiting && tx.node == static_cast<int>(i);
        f.presence[tx.record.label] = tx.committed && !hidden && labels.contains(tx.record.label) ? Presence::kPresent
                                                                                                  : Presence::kAbsent;
      }
      f.row_counts = row_counts_as_seen(static_cast<int>(i));
    }
    result_.nodes.push_back(std::move(f));
  }
  for (size_t i = 0; i < nodes_.size(); ++i) {
    const Node& n = *nodes_[i];
    if (!recording() || static_cast<int>(i) == current_primary_ || !n.is_primary() || !n.running()) continue;
    if (!nodes_[static_cast<size_t>(current_primary_)]->running()) continue;
    std::vector<std::string> own;
    for (const Tx& tx : txs_)
      if (tx.node == static_cast<int>(i) && tx.committed && !tx.erased && tx.record.step > promoted_at_step_)
        own.push_back(tx.record.label);
    run_note(
        "split brain: {} (timeline {}) and {} (timeline {}) both run as primaries{}", n.name(), n.timeline(),
        nodes_[static_cast<size_t>(current_primary_)]->name(),
        nodes_[static_cast<size_t>(current_primary_)]->timeline(),
        own.empty() ? "" : fmt::format("; written only on {} after the promotion: {}", n.name(), fmt::join(own, ", ")));
  }
  result_.transactions.reserve(txs_.size());
  for (Tx& tx : txs_) {
    result_.transactions.push_back(std::move(tx.record));  // The run ends here: nothing reads txs_ again.
    if (tx.waiting) result_.transactions.back().outcomes = {TxOutcome::kBlocked};
  }
}

}  // namespace replsim::sim
