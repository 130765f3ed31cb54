// harness::Runner: one Scenario's steps on one real Cluster, recorded as a History. It is the
// harness's half of each step kind; the simulator's half is sim::Cluster. Both take a step
// through vocab/step_visitor.h's visit_step, which calls on_<kind>, and the harness's files are
// named after the simulator's topics (sim/replication.cc, sim/faults.cc, sim/recovery.cc), so
// the model's rule and the harness's action for one kind of step are read side by side:
//
//   harness/runner.cc       setup, the step loop, marks and waits, positions, final states
//   harness/replication.cc  write steps, waiting commits, cancel, catchup, check_lag
//   harness/faults.cc       pause, resume, partition, heal, crash, stop, start, wipe,
//                           stall_disk, os_crash
//   harness/recovery.cc     promote, base_backup, switch_wal, restore_point, restore,
//                           checkpoint, naive_copy, break_archive, repair_archive
//   harness/replay_control.cc  pause_replay, resume_replay
//
// A handler's Status is a note in the step's timeline entry, not the end of the run: whatever
// the scenario does to PostgreSQL is data in the History. The public entry point is
// run_scenario (harness/scenario_runner.h), which builds the Cluster and drives a Runner.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "harness/cluster.h"
#include "harness/harness_options.h"
#include "harness/pg_connection.h"
#include "vocab/dataset.h"
#include "vocab/lsn.h"
#include "vocab/run_result.h"
#include "vocab/scenario.h"
#include "vocab/status.h"

namespace replsim::harness {

class Runner {
 public:
  // `cluster` was created for scenario.cluster and holds no node yet. The scenario, the
  // options and the cluster must outlive the Runner.
  Runner(const Scenario& scenario, const HarnessOptions& options, Cluster& cluster);

  // --- The run (runner.cc) ---

  // Builds the nodes, loads the data set, waits until every standby streams and has replayed
  // a checkpoint taken after the data set. Errors are about the harness (a server that will
  // not start, a signal).
  Status setup();
  // Runs every step through visit_step and records each step's timeline entry. Returns
  // Interrupted on SIGINT/SIGTERM; a failed step is a note, not an error.
  // REQUIRES: setup() succeeded.
  Status run_steps();
  // Settles waiting commits and records every node's final state. REQUIRES: run_steps() ran.
  void finish();
  History take() { return std::move(h_); }

  // Observation and pacing (runner.cc).
  Status on_mark(const Step& st);
  Status on_wait(const Step& st);

  // --- Transactions and replication (replication.cc) ---

  // One transaction each: BEGIN, the statement, the replsim_tx marker, COMMIT. A commit not
  // back within block_after_ms is `blocked` and stays waiting until it resolves.
  Status on_insert(const Step& st);
  Status on_update(const Step& st);
  Status on_delete(const Step& st);
  Status on_truncate(const Step& st);
  // A client-side cancel of the waiting commit of st.label.
  Status on_cancel(const Step& st);
  Status on_terminate(const Step& st);
  Status on_reload(const Step& st);
  Status on_catchup(const Step& st);
  Status on_check_lag(const Step& st);

  // --- Named sessions (session.cc): one connection per session, held open across steps ---

  // BEGIN on a new connection to st.node (else the current primary), kept for the session.
  Status on_begin(const Step& st);
  // The marker row, then COMMIT, resolved as a write step's commit (blocked, acknowledged, ...).
  Status on_commit(const Step& st);
  Status on_rollback(const Step& st);

  // --- Faults: the nemesis (faults.cc) ---

  // Each records a nemesis event and applies the fault to st.node (heal: every link when
  // st.node is empty). An unknown node is InvalidInput, recorded before any event.
  Status on_pause(const Step& st);
  Status on_resume(const Step& st);
  Status on_partition(const Step& st);
  Status on_heal(const Step& st);
  Status on_crash(const Step& st);
  // After a step that ended `standby`'s replication connection: up to 1 s for the primary's
  // walsender to notice (it reads the end asynchronously), as the simulator has it gone.
  void await_walsender_end(const std::string& standby);
  Status on_stop(const Step& st);
  Status on_start(const Step& st);
  Status on_wipe(const Step& st);
  Status on_stall_disk(const Step& st);
  Status on_os_crash(const Step& st);

