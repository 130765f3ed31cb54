// Delayed standbys: recovery_min_apply_delay (docs/model.md, "Delayed standbys"), as PostgreSQL
// 15's startup process follows it in src/backend/access/transam/xlogrecovery.c,
// recoveryApplyDelay: before it replays a commit record (XLOG_XACT_COMMIT or
// XLOG_XACT_COMMIT_PREPARED; aborts and every other record are not delayed) it waits until the
// commit's timestamp plus the delay, and every record after that commit waits with it. The
// walreceiver is another process: it goes on receiving, writing and flushing. A promotion ends
// the wait (CheckForStandbyTrigger in its loop) and everything flushed is replayed
// (Node::promote). The harness sets the same parameter in the standby's configuration.
#include <limits>

#include "sim/cluster.h"
#include "sim/node.h"
#include "sim/timing.h"

namespace replsim::sim {

bool Node::replay_received(int64_t now_epoch_us) {
  if (apply_delay_us_ <= 0) return replay_received();
  return replay_flushed(now_epoch_us);
}

std::optional<int64_t> Node::apply_due_us() const {
  if (!held_ || primary_ || !running()) return std::nullopt;
  return held_due_us_;
}

// Where replay must stop: the start of the first commit record past the replay position whose
// timestamp plus the delay lies after now (recoveryApplyDelay: "msecs <= 0" applies at once),
// else the flush position. A held commit found before is kept until its time has come, so WAL
// is scanned once, not at every arrival.
Lsn Node::delay_limit(int64_t now_epoch_us) {
  if (held_ && held_at_ >= reader_->position() && held_due_us_ > now_epoch_us) return held_at_;
  held_ = false;
  wal::WalReader scan(&wal_, reader_->position());
  wal::Record r;
  while (scan.next(&r) == wal::ReadStatus::kRecord && r.end_lsn <= flush_lsn_) {
    if (r.type != wal::RecordType::kCommit || r.commit_time_us + apply_delay_us_ <= now_epoch_us) continue;
    held_ = true;
    held_at_ = r.lsn;
    held_due_us_ = r.commit_time_us + apply_delay_us_;
    return held_at_;
  }
  return flush_lsn_;
}

void Node::start(int64_t now_epoch_us) {
  if (primary_ || apply_delay_us_ <= 0) return start();
  REPLSIM_ASSERT(run_ == RunState::kCrashed || run_ == RunState::kStopped, "start follows crash or stop");
  ++incarnation_;
  rebuild_delayed(now_epoch_us);
  run_ = RunState::kRunning;
}

// Crash recovery of a delayed standby: the WAL ends at its last valid record, as for any node;
// replay then goes as far as the delay allows. (Before it is consistent PostgreSQL does not
// delay, but every commit before the old replay position was already due when it was replayed.)
void Node::rebuild_delayed(int64_t now_epoch_us) {
  wal::WalReader end_scan(&wal_, wal_.oldest_lsn());
  wal::Record r;
  while (end_scan.next(&r) == wal::ReadStatus::kRecord) {
  }
  const Lsn end = end_scan.position();
  wal_.truncate_from(end);
  write_lsn_ = flush_lsn_ = end;
  held_ = false;
  store_ = std::make_unique<wal::MemoryStore>();
  reader_ = std::make_unique<wal::WalReader>(&wal_, wal_.oldest_lsn());
  engine_ = std::make_unique<wal::ReplayEngine>(store_.get());
  engine_->replay(*reader_, delay_limit(now_epoch_us));
}

// The startup process wakes when the held commit is due (WaitLatch with the remaining time):
// one timer per standby and due time.
void Cluster::schedule_delayed_replay(int l) {
  const int sn = links_[static_cast<size_t>(l)]->standby();
  const Node& standby = *nodes_[static_cast<size_t>(sn)];
  const std::optional<int64_t> due = standby.apply_due_us();
  if (!due) return;
  auto [it, fresh] = delay_timers_.emplace(sn, *due);
  if (!fresh && it->second == *due) return;
  it->second = *due;
  world_.after(std::max<int64_t>(0, *due - (now_epoch_us())), [this, l] { schedule_replay(l); });
}

// A standby whose replay the delay holds until later than the harness's final look (it gives a
// standby a second to replay what it received): its unreplayed WAL stays where it is.
bool Cluster::delay_holds_past_end(const Node& standby) const {
  const std::optional<int64_t> due = standby.apply_due_us();
  return due && *due > now_epoch_us() + kFinalLookUs;
}

}  // namespace replsim::sim
