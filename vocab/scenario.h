// Scenario: one replication experiment, as read from a scenario file. The same
// Scenario drives the simulator (-> Prediction) and the real-cluster harness
// (-> History); steps name intent ("partition replica"), never simulator internals.
// The file format is described in docs/scenario.md; scenario_parser.h reads it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "vocab/dataset.h"
#include "vocab/standby_names.h"
#include "vocab/status.h"

namespace replsim {

// Where something stands in the scenario file (1-based; 0 = not from a file).
struct SourcePos {
  int line = 0;
  int column = 0;
};

enum class NodeRole { kPrimary, kStandby };

struct NodeSpec {
  std::string name;  // Also the standby's application_name.
  NodeRole role = NodeRole::kStandby;
  bool replication_slot = false;  // Standby streams through a physical slot.
  SourcePos pos;
  // One-way latency of this standby's replication link; unset = the cluster's link_latency.
  std::optional<int64_t> link_latency_us;
  // recovery_min_apply_delay of this standby (microseconds; 0 = off): its startup process holds
  // each commit record until the commit's timestamp plus this delay (docs/model.md, "Delayed standbys").
  int64_t apply_delay_us = 0;
};

// synchronous_commit (PostgreSQL 15 docs, 20.5.1 "Settings").
enum class SyncCommit { kOff, kLocal, kRemoteWrite, kOn, kRemoteApply };
const char* to_string(SyncCommit level);
std::optional<SyncCommit> parse_sync_commit(const std::string& text);

struct ClusterSpec {
  std::vector<NodeSpec> nodes;  // nodes[0] is the primary; the others stream from it.
  SyncCommit synchronous_commit = SyncCommit::kOn;
  // As PostgreSQL reads it (standby_names.h); the harness writes this text to postgresql.conf.
  // Scenario::standby_names() is it parsed.
  std::string synchronous_standby_names;
  uint64_t wal_segment_size = 1 << 20;  // Bytes; a power of two from 1 MB to 1 GB.
  bool archive_mode = false;            // Archive completed segments to the WAL archive.
  int64_t archive_timeout_ms = 0;       // 0 = off.
  uint64_t wal_keep_size = 0;           // Bytes.
  int64_t max_slot_wal_keep_size = -1;  // Bytes; -1 = unlimited.
  int64_t link_latency_us = 100;        // One-way network latency of each replication link.
  std::string dataset = "seed";         // Named initial data loaded before the first step.
  SourcePos pos;
  SourcePos standby_names_pos;  // Of the synchronous_standby_names value; 0 = not from a file.
  SourcePos dataset_pos;        // Of the data value; 0 = not from a file.