  // --- Recovery: the operator, the archive, backups and restores (recovery.cc) ---

  Status on_promote(const Step& st);
  Status on_base_backup(const Step& st);
  // Switches to a new WAL segment and, with archive_mode, waits until the archiver has
  // archived the finished one (or, with the archive broken, has failed to).
  Status on_switch_wal(const Step& st);
  Status on_restore_point(const Step& st);
  // From a base backup (archive recovery to the step's target) or a naive copy (started as
  // it is). A server that does not come up is data: its node's error.
  Status on_restore(const Step& st);
  Status on_checkpoint(const Step& st);
  Status on_naive_copy(const Step& st);
  Status on_break_archive(const Step& st);
  Status on_repair_archive(const Step& st);

  // --- Replay control on a standby (replay_control.cc) ---

  // pg_wal_replay_pause() / pg_wal_replay_resume() on st.node; a primary's ERROR is the step's
  // result. Each waits (up to 1 s) until the startup process has obeyed.
  Status on_pause_replay(const Step& st);
  Status on_resume_replay(const Step& st);

 private:
  using Clock = std::chrono::steady_clock;
  using EventType = HistoryEvent::Type;

  // resume_replay of a restored node paused at its recovery target: it promotes (replay_control.cc).
  Status resume_at_target(ClusterNode* n);

  // A commit waiting for its result (blocked on synchronous replication, usually).
  struct Pending {
    size_t tx = 0;  // Index into History::transactions.
    std::unique_ptr<PgConnection> conn;
  };
  struct Mark {
    std::string time;  // The primary's clock_timestamp(), as text with its offset.
    Lsn lsn;
  };
  // Builds a write step's statement from the data set's table and the step's columns, already
  // checked against it (`sets`: column names in the step's order, bound as $1..; `where`: ""
  // or " WHERE c = $n AND ...").
  using WriteSqlBuilder = std::string (*)(const TableSpec& table, const std::vector<std::string>& sets,
                                          const std::string& where, const Step& st);

  // The run's own helpers (runner.cc).
  static Lsn lsn_at(const PgReply& r, size_t row, size_t col);  // NULL or unparsable: Lsn{}.
  int64_t now_us() const;
  HistoryEvent& event(EventType type, std::string process, std::string node, std::string label,
                      std::string detail = "");
  void note(std::string text) { notes_.push_back(std::move(text)); }
  ClusterNode* node_or_primary(const std::string& name) { return c_.node(name.empty() ? primary_ : name); }
  bool queryable(ClusterNode* n) { return n != nullptr && n->server->running() && !n->server->paused(); }
  // A reusable connection to `n`, or nullptr when it cannot answer (down, paused, refusing).
  PgConnection* observer(ClusterNode* n);
  // A statement on n's observer connection, bounded to 2 s; not ok when n cannot answer.
  PgReply observe(ClusterNode* n, const std::string& sql, const std::vector<std::string>& params = {});
  TxRecord* find_tx(const std::string& label);
  // Records that the server answered step `step` (the one in progress when -1) with an ERROR,
  // when `reply` is one (RunResult::steps); a reply that is not the server's ERROR (a node that
  // could not be reached, a timeout without one) records nothing.
  void refused(const PgReply& reply, int step = -1);
  Status checkpoint_after_setup();
  void record_positions(int index, const Step& st);  // observe_positions, with the step's notes.
  TimelineEntry observe_positions(int index, const Step& st);
  void settle_replay();
  void settle_streaming(std::chrono::steady_clock::time_point deadline);
  NodeFinal final_state(ClusterNode* n);

