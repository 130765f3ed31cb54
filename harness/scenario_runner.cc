#include "harness/scenario_runner.h"

#include <signal.h>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "harness/cluster.h"
#include "harness/interrupt.h"
#include "harness/pg_connection.h"
#include "vocab/dataset.h"

namespace replsim::harness {
namespace {

using Clock = std::chrono::steady_clock;
using EventType = HistoryEvent::Type;

constexpr const char* kCancelWarning = "canceling wait for synchronous replication";
constexpr const char* kNotReached = "recovery ended before configured recovery target was reached";

int64_t wall_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Lsn parse_lsn(const PgReply& r, size_t row, size_t col) {
  if (r.null_at(row, col)) return Lsn{};
  return Lsn::parse(r.at(row, col)).value_or(Lsn{});
}

// The first log line holding `needle`, or "".
std::string log_line_with(const std::string& path, const std::string& needle) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line))
    if (line.find(needle) != std::string::npos) return line;
  return "";
}

bool is_committed(const TxRecord& tx) {
  return !tx.outcomes.empty() && tx.outcomes[0] != TxOutcome::kFailed;
}

// A commit waiting for its result (blocked on synchronous replication, usually).
struct Pending {
  size_t tx = 0;  // Index into History::transactions.
  std::unique_ptr<PgConnection> conn;
};

struct Mark {
  std::string time;  // The primary's clock_timestamp(), as text with its offset.
  Lsn lsn;
};

class Runner {
 public:
  Runner(const Scenario& s, const HarnessOptions& o, Cluster& c) : sc_(s), opt_(o), c_(c) {
    h_.scenario = s.name;
    h_.file = s.file;
    h_.source = "postgresql";
  }

  Status setup();
  Status checkpoint_after_setup();
  Status run_steps();
  void finish();
  History take() { return std::move(h_); }

 private:
  int64_t now_us() const {
    return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start_).count();
  }
  HistoryEvent& event(EventType type, std::string process, std::string node, std::string label,
                      std::string detail = "") {
    HistoryEvent e;
    e.type = type;
    e.time_us = now_us();
    e.process = std::move(process);
    e.node = std::move(node);
    e.label = std::move(label);
    e.detail = std::move(detail);
    h_.events.push_back(std::move(e));
    return h_.events.back();
  }
  void note(std::string text) { notes_.push_back(std::move(text)); }
  ClusterNode* node_or_primary(const std::string& name) { return c_.node(name.empty() ? primary_ : name); }
  bool queryable(ClusterNode* n) { return n != nullptr && n->server->running() && !n->server->paused(); }
  PgConnection* observer(ClusterNode* n);
  PgReply observe(ClusterNode* n, const std::string& sql, const std::vector<std::string>& params = {});
  TxRecord* find_tx(const std::string& label);

  Status run_step(const Step& st, int index);
  void do_write(const Step& st, int index);
  Result<std::string> write_sql(const Step& st, std::vector<std::string>* params) const;
  void resolve(Pending& p, const PgReply& reply);
  void fill_commit_info(TxRecord& tx, ClusterNode* n, PgConnection* conn);
  void poll_pending();
  void do_cancel(const Step& st);
  void do_catchup(const Step& st);
  void do_check_lag(const Step& st);
  void measure_lag(const std::string& name, ClusterNode* standby);
  void do_switch_wal(const Step& st);
  void wait_archive_failed(ClusterNode* n, const std::string& segment, int64_t failed_before);
  void wait_archive_caught_up();
  Status do_checkpoint(const Step& st);
  Status do_naive_copy(const Step& st);
  Status do_archive_fault(const Step& st);
  void do_restore(const Step& st);
  void refused_to_start(const Step& st, const Status& why);
  void do_restore_copy(const Step& st, const std::string& copy_dir);
  Status wait_restored(ClusterNode* n, RecoveryTarget::Action action);
  Status fault(const Step& st, int index);
  void record_positions(int index, const Step& st);
  NodeFinal final_state(ClusterNode* n);

  const Scenario& sc_;
  const HarnessOptions& opt_;
  Cluster& c_;
  History h_;
  const Dataset* dataset_ = nullptr;
  std::string primary_;
  Clock::time_point start_ = Clock::now();
  int64_t start_wall_us_ = wall_us();
  std::vector<Pending> pending_;
  std::map<std::string, std::unique_ptr<PgConnection>> observers_;
  std::map<std::string, TimelineId> timelines_;
  std::map<std::string, Mark> marks_;
  std::map<std::string, std::string> backups_;
  std::map<std::string, std::string> copies_;  // Naive copy name -> its directory.
  std::vector<std::string> notes_;  // Notes of the step in progress.
};

Status Runner::setup() {
  dataset_ = find_dataset(sc_.cluster.dataset);
  if (dataset_ == nullptr) return Status::InvalidInput(fmt::format("unknown data set '{}'", sc_.cluster.dataset));
  if (sc_.cluster.nodes.empty()) return Status::InvalidInput("the scenario names no nodes");
  primary_ = sc_.cluster.nodes[0].name;
  if (Status s = c_.init_primary(primary_); !s.ok()) return s;
  // The data set goes in before the standbys are cloned, so every node starts equal.
  if (Status s = c_.load_dataset(primary_, *dataset_); !s.ok()) return s;
  for (size_t i = 1; i < sc_.cluster.nodes.size(); ++i) {
    if (Status s = c_.add_standby(sc_.cluster.nodes[i], primary_); !s.ok()) return s;
  }
  for (size_t i = 1; i < sc_.cluster.nodes.size(); ++i) {
    if (Status s = c_.wait_streaming(sc_.cluster.nodes[i].name, opt_.ready_timeout_ms); !s.ok()) return s;
  }
  if (Status s = checkpoint_after_setup(); !s.ok()) return s;
  start_ = Clock::now();
  start_wall_us_ = wall_us();
  return Status::Ok();
}

