// Cluster: one simulated run of a scenario under one timing profile. Owns the World, the
// nodes and the links, executes the steps in virtual time and records what a client, the
// nemesis and pg_stat_replication would have seen. Four files implement it, each a topic:
// cluster.cc (steps, transactions, observation), replication.cc (walsender, walreceiver,
// synchronous replication), faults.cc (the nemesis and the operator) and recovery.cc (archive,
// checkpoints, base backups, naive copies, restores); sync_wait.cc adds what other sessions of a
// primary see and wait for while some of its commits wait in the procarray.
#pragma once

#include <fmt/format.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "sim/archive.h"
#include "sim/link.h"
#include "sim/naive_copy.h"
#include "sim/node.h"
#include "sim/simulator.h"
#include "sim/sync_rep.h"
#include "sim/timing.h"
#include "sim/timing_use.h"
#include "sim/waiting_commit.h"
#include "sim/world.h"
#include "vocab/dataset.h"
#include "vocab/run_result.h"
#include "vocab/scenario.h"
#include "vocab/standby_names.h"
#include "vocab/step_visitor.h"

namespace replsim::sim {

// The declarations are grouped by the file that implements them, and each step kind has its
// handler on_<kind> (run() dispatches through visit_step, vocab/step_visitor.h): sim/faults.cc's
// on_crash is the model's rule for the step whose action is harness/faults.cc's on_crash.
class Cluster {
 public:
  // `scenario` must outlive the cluster. REQUIRES: the scenario passed the parser's checks.
  Cluster(const Scenario& scenario, const SimOptions& options, const TimingProfile& timing);

  RunResult run();
  // Whether the run read a value of its timing profile (timing_use.h). REQUIRES: after run().
  bool read_timing() const { return timing_.read(); }
  // Whether a tie of equal priority decided who is synchronous (TimingProfile::reverse_equal_priority).
  bool read_tie_order() const { return timing_.reverse_equal_priority.read(); }

 private:
  // visit_step calls the on_<kind> handlers below; nothing else outside the class may.
  template <typename Visitor>
  friend decltype(auto) replsim::visit_step(const Step& step, Visitor&& v);

  // A transaction as the simulator tracks it while it runs.
  struct Tx {
    TxRecord record;
    int node = -1;
    bool waiting = false;     // Waiting for synchronous replication, or (flush_wait) its own flush.
    bool flush_wait = false;  // Waiting in XLogFlush: the disk of its node is stalled.
    bool committed = false;   // Its commit record was written (acknowledged or not).
    bool local_only = false;  // synchronous_commit = off: acknowledged before its flush.
    bool erased = false;      // Its node crashed before flushing it: it exists nowhere.
    SyncCommit level = SyncCommit::kOn;
    std::map<int, std::string> standby_view;  // Per standby: why it lacks the commit, at commit time.
    // What it changed and locks, while it waits in the procarray (waiting_commit.h); set when
    // its commit may wait.
    std::shared_ptr<HeldByWaitingCommit> held;
    // A named session's transaction between its BEGIN and its COMMIT or ROLLBACK (session.cc):
    // `held` then holds its locks and nothing to undo (its rows are not in the store yet).
    bool open_session = false;
  };