  // Transactions and replication (replication.cc).
  void write(const Step& st, WriteSqlBuilder build);
  // A new transaction of `st` on n (nullptr: not found), its invocation recorded by `process`.
  TxRecord invoke_tx(const Step& st, const ClusterNode* n, const std::string& process);
  Result<std::string> write_sql(const Step& st, WriteSqlBuilder build, std::vector<std::string>* params) const;
  void block(Pending p, ClusterNode* n, const std::string& process);
  void resolve(Pending& p, const PgReply& reply);
  // cancel and terminate: the waiting commit `st` names, or nullptr (with a note) when none of
  // it waits or its server is paused (nothing reaches a stopped server; `unsent` is what is not
  // sent). Then, once signalled, up to 5 s for its reply, recorded as its outcome.
  Pending* signalled_pending(const Step& st, const char* unsent);
  void collect_signalled(Pending* p, const Step& st);
  void fill_commit_info(TxRecord& tx, ClusterNode* n, PgConnection* conn);
  // Resolves every waiting commit whose result has come; never waits.
  void poll_pending();
  void measure_lag(const std::string& name, ClusterNode* standby);

  // Sessions (session.cc): an insert with `session` runs on that session's connection.
  struct Session {
    size_t tx = 0;                       // Its transaction, in History::transactions.
    std::unique_ptr<PgConnection> conn;  // Null once lost (or never opened).
    std::string lost;                    // Why conn is null.
    std::string aborted;                 // The error that aborted its transaction; "" if none.
  };
  void session_statement(const Step& st);
  void end_session_tx(Session& s, TxOutcome outcome, const std::string& why);
  std::map<std::string, Session> sessions_;

  // Faults (faults.cc): the nemesis event, or InvalidInput for an unknown node.
  Status nemesis(const Step& st);

  // Recovery (recovery.cc).
  void wait_archived(ClusterNode* n, const std::string& segment);
  void wait_archive_failed(ClusterNode* n, const std::string& segment, int64_t failed_before);
  void wait_archive_caught_up();
  // The recovery settings for st.target, or an error naming a target that refers to nothing.
  Result<std::vector<std::pair<std::string, std::string>>> recovery_settings(const Step& st);
  std::pair<std::string, std::string> target_setting(RecoveryTarget::Kind kind, const std::string& ref);
  void restore_backup(const Step& st, const std::string& backup_dir);
  void restore_copy(const Step& st, const std::string& copy_dir);
  void refused_to_start(const Step& st, const Status& why);
  Status wait_restored(ClusterNode* n, RecoveryTarget::Action action);

  // Server states (server_state.cc): what `n` is, observed (nullopt when it runs but does not
  // answer); every node's pg_stat_replication row on the current primary; the final lag of a
  // standby behind it; and the restart of a node that shut down at its recovery target.
  std::optional<ServerState> observe_server_state(ClusterNode* n);
  void observe_sync_rows(std::vector<NodePosition>& positions);
  void final_lag(NodeFinal& f);
  TimelineEntry final_positions_;  // Observed in finish(), after settle_replay(): the final lags.
  Status restart_at_target(ClusterNode* n);

  const Scenario& sc_;
  const HarnessOptions& opt_;
  Cluster& c_;
  History h_;
  const Dataset* dataset_ = nullptr;
  std::string primary_;
  Clock::time_point start_ = Clock::now();
  int64_t start_wall_us_ = 0;
  bool set_up_ = false;  // setup() succeeded.
  bool ran_ = false;     // run_steps() returned.
  int step_index_ = 0;   // The step in progress: a write's client process and TxRecord::step.
  std::vector<Pending> pending_;
  std::map<std::string, std::unique_ptr<PgConnection>> observers_;
  std::map<std::string, TimelineId> timelines_;
  std::map<std::string, Mark> marks_;
  std::map<std::string, std::string> backups_;
  std::map<std::string, std::string> copies_;  // Naive copy name -> its directory.
  std::vector<std::string> notes_;             // Notes of the step in progress.
};

}  // namespace replsim::harness