// Every scenario starts from a checkpoint taken after the data set: its data files then hold
// the data set whether or not a standby's pg_basebackup checkpointed, which is what a naive
// copy's model starts from (docs/harness.md "Data files and checkpoints"). The standbys replay
// it before the first step, so no step sees it as lag.
Status Runner::checkpoint_after_setup() {
  auto conn = c_.connect(*c_.node(primary_));
  if (!conn.ok()) return conn.status();
  PgReply r = (*conn)->exec("CHECKPOINT", {}, opt_.statement_timeout_ms);
  if (r.ok) r = (*conn)->exec("SELECT pg_current_wal_flush_lsn()::text");
  if (!r.ok) return r.status();
  const Lsn checkpointed = parse_lsn(r, 0, 0);
  const auto deadline = Clock::now() + std::chrono::milliseconds(opt_.ready_timeout_ms);
  for (size_t i = 1; i < sc_.cluster.nodes.size(); ++i) {
    ClusterNode* standby = c_.node(sc_.cluster.nodes[i].name);
    for (int sleep_us = 500;; sleep_us = std::min(sleep_us * 2, 10000)) {
      PgReply replayed = observe(standby, "SELECT pg_last_wal_replay_lsn()::text");
      if (replayed.ok && parse_lsn(replayed, 0, 0) >= checkpointed) break;
      if (interrupted()) return Status::Interrupted("interrupted");
      if (Clock::now() > deadline) {
        return Status::Timeout(fmt::format("{} did not replay the setup checkpoint in {} ms", standby->name,
                                           opt_.ready_timeout_ms));
      }
      std::this_thread::sleep_for(std::chrono::microseconds(sleep_us));
    }
  }
  return Status::Ok();
}

PgConnection* Runner::observer(ClusterNode* n) {
  if (!queryable(n)) return nullptr;
  auto& conn = observers_[n->name];
  if (conn && (conn->broken() || conn->busy())) conn.reset();
  if (!conn) {
    auto r = c_.connect(*n, 1000);
    if (!r.ok()) return nullptr;
    conn = std::move(*r);
  }
  return conn.get();
}

PgReply Runner::observe(ClusterNode* n, const std::string& sql, const std::vector<std::string>& params) {
  PgConnection* conn = observer(n);
  if (conn == nullptr) {
    PgReply r;
    r.error = n == nullptr ? "no such node" : fmt::format("{} is {}", n->name, n->state);
    return r;
  }
  PgReply r = conn->exec(sql, params, 2000);
  if (!r.ok && (r.timed_out || r.connection_lost)) observers_.erase(n->name);
  return r;
}

TxRecord* Runner::find_tx(const std::string& label) {
  for (auto& t : h_.transactions)
    if (t.label == label) return &t;
  return nullptr;
}

Status Runner::run_steps() {
  for (size_t i = 0; i < sc_.steps.size(); ++i) {
    if (interrupted()) break;
    const Step& st = sc_.steps[i];
    notes_.clear();
    if (opt_.progress) opt_.progress(fmt::format("step {}: {}", i, st.text.empty() ? to_string(st.kind) : st.text));
    if (Status s = run_step(st, static_cast<int>(i)); !s.ok()) {
      note(fmt::format("{} failed: {}", st.text.empty() ? to_string(st.kind) : st.text, s.message()));
    }
    poll_pending();
    record_positions(static_cast<int>(i), st);
  }
  if (interrupted()) {
    const int sig = interrupt_signal();
    return Status::Interrupted(fmt::format("interrupted by {}; every server stopped", sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "a signal"));
  }
  return Status::Ok();
}