  // --- cluster.cc: setup, the client's transactions, observation and pacing.
  // Each step handler acts in step step_index_ (REQUIRES: inside run()).
  void setup();
  void on_insert(const Step& step) { step.session.empty() ? write(step) : session_statement(step); }
  void on_update(const Step& step) { write(step); }
  void on_delete(const Step& step) { write(step); }
  void on_truncate(const Step& step) { write(step); }
  void on_mark(const Step& step);
  void on_catchup(const Step& step);
  void on_wait(const Step& step);
  void on_check_lag(const Step& step);
  void on_cancel(const Step& step);
  void on_terminate(const Step& step);
  Tx* signalled_waiter(const Step& step, const char* unsent);
  void end_wait(Tx& tx, TxOutcome outcome, const char* detail);
  void on_reload(const Step& step);
  void write(const Step& step);
  // A new transaction of `step` on node p, its invocation recorded (write and begin).
  Tx& invoke_tx(const Step& step, int p);
  // Now, as a wall-clock timestamp (commit timestamps, marks, apply delays): the world's virtual
  // time from the run's fixed epoch.
  int64_t now_epoch_us() const { return kEpochUs + world_.now_us(); }
  void committed(Tx& tx, int p, Xid xid, const wal::Appended& commit, bool drops_files);
  // At the end of the run, for the final lags. REQUIRES: follows_current_primary(n).
  bool wal_in_motion_to(int n) const;
  SyncRepDecision decide_sync(const StandbyNames& names, const std::vector<WalSenderView>& views) const;
  bool follows_current_primary(int n) const;  // At the end of the run (finish), for the final lags.
  static void log_row_changes(wal::WalWriter& w, Xid xid, const std::vector<RowChange>& changes);
  void log_abort(int primary, const std::vector<RowChange>& changes);
  void client_waits_for_commit(
      size_t tx);  // Up to kBlockAfterUs for txs_[tx]'s reply.  // A failed statement with an XID.
  // The server answers the step in progress with an ERROR (RunResult::steps; docs/model.md
  // "Steps PostgreSQL refuses").
  void refuse(const std::string& sqlstate, const std::string& message);
  // sync_wait.cc: other sessions' view of a primary while some of its commits wait in the
  // procarray (docs/model.md, "Commits waiting in the procarray").
  // The committed, still waiting transactions of node `n`, oldest first.
  std::vector<const HeldByWaitingCommit*> waiting_commits_on(int n) const;
  // Runs write `step` on primary `p` as its own snapshot sees the rows; a statement that would
  // wait for a lock of a waiting commit fails after the client's statement timeout.
  ExecutionResult execute_as_seen(int p, const Step& step);
  // What the commit of `exec` on `p` will hold if it waits; null when it cannot wait.
  std::shared_ptr<HeldByWaitingCommit> held_if_waiting(int p, const ExecutionResult& exec) const;
  // Node `n`'s row counts as count(*) of another session sees them; a table a waiting commit
  // holds ACCESS EXCLUSIVE cannot be counted (count(*) waits) and is left out.
  std::map<std::string, int64_t> row_counts_as_seen(int n) const;
  // Before and after each step's action: pacing (Step::pace_us) and the step's virtual time
  // under the profile, marking the run as timing-dependent when that time could matter.
  void begin_step(const Step& step);
  void end_step(const Step& step);
  void wait_for_flush(Tx& tx);
  void wal_gone_at_catchup(int standby);
  void cannot_catch_up(int standby, const std::string& why);
  void snapshot(int index, const Step& step);
  void finish();
  NodePosition position(int n) const;
  std::string sync_state_of(int standby) const;
  // server_state.cc: what node n is as PostgreSQL would show it, and its row in the current
  // primary's pg_stat_replication (docs/model.md, "Server states").
  ServerState server_state_of(int n) const;
  void predict_sync_row(int n, NodePosition* p) const;
  // A restored node shut down at its target and started again: recovery.signal is still there,
  // so it replays to the same target and shuts down again.
  void restart_at_target(int n);
  int node_index(const std::string& name) const;
  int target_primary(const Step& step) const;
  void note(std::string text);
  // Formats the note only when the run records notes (SimOptions::recording).
  template <typename... Args>
  void note(fmt::format_string<Args...> format, Args&&... args) {
    if (recording()) note(fmt::format(format, std::forward<Args>(args)...));
  }
  // A note on the whole run (RunResult::notes): a loss and its cause, a split brain.
  template <typename... Args>
  void run_note(fmt::format_string<Args...> format, Args&&... args) {
    if (recording()) result_.notes.push_back(fmt::format(format, std::forward<Args>(args)...));
  }
  bool recording() const { return options_.recording == Recording::kEverything; }
  void event(HistoryEvent::Type type, const std::string& process, int node, const std::string& label,
             const std::string& detail, const Tx* tx = nullptr);
  std::string why_not_received(int standby) const;