  const NodeSpec* find_node(const std::string& name) const;
  // The one-way latency of `standby`'s replication link (its own, else link_latency_us).
  int64_t latency_of(const NodeSpec& standby) const { return standby.link_latency_us.value_or(link_latency_us); }
};

enum class StepKind {
  // Transactions (each step is one transaction; `label` names it).
  kInsert,
  kUpdate,
  kDelete,
  kTruncate,
  // Observation and pacing.
  kMark,      // Remember this instant (its time and insert LSN) under `name`.
  kCatchup,   // Wait until `node` (or every reachable standby) has replayed all WAL.
  kWait,      // Let `duration_ms` pass.
  kCheckLag,  // Measure lag of `node` as checkReplicationLag should, under `name`.
  kCancel,    // Cancel the waiting commit of transaction `label` (pg_cancel_backend).
  // Faults.
  kPause,
  kResume,
  kPartition,
  kHeal,
  kCrash,
  kStop,
  kStart,
  kWipe,
  // Operations.
  kPromote,
  kBaseBackup,
  kSwitchWal,
  kRestorePoint,
  kRestore,
  kCheckpoint,     // CHECKPOINT on a primary: dirty pages written, pg_control updated, old WAL removed.
  kNaiveCopy,      // Copy parts (`files`) of a live data directory, as tar would (drill 3.1).
  kBreakArchive,   // The archive_command starts failing: segments pile up in pg_wal.
  kRepairArchive,  // The archive_command works again: the archiver catches up.
  // The node's disk stops completing flushes: writes reach the operating system's page cache,
  // fsync never returns. Ends only with kOsCrash of the node.
  kStallDisk,
  // The node's operating system crashes: its processes die and every write not yet flushed
  // (fsync) is lost. The node is down until `start`.
  kOsCrash,
  // pg_terminate_backend() of the backend running transaction `label`'s waiting COMMIT: the
  // client loses its connection and cannot know whether it committed (it did, locally).
  kTerminate,
  // pg_wal_replay_pause() on `node`, a standby: its startup process stops replaying while its
  // walreceiver goes on receiving, writing and flushing WAL (a primary refuses: 55000).
  kPauseReplay,
  // pg_wal_replay_resume() on `node`: replay continues through everything flushed.
  kResumeReplay,
  // Settings of `node` changed in its configuration and pg_reload_conf() (only
  // synchronous_standby_names so far): what ALTER SYSTEM SET plus a reload does.
  kReload,
  // Named sessions (docs/scenario.md, "Sessions"): BEGIN on a connection held open across steps,
  // whose transaction is labelled `label`; write steps with `session` run in it; COMMIT or
  // ROLLBACK of it.
  kBegin,
  kCommit,
  kRollback,
};
// How many step kinds there are: kRollback, the last, plus one. A kind added after it moves this.
inline constexpr int kStepKindCount = static_cast<int>(StepKind::kRollback) + 1;
const char* to_string(StepKind kind);

enum class PartitionDirection { kBoth, kToStandby, kToPrimary };

// A recovery target (PostgreSQL 15 docs, 20.5.6 "Recovery Target").
struct RecoveryTarget {
  enum class Kind { kNone, kImmediate, kTime, kXid, kLsn, kName };
  Kind kind = Kind::kNone;
  std::string ref;  // kTime: a mark; kXid: a transaction label; kLsn: a mark or label; kName: a restore point.
  bool inclusive = true;
  enum class Action { kPause, kPromote, kShutdown };
  Action action = Action::kPause;  // PostgreSQL's default recovery_target_action.
  std::string timeline = "latest";
  // A second recovery target set at the same time (`target: {name: a, xid: b}`): PostgreSQL
  // refuses to start ("multiple recovery targets specified"). kNone = only one target.
  Kind second_kind = Kind::kNone;
  std::string second_ref;
};

struct Step {
  StepKind kind = StepKind::kMark;
  SourcePos pos;
  std::string text;  // The step as written, one line, for timelines.

  std::string label;  // Transaction label (write steps, cancel).
  std::string node;   // Target node; empty = the current primary (writes) or every standby.
  std::string name;   // Mark, lag check, backup or restore-point name.

  // Write steps: table, column=value pairs to insert or set, and equality filters.
  std::string table;
  std::vector<std::pair<std::string, std::string>> values;
  std::vector<std::pair<std::string, std::string>> where;
  bool cascade = false;  // TRUNCATE ... CASCADE.

  PartitionDirection direction = PartitionDirection::kBoth;
  int64_t duration_ms = 0;

  std::string backup;  // kRestore: the base backup (or complete naive copy) to restore from.
  // kNaiveCopy: the parts of the data directory copied by this step, each a NaiveCopyPart name;
  // a copy is complete once every part was copied (by one step or several with the same name).
  std::vector<std::string> files;
  RecoveryTarget target;

  // A step made by expanding `repeat: N` or `load: {...}` (an insert written once, run as N
  // numbered inserts LABEL_1..LABEL_N): `group` is the written label, empty otherwise.
  std::string group;
  // load: the step starts no sooner than pace_us after the previous step started (1 / rate).
  int64_t pace_us = 0;

  // kReload: the new synchronous_standby_names (checked to parse), when the step sets it.
  std::optional<std::string> synchronous_standby_names;