Status Runner::run_step(const Step& st, int index) {
  switch (st.kind) {
    case StepKind::kInsert:
    case StepKind::kUpdate:
    case StepKind::kDelete:
    case StepKind::kTruncate:
      do_write(st, index);
      return Status::Ok();
    case StepKind::kMark: {
      ClusterNode* n = node_or_primary(st.node);
      PgReply r = observe(n, "SELECT clock_timestamp()::text, CASE WHEN pg_is_in_recovery() THEN "
                             "pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END::text");
      if (!r.ok) return r.status();
      marks_[st.name] = Mark{r.at(0, 0), parse_lsn(r, 0, 1)};
      note(fmt::format("mark {} at {} ({})", st.name, r.at(0, 0), marks_[st.name].lsn.to_string()));
      return Status::Ok();
    }
    case StepKind::kCatchup:
      do_catchup(st);
      return Status::Ok();
    case StepKind::kWait: {
      const auto until = Clock::now() + std::chrono::milliseconds(st.duration_ms);
      while (Clock::now() < until && !interrupted()) {
        poll_pending();
        std::this_thread::sleep_for(std::min<Clock::duration>(until - Clock::now(), std::chrono::milliseconds(10)));
      }
      return Status::Ok();
    }
    case StepKind::kCheckLag:
      do_check_lag(st);
      return Status::Ok();
    case StepKind::kCancel:
      do_cancel(st);
      return Status::Ok();
    case StepKind::kPromote: {
      event(EventType::kFault, "operator", st.node, fmt::format("promote {}", st.node));
      Status s = c_.promote(st.node);
      if (s.ok()) primary_ = st.node;
      return s;
    }
    case StepKind::kBaseBackup: {
      ClusterNode* n = node_or_primary(st.node);
      event(EventType::kFault, "operator", n->name, fmt::format("base_backup {}", st.name));
      auto dir = c_.base_backup(n->name);
      if (!dir.ok()) return dir.status();
      backups_[st.name] = *dir;
      return Status::Ok();
    }
    case StepKind::kSwitchWal:
      do_switch_wal(st);
      return Status::Ok();
    case StepKind::kRestorePoint: {
      ClusterNode* n = node_or_primary(st.node);
      event(EventType::kFault, "operator", n->name, fmt::format("restore_point {}", st.name));
      PgReply r = observe(n, "SELECT pg_create_restore_point($1)::text", {st.name});
      if (!r.ok) return r.status();
      marks_[st.name].lsn = parse_lsn(r, 0, 0);
      note(fmt::format("restore point {} at {}", st.name, r.at(0, 0)));
      return Status::Ok();
    }
    case StepKind::kRestore:
      do_restore(st);
      return Status::Ok();
    case StepKind::kCheckpoint:
      return do_checkpoint(st);
    case StepKind::kNaiveCopy:
      return do_naive_copy(st);
    case StepKind::kBreakArchive:
    case StepKind::kRepairArchive:
      return do_archive_fault(st);
    default:
      return fault(st, index);
  }
}

Status Runner::fault(const Step& st, int /*index*/) {
  ClusterNode* n = c_.node(st.node);
  if (n == nullptr && !(st.kind == StepKind::kHeal && st.node.empty())) {
    return Status::InvalidInput(fmt::format("no node '{}'", st.node));
  }
  const std::string what = fmt::format("{} {}", to_string(st.kind), st.node.empty() ? "all" : st.node);
  event(EventType::kFault, "nemesis", st.node, what);
  switch (st.kind) {
    case StepKind::kPause: return c_.pause(st.node);
    case StepKind::kResume: return c_.resume(st.node);
    case StepKind::kPartition: c_.partition(st.node, st.direction); return Status::Ok();
    case StepKind::kHeal: c_.heal(st.node); return Status::Ok();
    case StepKind::kCrash: return c_.crash(st.node);
    case StepKind::kStop: return c_.stop(st.node);
    case StepKind::kStart: return c_.start(st.node);
    case StepKind::kWipe: return c_.wipe(st.node);
    case StepKind::kStallDisk: return c_.stall_disk(st.node);
    case StepKind::kOsCrash: {
      Status s = c_.os_crash(st.node);
      if (s.ok()) note(fmt::format("{}'s operating system crashed: lost {}", st.node, n->lost_writes.describe()));
      return s;
    }
    default: return Status::InvalidInput(fmt::format("step {} not supported", to_string(st.kind)));
  }
}

Result<std::string> Runner::write_sql(const Step& st, std::vector<std::string>* params) const {
  // Identifiers come from the data set's TableSpec, never from the scenario's text.
  const TableSpec* t = dataset_->find_table(st.table);
  if (t == nullptr) return Status::InvalidInput(fmt::format("unknown table '{}'", st.table));
  auto column = [&](const std::string& name) -> const ColumnSpec* { return t->find_column(name); };
  std::vector<std::string> sets, conds;
  for (const auto& [col, value] : st.values) {
    const ColumnSpec* c = column(col);
    if (c == nullptr) return Status::InvalidInput(fmt::format("unknown column {}.{}", t->name, col));
    params->push_back(value);
    sets.push_back(c->name);
  }
  for (const auto& [col, value] : st.where) {
    const ColumnSpec* c = column(col);
    if (c == nullptr) return Status::InvalidInput(fmt::format("unknown column {}.{}", t->name, col));
    params->push_back(value);
    conds.push_back(fmt::format("{} = ${}", c->name, params->size()));
  }
  const std::string where = conds.empty() ? "" : fmt::format(" WHERE {}", fmt::join(conds, " AND "));
  switch (st.kind) {
    case StepKind::kInsert: {
      std::vector<std::string> ph;
      for (size_t i = 1; i <= sets.size(); ++i) ph.push_back(fmt::format("${}", i));
      return fmt::format("INSERT INTO {} ({}) VALUES ({})", t->name, fmt::join(sets, ", "), fmt::join(ph, ", "));
    }
    case StepKind::kUpdate: {
      std::vector<std::string> assigns;
      for (size_t i = 0; i < sets.size(); ++i) assigns.push_back(fmt::format("{} = ${}", sets[i], i + 1));
      return fmt::format("UPDATE {} SET {}{}", t->name, fmt::join(assigns, ", "), where);
    }
    case StepKind::kDelete: return fmt::format("DELETE FROM {}{}", t->name, where);
    default: return fmt::format("TRUNCATE {}{}", t->name, st.cascade ? " CASCADE" : "");
  }
}

