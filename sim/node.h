// Node: one PostgreSQL server's durable and visible state: its pg_wal (a SegmentStore of
// real WAL bytes), the rows its startup process or its own backends made visible (a
// MemoryStore fed by the replay core), and its positions. A primary appends through a
// WalWriter and replays its own WAL for visibility; a standby writes what it receives,
// flushes it and replays it. Crash keeps flushed WAL and loses the rest; start replays the
// flushed WAL from the beginning (crash recovery). Who talks to whom lives in Cluster.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "sim/wal/memory_store.h"
#include "sim/wal/recovery_target.h"
#include "sim/wal/replay_engine.h"
#include "sim/wal/segment_store.h"
#include "sim/wal/wal_reader.h"
#include "sim/wal/wal_writer.h"
#include "vocab/dataset.h"
#include "vocab/lsn.h"

namespace replsim::sim {

struct InitialData;

// A copy of the bytes of `from` in [from.oldest_lsn(), end): what a backup or a file copy takes.
wal::SegmentStore copy_wal(const wal::SegmentStore& from, Lsn end);

enum class RunState { kRunning, kPaused, kCrashed, kStopped, kWiped };
const char* to_string(RunState state);

class Node {
 public:
  // `dataset` must outlive the node.
  Node(std::string name, bool primary, uint64_t segment_size, const Dataset& dataset);

  const std::string& name() const { return name_; }
  bool is_primary() const { return primary_; }
  RunState run_state() const { return run_; }
  bool running() const { return run_ == RunState::kRunning; }
  TimelineId timeline() const { return timeline_; }
  // Whether the node's rows can be read (running, not paused, not down).
  bool observable() const { return running(); }

  // Positions. Primary: insert (end of WAL written) and flush. Standby: write (received and
  // written), flush and replay. REQUIRES for each: replay <= flush <= write/insert.
  Lsn insert_lsn() const;
  Lsn write_lsn() const { return primary_ ? insert_lsn() : write_lsn_; }
  Lsn flush_lsn() const { return flush_lsn_; }
  Lsn replay_lsn() const { return engine_ ? engine_->replay_lsn() : flush_lsn_; }

  const wal::SegmentStore& wal() const { return wal_; }
  const wal::MemoryStore& store() const { return *store_; }

  // --- Primary. REQUIRES: is_primary() && running().
  wal::WalWriter& writer();
  Xid assign_xid() { return next_xid_++; }
  std::map<std::string, uint64_t>& sequences() { return sequences_; }
  uint64_t next_marker_key() { return next_marker_key_++; }
  // Makes everything appended so far visible on this node (its own backends see their commits).
  void make_visible();
  // XLogFlush: the WAL up to `lsn` (at most insert_lsn()) is durable.
  void flush_to(Lsn lsn);

  // --- Standby. REQUIRES: !is_primary() && running().
  // The walreceiver's write and flush of bytes starting at `lsn`; bytes it already has are
  // skipped. Returns false (writing nothing) if `lsn` lies beyond write_lsn() (a gap).
  bool receive(Lsn lsn, std::string_view bytes);
  // The startup process replays everything flushed, unless its replay is paused. Returns true
  // if replay_lsn moved.
  bool replay_received();
  // pg_wal_replay_pause() / pg_wal_replay_resume(): the walreceiver goes on receiving and
  // flushing; the startup process replays nothing until resumed. The state lives in shared
  // memory: crash, stop and promotion end it (replay_control.cc).
  void pause_replay() { replay_paused_ = true; }
  void resume_replay() { replay_paused_ = false; }
  bool replay_paused() const { return replay_paused_; }
  // recovery_min_apply_delay (docs/model.md, "Delayed standbys"; sim/apply_delay.cc): 0 = off.
  // With a delay, replay_received(now) stops before the first commit record whose timestamp plus
  // the delay lies after `now_epoch_us` (xlogrecovery.c, recoveryApplyDelay); what follows waits.
  void set_apply_delay(int64_t us) { apply_delay_us_ = us; }
  int64_t apply_delay_us() const { return apply_delay_us_; }
  bool replay_received(int64_t now_epoch_us);
  // When the commit record replay is held before may be applied (epoch microseconds), if the
  // delay holds replay back; nullopt when replay has reached everything flushed.
  std::optional<int64_t> apply_due_us() const;
  // start() of a delayed standby: crash recovery replays the flushed WAL up to the first commit
  // the delay still holds at `now_epoch_us`.
  void start(int64_t now_epoch_us);