  // --- replication.cc: the walsender, walreceiver and synchronous replication (no steps).
  void send_pending(int link);
  void deliver_wal(int link, uint64_t generation, Lsn lsn, const std::string& bytes);
  // Whether WAL of connection `generation`, sent before its primary crashed, is still
  // received (TimingProfile::in_flight_survives_crash).
  bool arrives_after_crash(int link, uint64_t generation);
  void receive(int link, Lsn lsn, const std::string& bytes);
  void send_feedback(int link);
  void deliver_feedback(int link, uint64_t generation, Lsn write, Lsn flush, Lsn apply);
  void wake_walsenders(int primary);
  // A reply from the standby of `replying_link` reached `primary`: releases the waiting commits
  // its synchronous standbys have confirmed, if that standby is one of them (SyncRepReleaseWaiters).
  void release_waiters(int primary, int replying_link);
  // The synchronous standbys of `primary` may have changed (a walsender ended): its standbys'
  // next status replies (TimingProfile::status_reply_delay_us) release whom the new ones confirm.
  void schedule_status_replies(int primary);
  bool has_waiters(int primary) const;  // Some commit on `primary` waits for its standbys or its flush.
  void acknowledge(Tx& tx, const std::string& how);
  void schedule_reconnect(int link);
  void schedule_replay(int link);
  // Delayed standbys (sim/apply_delay.cc): a replay when the held commit is due.
  void schedule_delayed_replay(int link);
  bool delay_holds_past_end(const Node& standby) const;
  // resume_replay of a restored node paused at its recovery target (sim/replay_control.cc).
  void resume_at_target(int n);
  // How long after the last step the harness may still see a standby replay (its final look
  // gives each standby up to a second; this leaves a margin).
  static constexpr int64_t kFinalLookUs = 2'000'000;
  void try_connect(int link);
  void drop_connection(int link);
  // The standby of `link` stopped: its walsender ends now, or later if a partition holds back
  // the connection's end (TimingProfile::reset_ends_orphan_at_once).
  void end_walreceiver(int link);
  void update_silence(int link);
  bool walsender_streaming(const Link& link) const;
  std::vector<int> walsenders_of(int primary) const;  // Links in slot (connection) order.
  void schedule_wal_writer(int primary);
  void push_instantly(int primary);  // Perturbation::kAsyncCommitsReachStandbyInstantly.
  bool caught_up(int standby) const;
  bool can_catch_up(int standby) const;

  // --- faults.cc: the nemesis (pause/resume, partitions, crashes, disk stalls) and the
  // operator's stops, starts, wipes and promotions.
  void on_pause(const Step& step);
  void on_resume(const Step& step);
  void on_partition(const Step& step);
  void on_heal(const Step& step);
  void on_crash(const Step& step);
  void on_os_crash(const Step& step);
  void on_stall_disk(const Step& step);
  void on_stop(const Step& step);
  void on_start(const Step& step);
  void on_wipe(const Step& step);
  void on_promote(const Step& step);
  // Records the step as the nemesis's (or operator's) event; returns the node it acts on: its
  // own, or the current primary.
  int nemesis(const Step& step);
  std::string since_this_step() const;
  // `os`: an operating-system crash (Node::os_crash), which also ends a disk stall.
  void crash(int n, bool os = false);
  void report_divergence(int n);
  void resolve_waiters_of_dead_primary(int n, const std::string& why);

  // --- session.cc: named sessions, whose transaction spans steps (docs/model.md, "Sessions").
  struct Session {
    size_t tx = 0;             // Its transaction, in txs_.
    int node = -1;             // The node its connection reached; -1: it could not connect.
    uint64_t incarnation = 0;  // That node's incarnation then: a crash or stop since ends it.
    Xid xid = 0;               // Assigned at its first write; 0 until then.
    bool read_only = false;    // It began in recovery (on a standby): read-only to its end.
    std::string aborted;       // Why an error aborted its transaction; "" while it can commit.
    std::vector<std::pair<RowId, std::optional<std::string>>> undo;  // Its changes, for a waiting commit.
  };
  void on_begin(const Step& step);
  void on_commit(const Step& step);
  void on_rollback(const Step& step);
  void session_statement(const Step& step);
  // Why session `s`'s connection is gone (its server crashed, stopped or never answered), or "".
  std::string session_lost(const Session& s) const;
  // Writes the session's xid-bearing abort record (RecordTransactionAbort), if it has an xid.
  void abort_session(Session& s);
  // A fast shutdown of primary `n` terminates its sessions' backends: each open transaction's
  // abort is logged before the shutdown checkpoint.
  void end_sessions_at_shutdown(int n);
  void drop_sessions_of(int n);  // Node `n` crashed: its sessions are gone.
  std::map<std::string, Session> sessions_;

  // --- replay_control.cc: pg_wal_replay_pause() and pg_wal_replay_resume() on a standby
  // (docs/model.md, "Replay control").
  void on_pause_replay(const Step& step);
  void on_resume_replay(const Step& step);