void Runner::do_write(const Step& st, int index) {
  ClusterNode* n = node_or_primary(st.node);
  const std::string process = fmt::format("client-{}", index);
  TxRecord tx;
  tx.label = st.label;
  tx.step = index;
  tx.node = n != nullptr ? n->name : st.node;
  tx.timeline = timelines_[tx.node] == 0 ? 1 : timelines_[tx.node];
  event(EventType::kInvoke, process, tx.node, st.label, st.text);
  auto fail = [&](const std::string& why, bool in_doubt = false) {
    tx.outcomes = {in_doubt ? TxOutcome::kInDoubt : TxOutcome::kFailed};
    tx.detail = why;
    event(in_doubt ? EventType::kInfo : EventType::kFail, process, tx.node, st.label, why);
    h_.transactions.push_back(tx);
  };
  std::vector<std::string> params;
  auto sql = write_sql(st, &params);
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
  if (!r.ok) return fail(r.error);
  tx.xid = static_cast<Xid>(std::stoul(r.at(0, 0)));
  h_.transactions.push_back(tx);
  Pending p{h_.transactions.size() - 1, std::move(*conn)};
  if (Status s = p.conn->send("COMMIT"); !s.ok()) {
    resolve(p, PgReply{false, s.message(), "", true, false, {}});
    return;
  }
  PgReply reply = p.conn->wait(opt_.block_after_ms);
  if (reply.timed_out) {
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
    return;
  }
  resolve(p, reply);
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
  tx.commit_lsn = parse_lsn(r, 0, 0);
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

void Runner::do_cancel(const Step& st) {
  auto it = std::find_if(pending_.begin(), pending_.end(),
                         [&](const Pending& p) { return h_.transactions[p.tx].label == st.label; });
  event(EventType::kFault, "operator", "", fmt::format("cancel {}", st.label));
  if (it == pending_.end()) {
    note(fmt::format("cancel {}: no commit of it is waiting", st.label));
    return;
  }
  // A client-side cancel: statement_timeout does not end a sync-rep wait (pg-facts.md).
  if (Status s = it->conn->cancel(); !s.ok()) note(fmt::format("cancel {}: {}", st.label, s.message()));
  PgReply r = it->conn->wait(5000);
  if (r.timed_out) {
    note(fmt::format("cancel {}: the commit is still waiting", st.label));
    return;
  }
  resolve(*it, r);
  pending_.erase(it);
}

void Runner::do_catchup(const Step& st) {
  ClusterNode* primary = c_.node(primary_);
  if (!queryable(primary)) {
    note(fmt::format("catchup: the primary {} is {}", primary_, primary == nullptr ? "gone" : primary->state));
    return;
  }
  std::vector<ClusterNode*> standbys;
  for (ClusterNode* n : c_.nodes()) {
    // Without a node: the standbys streaming from the current primary over a working link (a
    // cut-off standby, or one following a primary that is gone, cannot catch up: the simulator's
    // rule too). A named standby is waited for whatever its state; a primary has nothing to do.
    const bool streaming_here = n->state == "standby" && !n->link.empty() && n->upstream == primary_ && !c_.partitioned(n->name);
    if (st.node.empty() ? streaming_here : (n->name == st.node && n->state != "primary" && n->state != "restoring"))
      standbys.push_back(n);
  }
  const auto deadline = Clock::now() + std::chrono::milliseconds(opt_.catchup_timeout_ms);
  for (ClusterNode* s : standbys) {
    for (int sleep_us = 500;; sleep_us = std::min(sleep_us * 2, 10000)) {
      PgReply p = observe(primary, "SELECT pg_current_wal_flush_lsn()::text");
      PgReply r = observe(s, "SELECT pg_last_wal_replay_lsn()::text");
      if (p.ok && r.ok && parse_lsn(r, 0, 0) >= parse_lsn(p, 0, 0)) break;
      if (interrupted()) return;
      if (Clock::now() > deadline) {
        s->error = "cannot_catch_up";
        s->error_detail = fmt::format("replay at {} after {} ms; primary flushed {}",
                                      r.ok ? r.at(0, 0) : r.error, opt_.catchup_timeout_ms, p.ok ? p.at(0, 0) : p.error);
        note(fmt::format("{} cannot catch up: {}", s->name, s->error_detail));
        break;
      }
      poll_pending();
      std::this_thread::sleep_for(std::chrono::microseconds(sleep_us));
    }
  }
}

void Runner::do_check_lag(const Step& st) {
  for (ClusterNode* n : c_.nodes()) {
    if (st.node.empty() ? !n->link.empty() && n->name != primary_ : n->name == st.node) measure_lag(st.name, n);
  }
}

void Runner::measure_lag(const std::string& name, ClusterNode* standby) {
  // The seed's checkReplicationLag slept 5 s and compared the primary's LSN with the
  // replayed one only; here both received and replayed positions are read at one instant.
  LagMeasure m;
  m.name = name;
  m.standby = standby->name;
  ClusterNode* primary = c_.node(primary_);
  PgReply p = observe(primary, "SELECT pg_current_wal_lsn()::text");
  if (p.ok) m.primary_lsn = parse_lsn(p, 0, 0);
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
    m.receive_lsn = parse_lsn(s, 0, 0);
    m.replay_lsn = parse_lsn(s, 0, 1);
  } else if (rep.ok && !rep.rows.empty()) {
    // The standby cannot answer (paused, down): the primary's view of what it flushed.
    m.receive_lsn = parse_lsn(rep, 0, 0);
    m.replay_lsn = parse_lsn(rep, 0, 1);
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
    if (tx.outcomes[0] == TxOutcome::kAcknowledged) m.at_risk.push_back(tx.label);
  }
  m.failover_loses_data = !m.at_risk.empty();
  note(fmt::format("lag {} of {}: {} bytes received behind, {} bytes replayed behind, {} commits not replayed",
                   name, standby->name, m.receive_lag_bytes, m.replay_lag_bytes, m.transactions));
  h_.lags.push_back(std::move(m));
}