  // --- Faults and operations.
  void pause() { run_ = RunState::kPaused; }
  void resume() { run_ = RunState::kRunning; }
  // Process death: the unflushed tail of the WAL and all visible state are gone.
  void crash();
  // The disk stops completing flushes (fsync never returns): flush_lsn stays where it is while
  // writes go on reaching the OS. A standby's walreceiver writes its next batch, reports it and
  // is then stuck in that batch's fsync. Only an operating-system crash ends a stall.
  void stall_disk() { disk_stalled_ = true; }
  bool disk_stalled() const { return disk_stalled_; }
  bool walreceiver_stuck() const { return walreceiver_stuck_; }
  // Operating-system crash: what crash() loses (which, with a stalled disk, is every write
  // since the stall) and the stall itself ends with the reboot.
  void os_crash();
  // Clean shutdown. REQUIRES: the caller has flushed what it wanted to keep.
  void stop();
  void wipe();
  // Starts a stopped or crashed node: crash recovery replays the flushed WAL from the start.
  void start();
  // Ends recovery: replays everything flushed, drops unfinished transactions and whatever
  // follows the last complete record, switches to `new_timeline` and writes the
  // end-of-recovery checkpoint. Returns the switch point (where the new timeline begins).
  Lsn promote(TimelineId new_timeline, int64_t time_us);

  // Observation. REQUIRES: observable().
  bool has_label(const std::string& label) const;
  int64_t row_count(const std::string& table) const;

  // How many times the node has started: events of an earlier incarnation are ignored.
  uint64_t incarnation() const { return incarnation_; }

  // --- Checkpoints and WAL retention.
  // CHECKPOINT on a running primary: writes the record, flushes it and makes it pg_control's
  // checkpoint (the redo point is the record itself: nothing else runs concurrently).
  Lsn checkpoint(int64_t time_us);
  Lsn last_checkpoint() const { return last_checkpoint_; }
  // Segments before this were removed at a checkpoint: no walsender can send from them. (The
  // bytes stay in wal() because the model's data files are the replay of the WAL from its start.)
  Lsn wal_removed_before() const { return removed_before_; }
  void remove_wal_before(Lsn lsn) { removed_before_ = std::max(removed_before_, lsn); }
  wal::SegmentStore copy_wal(Lsn end) const { return sim::copy_wal(wal_, end); }

  // --- Archive recovery (a node restored from a base backup). REQUIRES: a fresh standby node.
  // Replays `wal` from its start: up to `redo` as the backup's data files, then towards `target`.
  wal::StopInfo recover(wal::SegmentStore wal, Lsn redo, const wal::RecoveryTarget& target);
  // In archive recovery without an upstream: paused at its target, or shut down there.
  bool restoring() const { return restoring_; }
  // A started naive copy: a running primary over `wal` (cut at `end`, whose last record starts
  // at `last_record`) holding `rows`, which crash recovery of the copy produced. The rows are
  // not the replay of the WAL: a torn copy is exactly that (naive_copy.h).
  void adopt_copy(wal::SegmentStore wal, Lsn end, Lsn last_record, Xid next_xid,
                  std::unique_ptr<wal::MemoryStore> rows);

  // Loads the initial rows as one transaction (the harness loads them before cloning).
  // REQUIRES: a fresh primary.
  void load_initial_data(int64_t time_us);
  // Makes a fresh standby a copy of `primary`'s flushed WAL, replayed (pg_basebackup).
  void clone_from(const Node& primary);
  // initial_data.cc: load_initial_data(kEpochUs)'s result, saved; a fresh primary given it; and
  // clone_from(primary) of a primary that holds only it.
  static InitialData make_initial_data(const Dataset& dataset, uint64_t segment_size);
  void load_initial_data(const InitialData& saved);
  void clone_from(const Node& primary, const InitialData& saved);

 private:
  void rebuild_from_wal();
  void init_sequences();

  std::string name_;
  bool primary_;
  const Dataset& dataset_;
  RunState run_ = RunState::kRunning;
  TimelineId timeline_ = 1;
  wal::SegmentStore wal_;
  std::unique_ptr<wal::WalWriter> writer_;
  std::unique_ptr<wal::MemoryStore> store_;
  std::unique_ptr<wal::WalReader> reader_;
  std::unique_ptr<wal::ReplayEngine> engine_;
  Lsn write_lsn_, flush_lsn_;
  Xid next_xid_ = 0;
  std::map<std::string, uint64_t> sequences_;
  uint64_t next_marker_key_ = 1;
  uint64_t incarnation_ = 0;
  Lsn last_checkpoint_;  // pg_control's checkpoint: durable, kept through crashes.
  Lsn removed_before_;
  bool restoring_ = false;
  bool disk_stalled_ = false;
  bool walreceiver_stuck_ = false;
  bool replay_paused_ = false;
  // Delayed standbys (sim/apply_delay.cc).
  Lsn delay_limit(int64_t now_epoch_us);
  bool replay_flushed(std::optional<int64_t> delay_now);
  void rebuild_delayed(int64_t now_epoch_us);
  int64_t apply_delay_us_ = 0;
  bool held_ = false;        // Replay waits before the commit record at held_at_.
  Lsn held_at_;              // Its start.
  int64_t held_due_us_ = 0;  // Its timestamp plus the delay.
};

}  // namespace replsim::sim