  // An insert run as a statement of this open session's transaction (the label of its kBegin),
  // rather than as a transaction of its own; `label` then names the statement. Empty: none.
  std::string session;
};

// Whether `step` is a write that is a transaction of its own (not a statement of a session).
bool is_own_transaction(const Step& step);

// Whether transaction `label` belongs to group `group` (a repeat's or load's base label):
// it is `group` followed by '_' and a number. An empty group holds every label.
bool in_group(const std::string& label, const std::string& group);

// The parts of a data directory a naive copy distinguishes: they come from different moments.
// base: the data files; pg_xact: commit status; pg_wal: the WAL; global: pg_control (the last
// checkpoint). Everything else (configuration, postmaster.pid, other directories) travels with
// the copy's first part.
const std::vector<std::string>& naive_copy_parts();

enum class ExpectKind {
  kLost,          // `label` was acknowledged, yet is absent on `node`.
  kPresent,       // `label`'s effect is on `node`.
  kAbsent,        // `label`'s effect is not on `node`.
  kAcknowledged,  // The client got a successful commit for `label`.
  kBlocks,        // `label`'s commit blocked waiting for synchronous replication.
  kCancelled,     // `label` was cancelled while waiting: committed locally, never acknowledged.
  kFailed,        // `label` failed (error or refused).
  kInDoubt,       // The connection was lost mid-commit: the client cannot know.
  kRows,          // `table` holds exactly `count` rows on `node`.
  kLag,           // The lag check `name` measured within the bounds below.
  kError,         // `node` ended in the error `error`.
  kStepError,     // PostgreSQL refused step `step` with an ERROR of SQLSTATE `sqlstate`.
  // How many of the transactions (those of `label`'s repeat or load, or every one) were
  // acknowledged yet are absent on `node`: between count_min and count_max.
  kLostCount,
  // How many of the transactions (as kLostCount) are present on `node`: between count_min and count_max.
  kPresentCount,
  kState,      // `node` ended in the server state `server_state` (vocab/run_result.h ServerState's words).
  kTimeline,   // `node` ended running on timeline `timeline`.
  kSyncState,  // The current primary's pg_stat_replication shows `node` as `sync_state` (and `sync_priority`).
};
const char* to_string(ExpectKind kind);

struct Expectation {
  ExpectKind kind = ExpectKind::kPresent;
  SourcePos pos;
  std::string text;
  std::string label;
  std::string node;  // Empty = the primary at the end of the scenario.
  std::string table;
  int64_t count = 0;
  std::string name;  // kLag: the lag check.
  std::optional<int64_t> lag_bytes_min, lag_bytes_max, lag_transactions;
  std::optional<bool> failover_loses_data;
  std::string error;  // kError: "recovery_target_not_reached", "refuses_to_start", "cannot_catch_up".
  // kStepError: the step (its index), as the scenario named it (a label, a name or a line
  // number), and the SQLSTATE its ERROR must have (`error` holds the word as written).
  int step = -1;
  std::string step_ref;
  std::string sqlstate;
  // kLostCount, kPresentCount: the bounds (inclusive). `label`, if set, names a repeat's or a
  // load's base label: only its numbered transactions (LABEL_1, LABEL_2, ...) count.
  int64_t count_min = 0;
  int64_t count_max = 0;
  std::string server_state;              // kState: "primary", "standby", "shutdown_at_target", ...
  int64_t timeline = 0;                  // kTimeline.
  std::string sync_state;                // kSyncState: "async", "potential", "sync", "quorum".
  std::optional<int64_t> sync_priority;  // kSyncState, when stated.
};

struct Scenario {
  std::string file;  // Path it was read from.
  // The text it was read from, as read (the run store keeps it); empty for a scenario built in
  // code, and left as it was when code edits a parsed one.
  std::string source;
  std::string name;
  std::string description;
  ClusterSpec cluster;
  std::vector<Step> steps;
  std::vector<Expectation> expectations;

  // Whether `restore` (a kRestore step of this scenario) starts a naive copy rather than
  // recovering a base backup: a started copy runs as a primary, whatever its target says.
  bool restores_naive_copy(const Step& restore) const;

  // Whether resolve_scenario() accepted the cluster's data set and synchronous_standby_names
  // as they are now: a scenario edited after resolution is not resolved until resolved again.
  bool resolved() const;
  // The data set cluster.dataset names.
  // REQUIRES: resolved().
  const Dataset& dataset() const;
  // cluster.synchronous_standby_names, parsed.
  // REQUIRES: resolved().
  const StandbyNames& standby_names() const;

 private:
  friend Status resolve_scenario(Scenario& scenario);
  // Set by resolve_scenario() only, from the values it resolved (kept to notice later edits).
  const Dataset* dataset_ = nullptr;
  StandbyNames standby_names_;
  std::string resolved_standby_names_;
};

// Looks up the scenario's data set and parses its synchronous_standby_names, once, so that
// every reader uses the same values (Scenario::dataset(), Scenario::standby_names()). The
// parser calls it; so must code that builds a Scenario itself, before simulating, running or
// checking it. Returns InvalidInput for an unknown data set or malformed standby names, as
// "file:line:column: ..." when the value came from a file, else "file: ..." or "name: ...".
Status resolve_scenario(Scenario& scenario);

}  // namespace replsim