void Runner::do_switch_wal(const Step& st) {
  ClusterNode* n = node_or_primary(st.node);
  event(EventType::kFault, "operator", n->name, "switch_wal");
  int64_t failed_before = 0;
  if (sc_.cluster.archive_mode && c_.archive_broken()) {
    PgReply f = observe(n, "SELECT failed_count::text FROM pg_stat_archiver");
    if (f.ok) failed_before = std::stoll(f.at(0, 0));
  }
  PgReply r = observe(n, "SELECT pg_walfile_name(pg_switch_wal())");
  if (!r.ok) {
    note(fmt::format("switch_wal: {}", r.error));
    return;
  }
  const std::string segment = r.at(0, 0);
  if (!sc_.cluster.archive_mode) return;
  if (c_.archive_broken()) return wait_archive_failed(n, segment, failed_before);
  // The archiver copies the finished segment asynchronously: wait until it has, so a
  // restore after this step finds it (the partial-segment pitfall is the step's absence).
  const auto deadline = Clock::now() + std::chrono::milliseconds(opt_.catchup_timeout_ms);
  for (int sleep_us = 500; Clock::now() < deadline && !interrupted(); sleep_us = std::min(sleep_us * 2, 10000)) {
    PgReply a = observe(n, "SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver");
    if (a.ok && a.at(0, 0).size() == segment.size() && a.at(0, 0) >= segment) {
      note(fmt::format("segment {} archived", segment));
      return;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(sleep_us));
  }
  note(fmt::format("switch_wal: segment {} not archived in time", segment));
}

// The archive is broken: the segment cannot be archived. Waits until the archiver has tried
// and failed again (pg_stat_archiver.failed_count grows), so the History shows the failure
// rather than a timeout. A failing archiver retries 3 times a second apart, then sleeps until
// a segment is finished, which pg_switch_wal() just did: the failure follows within ~1 s.
void Runner::wait_archive_failed(ClusterNode* n, const std::string& segment, int64_t failed_before) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(opt_.catchup_timeout_ms);
  for (int sleep_us = 500; Clock::now() < deadline && !interrupted(); sleep_us = std::min(sleep_us * 2, 10000)) {
    PgReply a = observe(n, "SELECT failed_count::text, coalesce(last_failed_wal, ''), coalesce(last_archived_wal, '') "
                           "FROM pg_stat_archiver");
    if (a.ok && std::stoll(a.at(0, 0)) > failed_before) {
      note(fmt::format("segment {} not archived: archive_command failed (pg_stat_archiver failed_count {} -> {}, "
                       "last_failed_wal {}, last_archived_wal {})",
                       segment, failed_before, a.at(0, 0), a.at(0, 1), a.at(0, 2).empty() ? "-" : a.at(0, 2)));
      return;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(sleep_us));
  }
  note(fmt::format("switch_wal: segment {} not archived, and no archiver failure seen in time", segment));
}

Status Runner::do_checkpoint(const Step& st) {
  ClusterNode* n = node_or_primary(st.node);
  if (n == nullptr) return Status::InvalidInput(fmt::format("no node '{}'", st.node));
  const size_t at = h_.events.size();
  event(EventType::kFault, "operator", n->name, "checkpoint");
  PgConnection* conn = observer(n);
  if (conn == nullptr) return Status::Failed(fmt::format("{} is {}", n->name, n->state));
  PgReply r = conn->exec("CHECKPOINT", {}, opt_.statement_timeout_ms);
  // pg_control_checkpoint() reads global/pg_control from disk: what a copy of it would hold.
  if (r.ok) r = conn->exec("SELECT redo_lsn::text, checkpoint_lsn::text FROM pg_control_checkpoint()");
  if (!r.ok) return r.status();
  h_.events[at].lsn = parse_lsn(r, 0, 0);
  note(fmt::format("checkpoint on {}: redo at {}, checkpoint record at {}", n->name, r.at(0, 0), r.at(0, 1)));
  return Status::Ok();
}

Status Runner::do_naive_copy(const Step& st) {
  ClusterNode* n = node_or_primary(st.node);
  if (n == nullptr) return Status::InvalidInput(fmt::format("no node '{}'", st.node));
  const std::vector<std::string>& parts = st.files.empty() ? naive_copy_parts() : st.files;
  const size_t at = h_.events.size();
  event(EventType::kFault, "operator", n->name, fmt::format("naive_copy {}: {}", st.name, fmt::join(parts, ", ")));
  // The moment these parts come from: the source's WAL position and the checkpoint its
  // pg_control names on disk.
  PgReply r = observe(n, "SELECT pg_current_wal_insert_lsn()::text, redo_lsn::text, checkpoint_lsn::text "
                         "FROM pg_control_checkpoint()");
  auto copy = copies_.find(st.name);
  auto dir = c_.naive_copy(n->name, copy == copies_.end() ? "" : copy->second, parts);
  if (!dir.ok()) return dir.status();
  copies_[st.name] = *dir;
  if (r.ok) {
    h_.events[at].lsn = parse_lsn(r, 0, 0);
    note(fmt::format("naive copy {}: {} of {} copied at insert LSN {} (pg_control names the checkpoint at {}, "
                     "redo {})",
                     st.name, fmt::join(parts, ", "), n->name, r.at(0, 0), r.at(0, 2), r.at(0, 1)));
  }
  return Status::Ok();
}

