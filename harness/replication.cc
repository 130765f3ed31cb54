// Transactions and replication on the real cluster: write steps, commits that wait for
// synchronous replication, cancel, catchup and check_lag. sim::Cluster's on_<kind> members
// model the same steps (sim/cluster.h).
#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <thread>

#include "harness/interrupt.h"
#include "harness/runner.h"

namespace replsim::harness {
namespace {

constexpr const char* kCancelWarning = "canceling wait for synchronous replication";

bool is_committed(const TxRecord& tx) { return !tx.outcomes.empty() && tx.outcomes[0] != TxOutcome::kFailed; }

std::string insert_sql(const TableSpec& t, const std::vector<std::string>& sets, const std::string& /*where*/,
                       const Step& /*st*/) {
  std::vector<std::string> ph;
  for (size_t i = 1; i <= sets.size(); ++i) ph.push_back(fmt::format("${}", i));
  return fmt::format("INSERT INTO {} ({}) VALUES ({})", t.name, fmt::join(sets, ", "), fmt::join(ph, ", "));
}

std::string update_sql(const TableSpec& t, const std::vector<std::string>& sets, const std::string& where,
                       const Step& /*st*/) {
  std::vector<std::string> assigns;
  for (size_t i = 0; i < sets.size(); ++i) assigns.push_back(fmt::format("{} = ${}", sets[i], i + 1));
  return fmt::format("UPDATE {} SET {}{}", t.name, fmt::join(assigns, ", "), where);
}

std::string delete_sql(const TableSpec& t, const std::vector<std::string>& /*sets*/, const std::string& where,
                       const Step& /*st*/) {
  return fmt::format("DELETE FROM {}{}", t.name, where);
}

std::string truncate_sql(const TableSpec& t, const std::vector<std::string>& /*sets*/, const std::string& /*where*/,
                         const Step& st) {
  return fmt::format("TRUNCATE {}{}", t.name, st.cascade ? " CASCADE" : "");
}

}  // namespace

Status Runner::on_insert(const Step& st) {
  if (!st.session.empty()) {
    session_statement(st);
    return Status::Ok();
  }
  write(st, &insert_sql);
  return Status::Ok();
}

Status Runner::on_update(const Step& st) {
  write(st, &update_sql);
  return Status::Ok();
}

Status Runner::on_delete(const Step& st) {
  write(st, &delete_sql);
  return Status::Ok();
}

Status Runner::on_truncate(const Step& st) {
  write(st, &truncate_sql);
  return Status::Ok();
}

Result<std::string> Runner::write_sql(const Step& st, WriteSqlBuilder build, std::vector<std::string>* params) const {
  // Identifiers come from the data set's TableSpec, never from the scenario's text.
  const TableSpec* t = dataset_->find_table(st.table);
  if (t == nullptr) return Status::InvalidInput(fmt::format("unknown table '{}'", st.table));
  std::vector<std::string> sets, conds;
  for (const auto& [col, value] : st.values) {
    const ColumnSpec* c = t->find_column(col);
    if (c == nullptr) return Status::InvalidInput(fmt::format("unknown column {}.{}", t->name, col));
    params->push_back(value);
    sets.push_back(c->name);
  }
  for (const auto& [col, value] : st.where) {
    const ColumnSpec* c = t->find_column(col);
    if (c == nullptr) return Status::InvalidInput(fmt::format("unknown column {}.{}", t->name, col));
    params->push_back(value);
    conds.push_back(fmt::format("{} = ${}", c->name, params->size()));
  }
  const std::string where = conds.empty() ? "" : fmt::format(" WHERE {}", fmt::join(conds, " AND "));
  return build(*t, sets, where, st);
}

// The transaction's outcome is what its client learns: recorded at once, or left waiting
// (block) when the COMMIT is not back within block_after_ms.
TxRecord Runner::invoke_tx(const Step& st, const ClusterNode* n, const std::string& process) {
  TxRecord tx;
  tx.label = st.label;
  tx.step = step_index_;
  tx.node = n != nullptr ? n->name : st.node;
  tx.timeline = timelines_[tx.node] == 0 ? 1 : timelines_[tx.node];
  event(EventType::kInvoke, process, tx.node, st.label, st.text);
  return tx;
}

void Runner::write(const Step& st, WriteSqlBuilder build) {
  ClusterNode* n = node_or_primary(st.node);
  const std::string process = fmt::format("client-{}", step_index_);
  TxRecord tx = invoke_tx(st, n, process);
  auto fail = [&](const std::string& why) {
    tx.outcomes = {TxOutcome::kFailed};
    tx.detail = why;
    event(EventType::kFail, process, tx.node, st.label, why);
    h_.transactions.push_back(tx);
  };
  std::vector<std::string> params;
  auto sql = write_sql(st, build, &params);
  if (!sql.ok()) return fail(sql.status().message());
  if (n == nullptr || !n->server->running()) return fail(fmt::format("{} is not running", tx.node));
  if (n->server->paused()) return fail(fmt::format("{} is paused", tx.node));
  auto conn = c_.connect(*n, 2000);
  if (!conn.ok()) return fail(conn.status().message());
  PgConnection& c = **conn;
  const int64_t t = opt_.statement_timeout_ms;
  PgReply r = c.exec("BEGIN", {}, t);
  if (r.ok) r = c.exec(*sql, params, t);
  if (r.ok) r = c.exec(fmt::format("INSERT INTO {} (label) VALUES ($1)", kTxMarkerTable), {st.label}, t);
  if (r.ok) r = c.exec("SELECT pg_current_xact_id()::xid::text", {}, t);
  if (!r.ok) {
    refused(r);
    return fail(r.error);
  }
  tx.xid = static_cast<Xid>(std::stoul(r.at(0, 0)));
  h_.transactions.push_back(tx);
  Pending p{h_.transactions.size() - 1, std::move(*conn)};
  if (Status s = p.conn->send("COMMIT"); !s.ok()) {
    resolve(p, PgReply{false, s.message(), "", true, false, {}});
    return;
  }
  PgReply reply = p.conn->wait(opt_.block_after_ms);
  if (reply.timed_out) return block(std::move(p), n, process);
  resolve(p, reply);
}

void Runner::block(Pending p, ClusterNode* n, const std::string& process) {
  TxRecord& rec = h_.transactions[p.tx];
  rec.outcomes = {TxOutcome::kBlocked};
  // Observable only as "not back within block_after_ms": a sync commit released sooner
  // waited too, briefly, but nothing on the client side tells it from an async one.
  rec.waited_for_sync = true;
  rec.detail = fmt::format("commit not back after {} ms", opt_.block_after_ms);
  if (!sc_.cluster.synchronous_standby_names.empty()) {
    rec.detail += fmt::format(" (waiting for synchronous_standby_names '{}')", sc_.cluster.synchronous_standby_names);
  }
  // The commit record is written and flushed before the sync-rep wait: its position and
  // timestamp are known now, whatever the client later learns.
  fill_commit_info(rec, n, nullptr);
  auto& e = event(EventType::kBlocked, process, rec.node, rec.label, rec.detail);
  e.xid = rec.xid;
  e.lsn = rec.commit_lsn;
  e.commit_time_us = rec.commit_time_us;
  note(fmt::format("{} blocked", rec.label));
  pending_.push_back(std::move(p));
}

void Runner::fill_commit_info(TxRecord& tx, ClusterNode* n, PgConnection* conn) {
  // pg_xact_commit_timestamp needs track_commit_timestamp (on). The commit LSN is read as the
  // insert position right after the commit: exact when nothing else writes WAL in between,
  // which autovacuum=off and one writer at a time make the rule (docs/history.md).
  const std::string sql =
      "SELECT pg_current_wal_insert_lsn()::text, "
      "(extract(epoch FROM pg_xact_commit_timestamp($1::text::xid)) * 1000000)::bigint::text";
  PgReply r = conn != nullptr && !conn->broken() && !conn->busy() ? conn->exec(sql, {std::to_string(tx.xid)}, 2000)
                                                                  : observe(n, sql, {std::to_string(tx.xid)});
  if (!r.ok || r.rows.empty()) return;
  tx.commit_lsn = lsn_at(r, 0, 0);
  if (!r.null_at(0, 1)) tx.commit_time_us = std::stoll(r.at(0, 1)) - start_wall_us_;
}

void Runner::resolve(Pending& p, const PgReply& reply) {
  TxRecord& tx = h_.transactions[p.tx];
  const std::string process = fmt::format("client-{}", tx.step);
  ClusterNode* n = c_.node(tx.node);
  bool cancelled = false;
  for (const auto& msg : p.conn->notices()) cancelled = cancelled || msg.find(kCancelWarning) != std::string::npos;
  if (reply.ok) {
    tx.outcomes = {cancelled ? TxOutcome::kCancelled : TxOutcome::kAcknowledged};
    if (cancelled) tx.detail = "sync-rep wait cancelled: committed locally, not acknowledged by a standby";
    fill_commit_info(tx, n, p.conn.get());
    auto& e = event(EventType::kOk, process, tx.node, tx.label, tx.detail);
    e.xid = tx.xid;
    e.lsn = tx.commit_lsn;
    e.commit_time_us = tx.commit_time_us;
    note(fmt::format("{} {}", tx.label, cancelled ? "cancelled" : "acknowledged"));
  } else if (reply.connection_lost || p.conn->broken()) {
    tx.outcomes = {TxOutcome::kInDoubt};
    tx.detail = fmt::format("connection lost during COMMIT: {}", reply.error);
    auto& e = event(EventType::kInfo, process, tx.node, tx.label, tx.detail);
    e.xid = tx.xid;
    e.lsn = tx.commit_lsn;  // Known when the commit was seen blocked before the connection died.
    e.commit_time_us = tx.commit_time_us;
    note(fmt::format("{} in doubt", tx.label));
  } else {
    refused(reply, tx.step);
    tx.outcomes = {TxOutcome::kFailed};
    tx.detail = reply.error;
    event(EventType::kFail, process, tx.node, tx.label, tx.detail).xid = tx.xid;
    note(fmt::format("{} failed", tx.label));
  }
}

void Runner::poll_pending() {
  for (size_t i = 0; i < pending_.size();) {
    PgReply r = pending_[i].conn->wait(0);
    if (r.timed_out) {
      ++i;
      continue;
    }
    resolve(pending_[i], r);
    pending_.erase(pending_.begin() + static_cast<long>(i));
  }
}

Runner::Pending* Runner::signalled_pending(const Step& st, const char* unsent) {
  auto it = std::find_if(pending_.begin(), pending_.end(),
                         [&](const Pending& p) { return h_.transactions[p.tx].label == st.label; });
  event(EventType::kFault, "operator", "", fmt::format("{} {}", to_string(st.kind), st.label));
  if (it == pending_.end()) {
    note(fmt::format("{} {}: no commit of it is waiting", to_string(st.kind), st.label));
    return nullptr;
  }
  // A stopped (paused) server cannot serve a cancel request (PQcancel would wait for it without
  // end: the kernel accepts the connection into the postmaster's backlog) nor a statement. The
  // client sends nothing, and the simulator's client does the same (docs/harness.md, "Steps").
  if (const ClusterNode* n = c_.node(h_.transactions[it->tx].node); n != nullptr && n->server->paused()) {
    note(fmt::format("{} {}: {} is paused; {} is sent", to_string(st.kind), st.label, n->name, unsent));
    return nullptr;
  }
  return &*it;
}

void Runner::collect_signalled(Pending* p, const Step& st) {
  PgReply r = p->conn->wait(5000);
  if (r.timed_out) {
    note(fmt::format("{} {}: the commit is still waiting", to_string(st.kind), st.label));
    return;
  }
  resolve(*p, r);
  pending_.erase(pending_.begin() + (p - pending_.data()));
}

// A client-side cancel, because statement_timeout does not end a wait for synchronous
// replication; the client then gets success with a warning (docs/postgresql-notes.md,
// "Cancelling a synchronous-commit wait").
Status Runner::on_cancel(const Step& st) {
  Pending* p = signalled_pending(st, "no cancel request");
  if (p == nullptr) return Status::Ok();
  if (Status s = p->conn->cancel(); !s.ok()) note(fmt::format("cancel {}: {}", st.label, s.message()));
  collect_signalled(p, st);
  return Status::Ok();
}

// pg_terminate_backend() of the backend whose COMMIT waits, from the node's observer session,
// the backend's PID as a parameter. The backend warns, sends its client nothing more and exits
// (SyncRepWaitForLSN, docs/postgresql-notes.md "Terminating a waiting commit"): the client
// sees its connection lost, and the transaction is in doubt.
Status Runner::on_terminate(const Step& st) {
  Pending* p = signalled_pending(st, "no pg_terminate_backend");
  if (p == nullptr) return Status::Ok();
  ClusterNode* n = c_.node(h_.transactions[p->tx].node);
  PgReply sent = observe(n, "SELECT pg_terminate_backend($1::int)", {std::to_string(p->conn->backend_pid())});
  if (!sent.ok) note(fmt::format("terminate {}: {}", st.label, sent.error));
  collect_signalled(p, st);
  return Status::Ok();
}

// The new setting goes into the node's configuration file, then pg_reload_conf(). The postmaster
// reloads on its SIGHUP and signals every child; a new session, forked after that, shows the new
// value: waiting for it (up to 2 s) makes sure the walsenders and the checkpointer were
// signalled before the next step. A commit the reload releases is collected by poll_pending.
Status Runner::on_reload(const Step& st) {
  const std::string value = st.synchronous_standby_names.value_or("");
  event(EventType::kFault, "operator", st.node, fmt::format("reload synchronous_standby_names = '{}'", value));
  ClusterNode* n = c_.node(st.node);
  if (!queryable(n)) {
    note(fmt::format("reload {}: it is {}", st.node, n == nullptr ? "gone" : to_string(n->state)));
    return Status::Ok();
  }
  if (Status s = c_.change_settings(st.node, {{"synchronous_standby_names", value}}); !s.ok()) return s;
  PgReply r = observe(n, "SELECT pg_reload_conf()");
  if (!r.ok) return Status::Failed(fmt::format("reload {}: pg_reload_conf(): {}", st.node, r.error));
  const auto deadline = Clock::now() + std::chrono::seconds(2);
  for (;;) {
    auto fresh = c_.connect(*n, 1000);
    if (fresh.ok()) {
      PgReply shown = (*fresh)->exec("SELECT current_setting('synchronous_standby_names')");
      if (shown.ok && !shown.rows.empty() && !shown.null_at(0, 0) && shown.at(0, 0) == value) break;
    }
    if (Clock::now() > deadline) {
      note(fmt::format("reload {}: a new session does not show the new value after 2 s", st.node));
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  // The checkpointer and the walsenders handle their SIGHUP on waking; give them that moment.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  poll_pending();
  return Status::Ok();
}

Status Runner::on_catchup(const Step& st) {
  ClusterNode* primary = c_.node(primary_);
  if (!queryable(primary)) {
    note(fmt::format("catchup: the primary {} is {}", primary_,
                     primary == nullptr ? "gone" : to_string(primary->state)));
    return Status::Ok();
  }
  std::vector<ClusterNode*> standbys;
  for (ClusterNode* n : c_.nodes()) {
    // Without a node: the standbys streaming from the current primary over a working link (a
    // cut-off standby, or one following a primary that is gone, cannot catch up: the simulator's
    // rule too). A named standby is waited for whatever its state; a primary has nothing to do.
    const bool streaming_here = n->state == NodeState::kStandby && !n->link.empty() && n->upstream == primary_ &&
                                !c_.partitioned(n->name);
    if (st.node.empty() ? streaming_here
                        : (n->name == st.node && n->state != NodeState::kPrimary && n->state != NodeState::kRestoring))
      standbys.push_back(n);
  }
  const auto deadline = Clock::now() + std::chrono::milliseconds(opt_.catchup_timeout_ms);
  for (ClusterNode* s : standbys) {
    for (int sleep_us = 500;; sleep_us = std::min(sleep_us * 2, 10000)) {
      PgReply p = observe(primary, "SELECT pg_current_wal_flush_lsn()::text");
      PgReply r = observe(s, "SELECT pg_last_wal_replay_lsn()::text");
      if (p.ok && r.ok && lsn_at(r, 0, 0) >= lsn_at(p, 0, 0)) break;
      if (interrupted()) return Status::Ok();
      if (Clock::now() > deadline) {
        s->error = "cannot_catch_up";
        s->error_detail = fmt::format("replay at {} after {} ms; primary flushed {}", r.ok ? r.at(0, 0) : r.error,
                                      opt_.catchup_timeout_ms, p.ok ? p.at(0, 0) : p.error);
        note(fmt::format("{} cannot catch up: {}", s->name, s->error_detail));
        break;
      }
      poll_pending();
      std::this_thread::sleep_for(std::chrono::microseconds(sleep_us));
    }
  }
  return Status::Ok();
}

Status Runner::on_check_lag(const Step& st) {
  for (ClusterNode* n : c_.nodes()) {
    if (st.node.empty() ? !n->link.empty() && n->name != primary_ : n->name == st.node) measure_lag(st.name, n);
  }
  return Status::Ok();
}

void Runner::measure_lag(const std::string& name, ClusterNode* standby) {
  // The seed's checkReplicationLag slept 5 s and compared the primary's LSN with the
  // replayed one only; here both received and replayed positions are read at one instant.
  LagMeasure m;
  m.name = name;
  m.standby = standby->name;
  ClusterNode* primary = c_.node(primary_);
  PgReply p = observe(primary, "SELECT pg_current_wal_lsn()::text");
  if (p.ok) m.primary_lsn = lsn_at(p, 0, 0);
  std::set<std::string> on_primary, on_standby;
  PgReply pl = observe(primary, fmt::format("SELECT label FROM {}", kTxMarkerTable));
  for (const auto& row : pl.rows) on_primary.insert(row[0].value_or(""));
  PgReply s = observe(standby, "SELECT pg_last_wal_receive_lsn()::text, pg_last_wal_replay_lsn()::text");
  PgReply sl = observe(standby, fmt::format("SELECT label FROM {}", kTxMarkerTable));
  for (const auto& row : sl.rows) on_standby.insert(row[0].value_or(""));
  PgReply rep = observe(primary,
                        "SELECT flush_lsn::text, replay_lsn::text, state, sync_state, write_lag::text, "
                        "flush_lag::text, replay_lag::text FROM pg_stat_replication WHERE application_name = $1",
                        {standby->name});
  if (s.ok) {
    m.receive_lsn = lsn_at(s, 0, 0);
    m.replay_lsn = lsn_at(s, 0, 1);
  } else if (rep.ok && !rep.rows.empty()) {
    // The standby cannot answer (paused, down): the primary's view of what it flushed.
    m.receive_lsn = lsn_at(rep, 0, 0);
    m.replay_lsn = lsn_at(rep, 0, 1);
  }
  if (rep.ok && !rep.rows.empty()) {
    auto v = [&](size_t c) { return rep.null_at(0, c) ? std::string("-") : rep.at(0, c); };
    note(fmt::format("pg_stat_replication for {}: state {}, sync_state {}, write_lag {}, flush_lag {}, replay_lag {}",
                     standby->name, v(2), v(3), v(4), v(5), v(6)));
  } else {
    note(fmt::format("pg_stat_replication on {} has no row for {}", primary_, standby->name));
  }
  m.receive_lag_bytes = m.primary_lsn.value == 0 ? 0 : lsn_diff(m.primary_lsn, m.receive_lsn);
  m.replay_lag_bytes = m.primary_lsn.value == 0 ? 0 : lsn_diff(m.primary_lsn, m.replay_lsn);
  for (const auto& tx : h_.transactions) {
    if (!is_committed(tx)) continue;
    // Presence by label where both nodes answer; else by LSN against what the standby replayed.
    const bool missing = sl.ok && pl.ok ? on_primary.count(tx.label) != 0 && on_standby.count(tx.label) == 0
                                        : tx.commit_lsn > m.replay_lsn;
    if (!missing) continue;
    ++m.transactions;
    // A failover loses what the standby has not received: promotion replays everything it has
    // (docs/model.md, "Lag"), also what a replay pause or an apply delay holds back.
    const bool received = m.receive_lsn.value != 0 && tx.commit_lsn <= m.receive_lsn;
    if (tx.outcomes[0] == TxOutcome::kAcknowledged && !received) m.at_risk.push_back(tx.label);
  }
  m.failover_loses_data = !m.at_risk.empty();
  note(fmt::format("lag {} of {}: {} bytes received behind, {} bytes replayed behind, {} commits not replayed", name,
                   standby->name, m.receive_lag_bytes, m.replay_lag_bytes, m.transactions));
  h_.lags.push_back(std::move(m));
}

}  // namespace replsim::harness