  // --- recovery.cc: the WAL archive, checkpoints and WAL retention, base backups, naive copies
  // and restores (point-in-time recovery, or starting a copy).
  struct BaseBackup {
    TimelineId timeline = 1;
    Lsn start;                             // The redo point of its checkpoint: where recovery from it begins.
    Lsn end;                               // Recovery is consistent once it has replayed this far.
    std::optional<wal::SegmentStore> wal;  // Its data files (the WAL before start) and its pg_wal.
  };
  struct Mark {
    int64_t time_us = 0;  // Since the Unix epoch, as now() would print it.
    Lsn lsn;              // The current primary's insert position.
  };
  void on_base_backup(const Step& step);
  void on_switch_wal(const Step& step);
  void on_restore_point(const Step& step);
  void on_restore(const Step& step);
  void on_checkpoint(const Step& step);
  void on_naive_copy(const Step& step);
  void on_break_archive(const Step& step);
  void on_repair_archive(const Step& step);
  void run_archiver(int primary);
  // The checkpointer's archive_timeout (CheckArchiveTimeout): notes segment switches and arms
  // the next check once WAL follows the last one. Called after every write and flush.
  void schedule_archive_timeout(int primary);
  void check_archive_timeout(int primary, uint64_t generation);
  // A primary's server (re)started or was promoted: StartupXLOG's last segment switch is now.
  // `end_of_log`: where its WAL ended before it wrote anything (a promotion's switch point).
  void reset_archive_timer(int primary, Lsn end_of_log);
  void set_archive_broken(bool broken);
  Lsn checkpoint(int n);
  void remove_old_wal(int primary, Lsn checkpoint);
  void lose_wal(int link, const std::string& segment);
  void restore_copy(const Step& step, const NaiveCopy& copy);
  void finish_recovery(int n, const Step& step, const wal::StopInfo& stop, TimelineId recovery_timeline);
  std::optional<wal::RecoveryTarget> recovery_target(const Step& step, const BaseBackup& backup) const;
  int fresh_node(const std::string& name);
  // The timeline a promotion of `n` selects. REQUIRES: n is a running standby or restoring.
  TimelineId new_timeline_at_promotion(int n) const;
  void fail_node(int n, const std::string& error, const std::string& detail);

  const Scenario& scenario_;
  SimOptions options_;
  TimingUse timing_;
  // (primary, incarnation) whose WAL writer has a flush cycle scheduled: one at a time.
  std::set<std::pair<int, uint64_t>> wal_writer_due_;
  const Dataset& dataset_;
  StandbyNames no_sync_names_;  // Standbys (promoted or not) and restored nodes run with ''.
  // Per node whose configuration names standbys: the cluster's setting on the first primary, and
  // what a reload step set since. A node not here runs with no_sync_names_.
  std::map<int, StandbyNames> sync_names_;
  const StandbyNames& names_on(int node) const {
    const auto it = sync_names_.find(node);
    return it != sync_names_.end() ? it->second : no_sync_names_;
  }
  World world_;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::vector<std::unique_ptr<Link>> links_;  // links_[i] serves nodes_[i + 1].
  // Per link: WAL sitting in a paused standby's socket receive buffer, written after resume.
  std::map<int, std::vector<std::pair<Lsn, std::string>>> socket_;
  std::vector<Tx> txs_;
  int current_primary_ = 0;
  int promoted_at_step_ = -1;  // Step of the last promotion.
  int step_index_ = -1;
  int64_t step_start_us_ = 0;  // When the current step began (virtual time).
  // Per link: the connection generation its primary's crash ended (arrives_after_crash).
  std::map<int, uint64_t> crashed_generation_;
  std::map<int, std::string> since_;  // Per node: "partitioned since step 2", "paused since step 1".
  // Primaries started again by a `start` step: their first reads of catalog pages may prune them
  // and WAL-log it (heap_page_prune_opt, with full-page images), WAL the model does not write;
  // the final lags of their standbys are then left unpredicted (docs/model.md, "Final lags").
  std::set<int> restarted_primaries_;
  std::map<int, int> os_crashed_at_;  // Per node: the step of its last operating-system crash.
  std::map<int, Lsn> fork_lsn_;       // Promoted node -> where its timeline left its parent's.
  WalArchive archive_;
  std::map<int, uint64_t> archived_next_;  // Per archiving primary: the next segment it archives.
  // Per primary: what CheckArchiveTimeout compares against (lastSegSwitchTime/LSN).
  struct ArchiveTimer {
    int64_t last_switch_us = 0;  // The last segment switch, or the server's start.
    Lsn last_switch_lsn;         // Where the WAL stood then: WAL past it was written since.
    uint64_t generation = 0;     // A reset or a switch makes a pending check stale.
    bool armed = false;
  };
  std::map<int, ArchiveTimer> archive_timers_;
  std::map<std::string, BaseBackup> backups_;
  std::map<std::string, NaiveCopy> copies_;
  std::map<std::string, Mark> marks_;
  std::map<int, std::pair<std::string, std::string>> errors_;  // Node -> (error, the server's words).
  std::set<int> shut_down_at_target_;    // Restored nodes that shut down at their recovery target.
  std::map<int, int64_t> delay_timers_;  // Delayed standby -> the due time its timer is set for.
  RunResult result_;
};

}  // namespace replsim::sim