Status Runner::do_archive_fault(const Step& st) {
  const bool breaking = st.kind == StepKind::kBreakArchive;
  event(EventType::kFault, "nemesis", "", to_string(st.kind));
  if (!sc_.cluster.archive_mode) return Status::InvalidInput(fmt::format("{} needs archive_mode", to_string(st.kind)));
  if (breaking) {
    if (Status s = c_.break_archive(); !s.ok()) return s;
    note("archive directory made read-only: archive_command's cp fails with Permission denied");
    return Status::Ok();
  }
  if (Status s = c_.repair_archive(); !s.ok()) return s;
  wait_archive_caught_up();
  return Status::Ok();
}

// After a repair: an archiver that gave up sleeps until a new segment is finished or 60 s
// pass, and a configuration reload (SIGHUP) wakes it at once without writing any WAL. Then
// waits until no segment awaits archiving (no .ready file in pg_wal/archive_status) on every
// running primary that archives.
void Runner::wait_archive_caught_up() {
  const auto deadline = Clock::now() + std::chrono::milliseconds(opt_.catchup_timeout_ms);
  const std::string pending_sql =
      "SELECT current_setting('archive_mode') <> 'off' AND NOT pg_is_in_recovery(), "
      "(SELECT count(*) FROM pg_ls_archive_statusdir() WHERE name LIKE '%.ready')::text, "
      "(SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver)";
  for (ClusterNode* n : c_.nodes()) {
    PgReply r = observe(n, pending_sql);
    if (!r.ok || r.at(0, 0) != "t") continue;
    (void)observe(n, "SELECT pg_reload_conf()");
    for (int sleep_us = 500;; sleep_us = std::min(sleep_us * 2, 10000)) {
      r = observe(n, pending_sql);
      if (r.ok && r.at(0, 1) == "0") {
        note(fmt::format("archive repaired: nothing left to archive on {} (last_archived_wal {})", n->name,
                         r.at(0, 2)));
        break;
      }
      if (interrupted()) return;
      if (Clock::now() > deadline) {
        note(fmt::format("archive repaired, but {} still has {} segments to archive after {} ms", n->name,
                         r.ok ? r.at(0, 1) : r.error, opt_.catchup_timeout_ms));
        break;
      }
      std::this_thread::sleep_for(std::chrono::microseconds(sleep_us));
    }
  }
}

void Runner::do_restore(const Step& st) {
  event(EventType::kFault, "operator", st.node, fmt::format("restore {} from {}", st.node, st.backup));
  if (auto copy = copies_.find(st.backup); copy != copies_.end()) return do_restore_copy(st, copy->second);
  auto b = backups_.find(st.backup);
  if (b == backups_.end()) {
    note(fmt::format("restore: no base backup named {}", st.backup));
    return;
  }
  const RecoveryTarget& t = st.target;
  std::vector<std::pair<std::string, std::string>> conf;
  auto lsn_of = [&](const std::string& ref) -> std::string {
    if (auto m = marks_.find(ref); m != marks_.end()) return m->second.lsn.to_string();
    if (TxRecord* tx = find_tx(ref)) return tx->commit_lsn.to_string();
    return "";
  };
  std::string value;
  switch (t.kind) {
    case RecoveryTarget::Kind::kNone: break;
    case RecoveryTarget::Kind::kImmediate: conf.emplace_back("recovery_target", "immediate"); break;
    case RecoveryTarget::Kind::kTime:
      if (auto m = marks_.find(t.ref); m != marks_.end() && !m->second.time.empty()) value = m->second.time;
      conf.emplace_back("recovery_target_time", value);
      break;
    case RecoveryTarget::Kind::kXid:
      if (TxRecord* tx = find_tx(t.ref); tx != nullptr && tx->xid != 0) value = std::to_string(tx->xid);
      conf.emplace_back("recovery_target_xid", value);
      break;
    case RecoveryTarget::Kind::kLsn:
      value = lsn_of(t.ref);
      conf.emplace_back("recovery_target_lsn", value);
      break;
    case RecoveryTarget::Kind::kName:
      value = t.ref;
      conf.emplace_back("recovery_target_name", value);
      break;
  }
  if (t.kind != RecoveryTarget::Kind::kNone && t.kind != RecoveryTarget::Kind::kImmediate && value.empty()) {
    note(fmt::format("restore {}: target '{}' names no mark, transaction or restore point", st.node, t.ref));
    return;
  }
  if (t.kind != RecoveryTarget::Kind::kNone && t.kind != RecoveryTarget::Kind::kImmediate) {
    conf.emplace_back("recovery_target_inclusive", t.inclusive ? "on" : "off");
  }
  const char* action = t.action == RecoveryTarget::Action::kPause     ? "pause"
                       : t.action == RecoveryTarget::Action::kPromote ? "promote"
                                                                      : "shutdown";
  conf.emplace_back("recovery_target_action", action);
  conf.emplace_back("recovery_target_timeline", t.timeline);
  auto n = c_.restore(st.node, b->second, conf);
  if (!n.ok()) return refused_to_start(st, n.status());
  Status s = wait_restored(*n, t.action);
  if (!s.ok()) note(fmt::format("restore {}: {}", st.node, s.message()));
}

