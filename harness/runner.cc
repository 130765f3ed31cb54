// The run: setup, the step loop, marks and waits, the timeline's positions and every node's
// final state. The step handlers live in replication.cc, faults.cc and recovery.cc, named like
// the simulator's (harness/runner.h).
#include "harness/runner.h"

#include <signal.h>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <thread>

#include "harness/interrupt.h"
#include "vocab/assert.h"
#include "vocab/step_visitor.h"

namespace replsim::harness {
namespace {

int64_t wall_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string step_text(const Step& st) { return st.text.empty() ? to_string(st.kind) : st.text; }

}  // namespace

Runner::Runner(const Scenario& scenario, const HarnessOptions& options, Cluster& cluster)
    : sc_(scenario), opt_(options), c_(cluster), start_wall_us_(wall_us()) {
  h_.scenario = scenario.name;
  h_.file = scenario.file;
  h_.source = "postgresql";
}

Lsn Runner::lsn_at(const PgReply& r, size_t row, size_t col) {
  if (r.null_at(row, col)) return Lsn{};
  return Lsn::parse(r.at(row, col)).value_or(Lsn{});
}

int64_t Runner::now_us() const {
  return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start_).count();
}

HistoryEvent& Runner::event(EventType type, std::string process, std::string node, std::string label,
                            std::string detail) {
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

Status Runner::setup() {
  dataset_ = &sc_.dataset();  // validate_for_harness, run first, refuses an unresolved scenario.
  if (sc_.cluster.nodes.empty()) return Status::InvalidInput("the scenario names no nodes");
  primary_ = sc_.cluster.nodes[0].name;
  if (Status s = c_.init_primary(primary_); !s.ok()) return s;
  // The data set goes in before the standbys are cloned, so every node starts equal.
  if (Status s = c_.load_dataset(primary_, *dataset_); !s.ok()) return s;
  // One standby at a time, each streaming before the next is cloned: a walsender takes the
  // lowest free slot of the primary's WalSnd array (walsender.c, InitWalSenderSlot), and the
  // slot breaks ties of equal priority in synchronous_standby_names (syncrep.c,
  // standby_priority_comparator). Started together, a standby whose walreceiver connected
  // while the next one's pg_basebackup held the low slots came after it, in no fixed order;
  // this way the slots are the scenario's order, as the model has them.
  for (size_t i = 1; i < sc_.cluster.nodes.size(); ++i) {
    if (Status s = c_.add_standby(sc_.cluster.nodes[i], primary_); !s.ok()) return s;
    if (Status s = c_.wait_streaming(sc_.cluster.nodes[i].name, opt_.ready_timeout_ms); !s.ok()) return s;
  }
  if (Status s = checkpoint_after_setup(); !s.ok()) return s;
  start_ = Clock::now();
  start_wall_us_ = wall_us();
  set_up_ = true;
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
  const Lsn checkpointed = lsn_at(r, 0, 0);
  const auto deadline = Clock::now() + std::chrono::milliseconds(opt_.ready_timeout_ms);
  for (size_t i = 1; i < sc_.cluster.nodes.size(); ++i) {
    ClusterNode* standby = c_.node(sc_.cluster.nodes[i].name);
    for (int sleep_us = 500;; sleep_us = std::min(sleep_us * 2, 10000)) {
      PgReply replayed = observe(standby, "SELECT pg_last_wal_replay_lsn()::text");
      if (replayed.ok && lsn_at(replayed, 0, 0) >= checkpointed) break;
      if (interrupted()) return Status::Interrupted("interrupted");
      if (Clock::now() > deadline) {
        return Status::Timeout(
            fmt::format("{} did not replay the setup checkpoint in {} ms", standby->name, opt_.ready_timeout_ms));
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
    r.error = n == nullptr ? "no such node" : fmt::format("{} is {}", n->name, to_string(n->state));
    return r;
  }
  PgReply r = conn->exec(sql, params, 2000);
  if (!r.ok && (r.timed_out || r.connection_lost)) observers_.erase(n->name);
  return r;
}

void Runner::refused(const PgReply& reply, int step) {
  if (reply.ok || reply.sqlstate.empty()) return;
  const int index = step < 0 ? step_index_ : step;
  for (StepResult& r : h_.steps) {
    if (r.step != index) continue;
    r.refused = true;
    r.sqlstate = reply.sqlstate;
    // The primary message: libpq's text is "ERROR:  message", then DETAIL, HINT or LINE lines.
    r.message = reply.error.substr(0, reply.error.find('\n'));
    for (const char* severity : {"ERROR:  ", "FATAL:  "})
      if (r.message.rfind(severity, 0) == 0) r.message.erase(0, std::string(severity).size());
  }
}

TxRecord* Runner::find_tx(const std::string& label) {
  for (auto& t : h_.transactions)
    if (t.label == label) return &t;
  return nullptr;
}

Status Runner::run_steps() {
  REPLSIM_ASSERT(set_up_, "Runner::run_steps before setup() succeeded");
  std::chrono::steady_clock::time_point started;  // When the previous step began.
  for (size_t i = 0; i < sc_.steps.size(); ++i) {
    if (interrupted()) break;
    const Step& st = sc_.steps[i];
    step_index_ = static_cast<int>(i);
    // A load's inserts start at its rate: no sooner than pace_us after the previous step began.
    if (st.pace_us > 0) std::this_thread::sleep_until(started + std::chrono::microseconds(st.pace_us));
    started = std::chrono::steady_clock::now();
    notes_.clear();
    if (opt_.progress) opt_.progress(fmt::format("step {}: {}", i, step_text(st)));
    h_.steps.push_back(StepResult{step_index_, step_text(st), false, "", "", false});
    if (Status s = visit_step(st, *this); !s.ok()) note(fmt::format("{} failed: {}", step_text(st), s.message()));
    poll_pending();
    record_positions(step_index_, st);
  }
  ran_ = true;
  if (interrupted()) {
    const int sig = interrupt_signal();
    return Status::Interrupted(fmt::format("interrupted by {}; every server stopped", sig == SIGINT    ? "SIGINT"
                                                                                      : sig == SIGTERM ? "SIGTERM"
                                                                                                       : "a signal"));
  }
  return Status::Ok();
}

Status Runner::on_mark(const Step& st) {
  ClusterNode* n = node_or_primary(st.node);
  PgReply r = observe(n,
                      "SELECT clock_timestamp()::text, CASE WHEN pg_is_in_recovery() THEN "
                      "pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END::text");
  if (!r.ok) return r.status();
  marks_[st.name] = Mark{r.at(0, 0), lsn_at(r, 0, 1)};
  note(fmt::format("mark {} at {} ({})", st.name, r.at(0, 0), marks_[st.name].lsn.to_string()));
  return Status::Ok();
}

// Waiting commits are polled throughout, so one released during the wait is resolved when it
// happened, not at the end of the wait.
Status Runner::on_wait(const Step& st) {
  const auto until = Clock::now() + std::chrono::milliseconds(st.duration_ms);
  while (Clock::now() < until && !interrupted()) {
    poll_pending();
    std::this_thread::sleep_for(std::min<Clock::duration>(until - Clock::now(), std::chrono::milliseconds(10)));
  }
  return Status::Ok();
}

void Runner::record_positions(int index, const Step& st) {
  TimelineEntry e = observe_positions(index, st);
  e.notes = std::move(notes_);
  notes_.clear();
  h_.timeline.push_back(std::move(e));
}

TimelineEntry Runner::observe_positions(int index, const Step& st) {
  TimelineEntry e;
  e.step = index;
  e.time_us = now_us();
  e.text = step_text(st);
  std::map<std::string, std::string> sync_states;
  PgReply rep = observe(c_.node(primary_), "SELECT application_name, sync_state FROM pg_stat_replication");
  for (const auto& row : rep.rows) sync_states[row[0].value_or("")] = row[1].value_or("");
  for (ClusterNode* n : c_.nodes()) {
    NodePosition p;
    p.node = n->name;
    p.state = to_string(n->state);
    p.sync_state = sync_states.count(n->name) ? sync_states[n->name] : "";
    PgReply r = observe(n,
                        "SELECT pg_is_in_recovery(), "
                        "CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_insert_lsn()::text END, "
                        "CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_flush_lsn()::text END, "
                        "pg_last_wal_receive_lsn()::text, pg_last_wal_replay_lsn()::text, "
                        "CASE WHEN pg_is_in_recovery() THEN (SELECT timeline_id FROM pg_control_checkpoint()) "
                        "ELSE ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int END::text");
    if (r.ok && !r.rows.empty()) {
      p.insert_lsn = lsn_at(r, 0, 1);
      p.flush_lsn = lsn_at(r, 0, 2);
      p.write_lsn = lsn_at(r, 0, 3);
      p.replay_lsn = lsn_at(r, 0, 4);
      if (!r.null_at(0, 5)) p.timeline = static_cast<TimelineId>(std::stoul(r.at(0, 5)));
      timelines_[n->name] = p.timeline;
    } else {
      p.timeline = timelines_[n->name] == 0 ? 1 : timelines_[n->name];
    }
    p.server_state = observe_server_state(n);
    e.positions.push_back(p);
  }
  observe_sync_rows(e.positions);
  return e;
}

// The model's startup process replays what its walreceiver flushed within microseconds; a real
// one within milliseconds. Before the final lags are read, each running standby gets up to a
// second to replay what it has received (a replay paused at a target is settled as it is), so
// the final replay lag is not a snapshot of the startup process mid-record.
// WAL the primary had flushed when the last step ended is, in the model, on every standby that
// streams from it by the end (the step's own time covers a link's crossing). On a loaded machine
// the walsender may not have sent it yet when the final read comes (differential campaigns,
// seed 1234 run 142 and seed 9001 run 219: 600 B of a last asynchronous commit missing). So the
// final read waits (within settle_replay's second) until each standby that is streaming now has
// received that position; a standby not streaming (cut off, reconnecting, replay paused) is not
// waited for, as the model does not have it receive anything either.
void Runner::settle_streaming(std::chrono::steady_clock::time_point deadline) {
  ClusterNode* primary = c_.node(primary_);
  if (!queryable(primary)) return;
  PgReply flushed = observe(primary, "SELECT pg_current_wal_flush_lsn()::text");
  if (!flushed.ok || flushed.rows.empty() || flushed.null_at(0, 0)) return;
  const std::string target = flushed.at(0, 0);
  for (ClusterNode* n : c_.nodes()) {
    // A partitioned standby's walsender may still say streaming; waiting for it would only let
    // wal_sender_timeout run on past what the model's end has.
    if (n->state != NodeState::kStandby || n->upstream != primary_ || !queryable(n) || c_.partitioned(n->name))
      continue;
    PgReply streaming =
        observe(primary, "SELECT count(*) FROM pg_stat_replication WHERE application_name = $1 AND state = 'streaming'",
                {n->name});
    if (!streaming.ok || streaming.rows.empty() || streaming.at(0, 0) == "0") continue;
    while (Clock::now() < deadline) {
      PgReply r = observe(n, "SELECT pg_last_wal_receive_lsn() IS NULL OR pg_last_wal_receive_lsn() >= $1::pg_lsn",
                          {target});
      if (!r.ok || r.rows.empty() || r.at(0, 0) == "t") break;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
}

void Runner::settle_replay() {
  const auto deadline = Clock::now() + std::chrono::seconds(1);
  settle_streaming(deadline);
  for (ClusterNode* n : c_.nodes()) {
    while (n->server && n->server->running() && n->state != NodeState::kPaused && Clock::now() < deadline) {
      PgReply r = observe(n,
                          "SELECT NOT pg_is_in_recovery() OR pg_last_wal_receive_lsn() IS NULL OR "
                          "pg_get_wal_replay_pause_state() <> 'not paused' OR "
                          "pg_last_wal_replay_lsn() >= pg_last_wal_receive_lsn()");
      if (!r.ok || r.rows.empty() || r.at(0, 0) == "t") break;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
}

NodeFinal Runner::final_state(ClusterNode* n) {
  NodeFinal f;
  f.name = n->name;
  f.state = n->state;
  f.timeline = timelines_[n->name] == 0 ? 1 : timelines_[n->name];
  f.error = n->error;
  f.error_detail = n->error_detail;
  f.server_state = observe_server_state(n);
  final_lag(f);
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
  REPLSIM_ASSERT(ran_, "Runner::finish before run_steps()");
  poll_pending();
  for (auto& p : pending_) {
    TxRecord& tx = h_.transactions[p.tx];
    fill_commit_info(tx, c_.node(tx.node), nullptr);
    tx.detail += "; still waiting when the scenario ended";
  }
  // Final lags: everyone's positions once replay has settled (also when no step ran).
  settle_replay();
  final_positions_ = observe_positions(-1, Step{});
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

}  // namespace replsim::harness
