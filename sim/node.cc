#include "sim/node.h"

#include <algorithm>

#include "sim/executor.h"
#include "sim/wal/row_image.h"
#include "vocab/assert.h"

namespace replsim::sim {
namespace {

// Where an initdb'd cluster's WAL stands when the first scenario data goes in: PostgreSQL 15
// with 1 MB segments begins its user WAL in segment 3, a little past its start.
constexpr Lsn kFirstLsn{0x3000028};
// The first transaction id after initdb and the schema (PostgreSQL 15 is in the 730s).
constexpr Xid kFirstXid = 735;

}  // namespace

const char* to_string(RunState state) {
  switch (state) {
    case RunState::kRunning: return "running";
    case RunState::kPaused: return "paused";
    case RunState::kCrashed: return "crashed";
    case RunState::kStopped: return "stopped";
    case RunState::kWiped: return "wiped";
  }
  return "?";
}

Node::Node(std::string name, bool primary, uint64_t segment_size, const Dataset& dataset)
    : name_(std::move(name)), primary_(primary), dataset_(dataset), wal_(segment_size, 1) {
  store_ = std::make_unique<wal::MemoryStore>();
  if (primary_) {
    writer_ = std::make_unique<wal::WalWriter>(&wal_, kFirstLsn);
    reader_ = std::make_unique<wal::WalReader>(&wal_, kFirstLsn);
    engine_ = std::make_unique<wal::ReplayEngine>(store_.get());
    write_lsn_ = flush_lsn_ = kFirstLsn;
    next_xid_ = kFirstXid;
  }
}

Lsn Node::insert_lsn() const {
  if (primary_ && writer_) return writer_->end_lsn();
  return write_lsn_;
}

wal::WalWriter& Node::writer() {
  REPLSIM_ASSERT(primary_ && running() && writer_, "only a running primary writes WAL");
  return *writer_;
}

void Node::make_visible() {
  REPLSIM_ASSERT(primary_ && engine_, "only a primary's own backends make commits visible");
  const Lsn before = engine_->replay_lsn();
  engine_->replay(*reader_);
  REPLSIM_ASSERT(engine_->replay_lsn() >= before, "replay_lsn is monotonic");
  // The reader, not the engine: a fresh engine has replayed nothing yet when no record followed
  // a restart (a pg_switch_wal() at a segment boundary writes none).
  REPLSIM_ASSERT(reader_->position() == insert_lsn(), "a primary sees all its committed work");
}

void Node::flush_to(Lsn lsn) {
  REPLSIM_ASSERT(lsn <= insert_lsn(), "cannot flush WAL that was not written");
  if (disk_stalled_) return;  // XLogFlush waits in fsync.
  if (lsn > flush_lsn_) flush_lsn_ = lsn;
}

bool Node::receive(Lsn lsn, std::string_view bytes) {
  REPLSIM_ASSERT(!primary_ && running() && !walreceiver_stuck_, "only a running standby's walreceiver receives WAL");
  const Lsn end{lsn.value + bytes.size()};
  if (lsn > write_lsn_) return false;
  if (end <= write_lsn_) return true;
  const uint64_t skip = write_lsn_.value - lsn.value;
  wal_.write(write_lsn_, bytes.substr(skip));
  REPLSIM_ASSERT(end > write_lsn_, "write_lsn is monotonic");
  write_lsn_ = end;
  // The walreceiver reports the write, then flushes at the end of each batch (XLogWalRcvFlush),
  // where a stalled disk keeps it.
  if (disk_stalled_) walreceiver_stuck_ = true;
  else flush_lsn_ = write_lsn_;
  return true;
}

bool Node::replay_received() { return replay_flushed(std::nullopt); }

// Replays what was flushed; with `delay_now` (a delayed standby's now) only up to the commit
// its delay holds (delay_limit, asked only when replay is not paused: it updates the hold).
bool Node::replay_flushed(std::optional<int64_t> delay_now) {
  REPLSIM_ASSERT(!primary_ && engine_, "standbys replay");
  if (replay_paused_) return false;  // recoveryPausesHere: the startup process waits.
  const Lsn before = engine_->replay_lsn();
  engine_->replay(*reader_, delay_now ? delay_limit(*delay_now) : flush_lsn_);
  REPLSIM_ASSERT(engine_->replay_lsn() >= before, "replay_lsn is monotonic");
  REPLSIM_ASSERT(engine_->replay_lsn() <= flush_lsn_, "replay never passes flush");
  return engine_->replay_lsn() > before;
}

void Node::crash() {
  wal_.truncate_from(flush_lsn_);
  write_lsn_ = flush_lsn_;
  writer_.reset();
  engine_.reset();
  reader_.reset();
  store_ = std::make_unique<wal::MemoryStore>();
  run_ = RunState::kCrashed;
  replay_paused_ = false;  // Shared memory is gone: a restarted server replays.
  held_ = false;
}

void Node::os_crash() {
  crash();
  disk_stalled_ = walreceiver_stuck_ = false;
}

void Node::stop() {
  REPLSIM_ASSERT(flush_lsn_ == insert_lsn(), "a clean shutdown flushes everything first");
  crash();
  run_ = RunState::kStopped;
}

void Node::wipe() {
  wal_ = wal::SegmentStore(wal_.segment_size(), timeline_);
  write_lsn_ = flush_lsn_ = Lsn{};
  run_ = RunState::kWiped;
}

void Node::start() {
  REPLSIM_ASSERT(run_ == RunState::kCrashed || run_ == RunState::kStopped, "start follows crash or stop");
  ++incarnation_;
  rebuild_from_wal();
  run_ = RunState::kRunning;
}

// Crash recovery: replay the flushed WAL from its beginning into a fresh store.
void Node::rebuild_from_wal() {
  store_ = std::make_unique<wal::MemoryStore>();
  reader_ = std::make_unique<wal::WalReader>(&wal_, wal_.oldest_lsn());
  engine_ = std::make_unique<wal::ReplayEngine>(store_.get());
  engine_->replay(*reader_);
  const Lsn end = reader_->position();
  wal_.truncate_from(end);  // A torn record at the end of WAL is not WAL.
  write_lsn_ = flush_lsn_ = end;
  if (primary_) {
    // End of crash recovery: unfinished transactions are gone; a fresh engine over the same
    // store follows the primary's new WAL (a finished engine takes no more records).
    engine_->finish();
    const std::optional<Lsn> last = reader_->last_lsn();
    writer_ = std::make_unique<wal::WalWriter>(&wal_, end, last.value_or(Lsn{}));
    reader_ = std::make_unique<wal::WalReader>(&wal_, end, last);
    const Xid last_xid = engine_->last_commit_xid();
    engine_ = std::make_unique<wal::ReplayEngine>(store_.get());
    next_xid_ = std::max(kFirstXid, last_xid + 1);
    init_sequences();
  }
}
void Node::init_sequences() {
  sequences_.clear();
  for (const auto& table : dataset_.tables) {
    uint64_t max_key = 0;
    (void)store_->for_each(table_id(dataset_, table.name),
                           [&](uint64_t key, std::string_view) { max_key = std::max(max_key, key); });
    sequences_[table.name] = max_key + 1;
  }
  uint64_t max_marker = 0;
  (void)store_->for_each(marker_table_id(dataset_),
                         [&](uint64_t key, std::string_view) { max_marker = std::max(max_marker, key); });
  next_marker_key_ = max_marker + 1;
}

Lsn Node::promote(TimelineId new_timeline, int64_t time_us) {
  REPLSIM_ASSERT(!primary_ && running(), "only a running standby is promoted");
  replay_paused_ = false;  // A promote request ends a pause (recoveryPausesHere, CheckForStandbyTrigger).
  held_ = false;           // ... and the apply delay's wait (recoveryApplyDelay): all flushed is replayed.
  engine_->replay(*reader_, flush_lsn_);
  // Recovery that stopped at a target ends after the last record it replayed, not after the
  // last one it read: the new timeline overwrites the rest.
  const bool at_target = engine_->stopped();
  const Lsn end = at_target ? engine_->replay_lsn() : reader_->position();
  const Lsn prev = at_target ? engine_->last_record_lsn() : reader_->last_lsn().value_or(Lsn{});
  engine_->finish();
  const Xid last_xid = engine_->last_commit_xid();
  wal_.truncate_from(end);
  write_lsn_ = flush_lsn_ = end;
  primary_ = true;
  restoring_ = false;
  timeline_ = new_timeline;
  wal_.set_timeline(new_timeline);
  // The end-of-recovery checkpoint is the first record of the new timeline.
  writer_ = std::make_unique<wal::WalWriter>(&wal_, end, prev);
  last_checkpoint_ = writer_->checkpoint(end, time_us).lsn;
  flush_to(writer_->end_lsn());
  // A fresh engine over the same store continues from the switch point.
  reader_ = std::make_unique<wal::WalReader>(&wal_, end, prev);
  engine_ = std::make_unique<wal::ReplayEngine>(store_.get());
  make_visible();
  next_xid_ = std::max(kFirstXid, last_xid + 1);
  init_sequences();
  return end;
}

bool Node::has_label(const std::string& label) const {
  bool found = false;
  (void)store_->for_each(marker_table_id(dataset_), [&](uint64_t, std::string_view image) {
    if (!found && wal::row_column(image, 0) == label) found = true;
  });
  return found;
}

int64_t Node::row_count(const std::string& table) const {
  return static_cast<int64_t>(store_->count(table_id(dataset_, table)));
}

void Node::load_initial_data(int64_t time_us) {
  const Xid xid = assign_xid();
  for (const auto& table_rows : dataset_.rows) {
    const wal::TableId id = table_id(dataset_, table_rows.table);
    uint64_t key = 1;
    for (const auto& row : table_rows.rows) writer().insert(xid, id, key++, wal::encode_row(row));
  }
  writer().commit(xid, time_us);
  flush_to(insert_lsn());
  checkpoint(time_us);
  init_sequences();
}

Lsn Node::checkpoint(int64_t time_us) {
  const wal::Appended a = writer().checkpoint(insert_lsn(), time_us);
  flush_to(insert_lsn());
  make_visible();
  last_checkpoint_ = a.lsn;
  return a.lsn;
}

wal::SegmentStore copy_wal(const wal::SegmentStore& from, Lsn end) {
  wal::SegmentStore copy(from.segment_size(), from.timeline());
  // Segment by segment, straight from `from`'s memory: a backup copies whole 1 MB segments, and
  // going through one string of the whole range copied (and zeroed) every byte twice more.
  for (Lsn at = from.oldest_lsn(); at < end;) {
    const char* bytes = nullptr;
    const uint64_t n = std::min(from.contiguous(at, &bytes), end.value - at.value);
    REPLSIM_ASSERT(n > 0, "a copy reads only what the store holds");
    copy.write(at, std::string_view(bytes, n));
    at = Lsn{at.value + n};
  }
  return copy;
}

wal::StopInfo Node::recover(wal::SegmentStore wal, Lsn redo, const wal::RecoveryTarget& target) {
  REPLSIM_ASSERT(!primary_ && wal_.empty(), "archive recovery starts a fresh node");
  wal_ = std::move(wal);
  timeline_ = wal_.timeline();
  store_ = std::make_unique<wal::MemoryStore>();
  reader_ = std::make_unique<wal::WalReader>(&wal_, wal_.oldest_lsn());
  // The backup's data files: everything before its checkpoint's redo point.
  engine_ = std::make_unique<wal::ReplayEngine>(store_.get());
  engine_->replay(*reader_, redo);
  engine_ = std::make_unique<wal::ReplayEngine>(store_.get(), target);
  engine_->replay(*reader_);
  write_lsn_ = flush_lsn_ = reader_->position();
  last_checkpoint_ = redo;
  restoring_ = true;
  run_ = RunState::kRunning;
  wal::StopInfo info = engine_->stop_info();
  // finish() would end recovery; the caller decides what the end is (promote, pause, fail).
  if (!info.reached && target.kind != wal::RecoveryTarget::Kind::kNone)
    info.reason = "recovery ended before configured recovery target was reached";
  return info;
}

void Node::adopt_copy(wal::SegmentStore wal, Lsn end, Lsn last_record, Xid next_xid,
                      std::unique_ptr<wal::MemoryStore> rows) {
  REPLSIM_ASSERT(!primary_ || run_ == RunState::kWiped, "a copy is started in a fresh or wiped node");
  wal_ = std::move(wal);
  wal_.truncate_from(end);
  timeline_ = wal_.timeline();
  store_ = std::move(rows);
  primary_ = true;
  restoring_ = false;
  writer_ = std::make_unique<wal::WalWriter>(&wal_, end, last_record);
  reader_ = std::make_unique<wal::WalReader>(&wal_, end, last_record);
  engine_ = std::make_unique<wal::ReplayEngine>(store_.get());
  write_lsn_ = flush_lsn_ = end;
  next_xid_ = std::max(kFirstXid, next_xid);
  run_ = RunState::kRunning;
  init_sequences();
}

void Node::clone_from(const Node& primary) {
  const Lsn start = primary.wal().oldest_lsn();
  const Lsn end = primary.flush_lsn();
  wal_.write(start, primary.wal().read(start, end.value - start.value));
  write_lsn_ = flush_lsn_ = end;
  last_checkpoint_ = primary.last_checkpoint();
  reader_ = std::make_unique<wal::WalReader>(&wal_, start);
  engine_ = std::make_unique<wal::ReplayEngine>(store_.get());
  replay_received();
}

}  // namespace replsim::sim