// The restored server did not come up: its node ends stopped, with the server's words.
void Runner::refused_to_start(const Step& st, const Status& why) {
  note(fmt::format("restore {}: {}", st.node, why.message()));
  if (ClusterNode* made = c_.node(st.node)) {
    made->error = "refuses_to_start";
    made->error_detail = why.message();
    made->state = "stopped";
  }
}

// A naive copy is started as it is: crash recovery from the checkpoint its pg_control names.
// PostgreSQL either comes up as a primary or refuses (Cluster::restore_copy records which);
// either way its own startup lines go into the timeline, for the model to be checked against.
void Runner::do_restore_copy(const Step& st, const std::string& copy_dir) {
  auto n = c_.restore_copy(st.node, copy_dir);
  if (!n.ok()) return refused_to_start(st, n.status());
  for (const std::string& line : (*n)->server->log_since_start(40)) {
    if (line.find("starting PostgreSQL") != std::string::npos || line.find("listening on") != std::string::npos) {
      continue;
    }
    note(line);
  }
}

Status Runner::wait_restored(ClusterNode* n, RecoveryTarget::Action action) {
  // Ready means recovery ended as asked, not "accepts connections" (pg_ctl -w returns as
  // soon as a hot standby does, long before the target): promoted, paused, or shut down.
  const auto deadline = Clock::now() + std::chrono::milliseconds(opt_.restore_timeout_ms);
  for (int sleep_us = 1000;; sleep_us = std::min(sleep_us * 2, 10000)) {
    if (!n->server->running()) {
      const std::string not_reached = log_line_with(n->log_path, kNotReached);
      const std::string stopping = log_line_with(n->log_path, "recovery stopping");
      n->state = "stopped";
      if (!not_reached.empty()) {
        n->error = "recovery_target_not_reached";
        n->error_detail = not_reached;
        note(fmt::format("{}: {}", n->name, not_reached));
        return Status::Ok();
      }
      if (action == RecoveryTarget::Action::kShutdown && !stopping.empty()) {
        note(fmt::format("{}: {}; shut down as asked", n->name, stopping));
        return Status::Ok();
      }
      n->error = "refuses_to_start";
      n->error_detail = n->server->log_tail(10);
      return Status::Failed(fmt::format("exited during recovery:\n{}", n->error_detail));
    }
    if (action != RecoveryTarget::Action::kShutdown) {
      PgReply r = observe(n, "SELECT pg_is_in_recovery(), CASE WHEN pg_is_in_recovery() THEN "
                             "pg_get_wal_replay_pause_state() END");
      if (r.ok && r.at(0, 0) == "f") {
        n->state = "primary";
        if (const std::string l = log_line_with(n->log_path, "recovery stopping"); !l.empty()) note(l);
        return Status::Ok();
      }
      if (r.ok && action == RecoveryTarget::Action::kPause && !r.null_at(0, 1) && r.at(0, 1) == "paused") {
        n->state = "restoring";
        if (const std::string l = log_line_with(n->log_path, "recovery stopping"); !l.empty()) note(l);
        return Status::Ok();
      }
    }
    if (interrupted()) return Status::Interrupted("interrupted");
    if (Clock::now() > deadline) {
      return Status::Timeout(fmt::format("recovery of {} did not end within {} ms", n->name, opt_.restore_timeout_ms));
    }
    std::this_thread::sleep_for(std::chrono::microseconds(sleep_us));
  }
}

void Runner::record_positions(int index, const Step& st) {
  TimelineEntry e;
  e.step = index;
  e.time_us = now_us();
  e.text = st.text.empty() ? to_string(st.kind) : st.text;
  std::map<std::string, std::string> sync_states;
  PgReply rep = observe(c_.node(primary_), "SELECT application_name, sync_state FROM pg_stat_replication");
  for (const auto& row : rep.rows) sync_states[row[0].value_or("")] = row[1].value_or("");
  for (ClusterNode* n : c_.nodes()) {
    NodePosition p;
    p.node = n->name;
    p.state = n->state;
    p.sync_state = sync_states.count(n->name) ? sync_states[n->name] : "";
    PgReply r = observe(
        n,
        "SELECT pg_is_in_recovery(), "
        "CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_insert_lsn()::text END, "
        "CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_flush_lsn()::text END, "
        "pg_last_wal_receive_lsn()::text, pg_last_wal_replay_lsn()::text, "
        "CASE WHEN pg_is_in_recovery() THEN (SELECT timeline_id FROM pg_control_checkpoint()) "
        "ELSE ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int END::text");
    if (r.ok && !r.rows.empty()) {
      p.insert_lsn = parse_lsn(r, 0, 1);
      p.flush_lsn = parse_lsn(r, 0, 2);
      p.write_lsn = parse_lsn(r, 0, 3);
      p.replay_lsn = parse_lsn(r, 0, 4);
      if (!r.null_at(0, 5)) p.timeline = static_cast<TimelineId>(std::stoul(r.at(0, 5)));
      timelines_[n->name] = p.timeline;
    } else {
      p.timeline = timelines_[n->name] == 0 ? 1 : timelines_[n->name];
    }
    e.positions.push_back(p);
  }
  e.notes = std::move(notes_);
  notes_.clear();
  h_.timeline.push_back(std::move(e));
}

