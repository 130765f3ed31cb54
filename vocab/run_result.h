// RunResult: what happened to a scenario's transactions and nodes, in one shape
// whoever made it. The simulator's RunResult is a Prediction (presence may be
// "either" where timing decides); the harness's is a History observed on real
// PostgreSQL (never "either", with wall-clock events). verifier/ compares the two
// and checks histories without knowing who made them. JSON schema: docs/history.md.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vocab/lsn.h"
#include "vocab/status.h"

namespace replsim {

// What the client saw for a transaction's commit.
enum class TxOutcome {
  kAcknowledged,  // COMMIT returned success.
  kFailed,        // An error: the transaction did not commit.
  kBlocked,       // Still waiting for synchronous replication when the scenario ended.
  kCancelled,     // The wait was cancelled: committed locally, never acknowledged by a standby.
  kInDoubt,       // The connection was lost mid-commit: the client cannot know.
};
enum class Presence { kPresent, kAbsent, kEither };

// What a node is at the end of a run, in NodePosition::state's words.
enum class NodeState {
  kPrimary,    // Accepting writes (a promoted standby too).
  kStandby,    // In recovery, following a primary.
  kPaused,     // Its processes stopped (SIGSTOP): alive, doing nothing.
  kCrashed,    // Killed; its data directory is intact.
  kStopped,    // Shut down cleanly, or never started (a copy, a restore that stopped).
  kWiped,      // Its data directory is gone.
  kRestoring,  // Recovering from an archive towards a target.
};

const char* to_string(TxOutcome outcome);
const char* to_string(Presence presence);
const char* to_string(NodeState state);  // "primary", "standby", ..., as JSON and the reports write it.
std::optional<TxOutcome> parse_tx_outcome(const std::string& text);
std::optional<Presence> parse_presence(const std::string& text);
std::optional<NodeState> parse_node_state(std::string_view text);

// What a server *is*, as PostgreSQL shows it (docs/history.md, "Server state"): finer than
// NodeState, and observed on the real server rather than remembered by the harness. A running
// server is a primary (pg_is_in_recovery() false), a standby (in recovery with an upstream in
// primary_conninfo), in archive recovery (in recovery without one, replaying from the archive
// towards its target), or paused at its target (pg_get_wal_replay_pause_state() = 'paused').
// A server that is down is stopped, crashed, shut down at its recovery target (its log says
// "shutdown at recovery target"), or failed to start (it exited with a FATAL or PANIC).
enum class ServerState {
  kPrimary,
  kStandby,
  kArchiveRecovery,
  kPausedAtTarget,
  kShutdownAtTarget,
  kStopped,
  kCrashed,
  kFailedToStart,
  kSuspended,  // SIGSTOPped: alive, answering nothing.
  kWiped,
  // A standby (streaming: primary_conninfo set) whose replay pg_wal_replay_pause() stopped:
  // pg_get_wal_replay_pause_state() is 'pause requested' or 'paused'. Which of the two depends
  // on when its startup process last looked (ConfirmRecoveryPaused), so they are one state here.
  kReplayPaused,
};
const char* to_string(ServerState state);  // "primary", "standby", "archive_recovery", "paused_at_target", ...
std::optional<ServerState> parse_server_state(std::string_view text);
// Every ServerState, in declaration order (for parsing and for "expected one of" messages).
const std::vector<ServerState>& server_states();
// Running and answering queries: primary, standby, archive_recovery, paused_at_target, replay_paused.
bool server_answers(ServerState state);

struct TxRecord {
  std::string label;
  int step = -1;                    // Index of the scenario step that ran it.
  std::string node;                 // Where it ran.
  std::vector<TxOutcome> outcomes;  // One outcome; more than one only in a prediction ("either of").
  Xid xid = 0;
  Lsn commit_lsn;              // End of its commit record; 0 if it never committed.
  int64_t commit_time_us = 0;  // Commit timestamp, microseconds since the run's start.
  TimelineId timeline = 1;
  bool waited_for_sync = false;  // Its commit waited for synchronous replication at some point.
  std::string detail;            // Why: "blocked on FIRST 1 (replica): replica unreachable", ...
};

// One node's replication positions, as pg_stat_replication and the recovery functions report.
struct NodePosition {
  std::string node;
  std::string state;  // "primary", "standby", "paused", "crashed", "stopped", "wiped", "restoring"
  TimelineId timeline = 1;
  Lsn insert_lsn, flush_lsn;  // Primary: pg_current_wal_insert_lsn / pg_current_wal_flush_lsn.
  Lsn write_lsn, replay_lsn;  // Standby: received-and-written, replayed.
  std::string sync_state;     // Standby as the primary sees it: async, potential, sync, quorum.
  // What the server is (nullopt: not recorded, as in runs stored before it was).
  std::optional<ServerState> server_state;
  // pg_stat_replication.sync_priority of this node on the current primary (0 with sync_state ""
  // when it has no row); nullopt when pg_stat_replication could not be read (the primary was
  // down) or nothing was predicted.
  std::optional<int> sync_priority;
};

// One line of the timeline: a step and everyone's positions right after it.
struct TimelineEntry {
  int step = -1;
  int64_t time_us = 0;
  std::string text;
  std::vector<NodePosition> positions;
  std::vector<std::string> notes;  // What this step caused ("charlie acknowledged", ...).
};

// A lag measurement done right: the primary's current LSN against the standby's received
// and replayed LSN, in bytes and in commits the standby has not replayed.
struct LagMeasure {
  std::string name;
  std::string standby;
  Lsn primary_lsn, receive_lsn, replay_lsn;
  int64_t receive_lag_bytes = 0;
  int64_t replay_lag_bytes = 0;
  int64_t transactions = 0;          // Commits on the primary not yet replayed on the standby.
  bool failover_loses_data = false;  // Promoting it now would lose acknowledged commits.
  std::vector<std::string> at_risk;  // Their labels.
};

// A node at the end of the run.
struct NodeFinal {
  std::string name;
  NodeState state = NodeState::kStopped;  // kPrimary for a promoted standby.
  TimelineId timeline = 1;
  std::map<std::string, Presence> presence;   // Transaction label -> is its effect here?
  std::map<std::string, int64_t> row_counts;  // Table -> rows (absent when not observable).
  std::string error;                        // "", "recovery_target_not_reached", "refuses_to_start", "cannot_catch_up"
  std::string error_detail;                 // The server's own words where there are some.
  std::optional<ServerState> server_state;  // nullopt: not recorded.
  // A standby at the end (its server_state standby or replay_paused in the last timeline entry, the current
  // primary running): bytes from its pg_last_wal_receive_lsn (written and flushed) and
  // pg_last_wal_replay_lsn to the primary's pg_current_wal_flush_lsn. nullopt otherwise, and in
  // a prediction where timing decides whether it is behind.
  std::optional<int64_t> receive_lag_bytes, replay_lag_bytes;
};
// Bytes from `behind` to `ahead`, 0 if `behind` is not behind.
int64_t lag_bytes(Lsn ahead, Lsn behind);
// Sets f's receive_lag_bytes and replay_lag_bytes from `last` (the run's last timeline entry)
// when f's node is a standby there and `primary` (the current primary) is a running primary;
// clears them otherwise. Simulator and harness both use it: one rule for both sides.
void set_final_lags(const TimelineEntry& last, const std::string& primary, NodeFinal& f);

// One event of a Jepsen-style history: an operation's invocation and completion, or a fault.
struct HistoryEvent {
  enum class Type { kInvoke, kOk, kFail, kInfo, kBlocked, kFault };
  Type type = Type::kInvoke;
  int64_t time_us = 0;
  std::string process;  // Client or "nemesis".
  std::string node;
  std::string label;  // Transaction label, or the fault ("partition replica").
  Xid xid = 0;
  Lsn lsn;
  int64_t commit_time_us = 0;
  std::string detail;
};
const char* to_string(HistoryEvent::Type type);

// What PostgreSQL answered one step's own statement or function call: accepted, or refused with
// an ERROR (a write's INSERT, pg_switch_wal() on a standby, pg_promote() on a primary, ...).
// A step that reached no server (its node down or paused) or sends none (a partition, a wait)
// is not refused: refused means the server itself answered with an ERROR.
struct StepResult {
  int step = -1;                // Index of the scenario step.
  std::string text;             // The step as written, for reports.
  bool refused = false;         // The server answered with an ERROR.
  std::string sqlstate;         // The ERROR's SQLSTATE ("22P02"); "" when accepted.
  std::string message;          // The server's primary message; "" when accepted.
  bool timing_decides = false;  // Prediction only: timing profiles disagree; the first's answer is kept.
};

struct RunResult {
  std::string scenario;  // Scenario name.
  std::string file;
  std::string source;  // "simulator" or "postgresql".
  uint64_t seed = 0;
  std::vector<HistoryEvent> events;
  std::vector<TimelineEntry> timeline;
  std::vector<TxRecord> transactions;
  std::vector<LagMeasure> lags;
  std::vector<NodeFinal> nodes;
  std::vector<std::string> notes;  // What was lost and why, in sentences.
  std::vector<StepResult> steps;   // One per step that ran, in step order.

  const TxRecord* find_tx(const std::string& label) const;
  const StepResult* find_step(int step) const;
  const NodeFinal* find_node(const std::string& name) const;
  const LagMeasure* find_lag(const std::string& name) const;
};
using Prediction = RunResult;
using History = RunResult;

nlohmann::json to_json(const RunResult& result);
// Reads what to_json wrote; a malformed document is an error value, not an exception.
Result<RunResult> run_result_from_json(const nlohmann::json& doc);

}  // namespace replsim