NodeFinal Runner::final_state(ClusterNode* n) {
  NodeFinal f;
  f.name = n->name;
  f.state = node_state(n->state);
  f.timeline = timelines_[n->name] == 0 ? 1 : timelines_[n->name];
  f.error = n->error;
  f.error_detail = n->error_detail;
  PgReply labels = observe(n, fmt::format("SELECT label FROM {}", kTxMarkerTable));
  if (!labels.ok) return f;  // Not running, paused or refusing: nothing observable.
  std::set<std::string> present;
  for (const auto& row : labels.rows) present.insert(row[0].value_or(""));
  for (const auto& tx : h_.transactions) {
    f.presence[tx.label] = present.count(tx.label) ? Presence::kPresent : Presence::kAbsent;
  }
  for (const auto& t : dataset_->tables) {
    PgReply r = observe(n, fmt::format("SELECT count(*) FROM {}", t.name));
    if (r.ok) f.row_counts[t.name] = std::stoll(r.at(0, 0));
  }
  return f;
}

void Runner::finish() {
  poll_pending();
  for (auto& p : pending_) {
    TxRecord& tx = h_.transactions[p.tx];
    fill_commit_info(tx, c_.node(tx.node), nullptr);
    tx.detail += "; still waiting when the scenario ended";
  }
  for (ClusterNode* n : c_.nodes()) h_.nodes.push_back(final_state(n));
  for (const auto& tx : h_.transactions) {
    for (const auto& f : h_.nodes) {
      auto it = f.presence.find(tx.label);
      if (it == f.presence.end()) continue;
      if (tx.outcomes[0] == TxOutcome::kAcknowledged && it->second == Presence::kAbsent) {
        h_.notes.push_back(fmt::format("{} was acknowledged to the client but is absent on {}", tx.label, f.name));
      } else if (tx.outcomes[0] != TxOutcome::kAcknowledged && it->second == Presence::kPresent) {
        h_.notes.push_back(fmt::format("{} was never acknowledged ({}) yet is present on {}", tx.label,
                                       to_string(tx.outcomes[0]), f.name));
      }
    }
  }
  // Waiting clients are closed now, before the servers stop under them.
  pending_.clear();
  observers_.clear();
}

// Node names become application_name inside primary_conninfo (a conninfo string inside a
// configuration string) and replication slot names: only plain identifiers are safe there.
// The parser enforces this; a Scenario built in C++ is checked here.
bool plain_identifier(const std::string& name) {
  if (name.empty() || name.size() > 63 || !(std::islower(static_cast<unsigned char>(name[0])) || name[0] == '_')) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '_';
  });
}

}  // namespace

Status validate_for_harness(const Scenario& scenario) {
  if (scenario.cluster.nodes.empty()) return Status::InvalidInput("the scenario names no nodes");
  for (const auto& n : scenario.cluster.nodes) {
    if (!plain_identifier(n.name)) {
      return Status::InvalidInput(fmt::format("node name '{}' is not [a-z_][a-z0-9_]*", n.name));
    }
  }
  const std::vector<std::string>& parts = naive_copy_parts();
  for (const auto& st : scenario.steps) {
    if (st.kind == StepKind::kRestore && !plain_identifier(st.node)) {
      return Status::InvalidInput(fmt::format("restored node name '{}' is not [a-z_][a-z0-9_]*", st.node));
    }
    // Parts name directories of the data directory: only the vocabulary's own four.
    for (const auto& part : st.kind == StepKind::kNaiveCopy ? st.files : std::vector<std::string>{}) {
      if (std::find(parts.begin(), parts.end(), part) == parts.end()) {
        return Status::InvalidInput(fmt::format("naive copy part '{}' is not one of {}", part, fmt::join(parts, ", ")));
      }
    }
    if ((st.kind == StepKind::kBreakArchive || st.kind == StepKind::kRepairArchive) && !scenario.cluster.archive_mode) {
      return Status::InvalidInput(fmt::format("{} needs archive_mode: true", to_string(st.kind)));
    }
  }
  if (find_dataset(scenario.cluster.dataset) == nullptr) {
    return Status::InvalidInput(fmt::format("unknown data set '{}'", scenario.cluster.dataset));
  }
  const uint64_t seg = scenario.cluster.wal_segment_size;
  if (seg < (1u << 20) || seg > (1u << 30) || (seg & (seg - 1)) != 0) {
    return Status::InvalidInput("wal_segment_size must be a power of two from 1 MB to 1 GB");
  }
  return Status::Ok();
}

Result<History> run_scenario(const Scenario& scenario, const HarnessOptions& options) {
  if (Status s = validate_for_harness(scenario); !s.ok()) return s;
  InterruptGuard guard;
  reset_interrupt();
  // Disk faults need every server under the disk gate with fsync on (docs/harness.md "Disk
  // stalls and operating-system crashes"); other scenarios keep the faster settings.
  HarnessOptions effective = options;
  effective.disk_faults = options.disk_faults || std::any_of(scenario.steps.begin(), scenario.steps.end(), [](const Step& st) {
    return st.kind == StepKind::kStallDisk || st.kind == StepKind::kOsCrash;
  });
  auto cluster = Cluster::create(effective, scenario.cluster);
  if (!cluster.ok()) return cluster.status();
  Runner runner(scenario, effective, **cluster);
  if (Status s = runner.setup(); !s.ok()) {
    if (interrupted()) return Status::Interrupted(fmt::format("interrupted during setup: {}", s.message()));
    return s;
  }
  if (Status s = runner.run_steps(); !s.ok()) return s;
  runner.finish();
  return runner.take();  // `cluster` goes out of scope: every server stops, the directory goes.
}

}  // namespace replsim::harness
