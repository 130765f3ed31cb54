#include "wal/replay_engine.h"

#include <fmt/format.h>

#include "vocab/assert.h"

namespace replsim::wal {

ReplayEngine::ReplayEngine(Store* store, RecoveryTarget target) : store_(store), target_(std::move(target)) {}

ReplayEngine::PendingTxn& ReplayEngine::pending(Xid xid) {
  if (xid == cached_xid_) return pool_[cached_index_];
  auto [it, inserted] = open_.try_emplace(xid, 0);
  if (inserted) {
    if (free_.empty()) {
      pool_.emplace_back();
      it->second = static_cast<uint32_t>(pool_.size() - 1);
    } else {
      it->second = free_.back();
      free_.pop_back();
    }
  }
  cached_xid_ = xid;
  cached_index_ = it->second;
  return pool_[it->second];
}

void ReplayEngine::buffer_change(const Record& r) {
  PendingTxn& t = pending(r.xid);
  if (r.type == RecordType::kTruncate) {
    for (size_t i = 0; i < r.truncated_count(); ++i) {
      t.changes.push_back(Change{RecordType::kTruncate, r.truncated_table(i), 0, 0, 0});
    }
    return;
  }
  store_->prefetch(r.table_id, r.key);
  const uint32_t offset = static_cast<uint32_t>(t.bytes.size());
  REPLSIM_ASSERT(t.bytes.size() + r.row.size() < (uint64_t{1} << 32), "pending transaction over 4 GB");
  t.bytes.append(r.row.data(), r.row.size());
  t.changes.push_back(Change{r.type, r.table_id, offset, static_cast<uint32_t>(r.row.size()), r.key});
}

void ReplayEngine::end_transaction(const Record& r, bool commit) {
  if (commit) {
    ++commits_applied_;
    last_commit_xid_ = r.xid;
    last_commit_time_us_ = r.commit_time_us;
  } else {
    ++aborts_applied_;
  }
  auto it = open_.find(r.xid);
  if (it == open_.end()) return;  // A transaction that changed nothing.
  const uint32_t index = it->second;
  open_.erase(it);
  if (cached_xid_ == r.xid) cached_xid_ = 0;
  PendingTxn& t = pool_[index];
  if (commit) {
    store_->begin_batch();
    for (const Change& c : t.changes) {
      switch (c.type) {
        case RecordType::kInsert:
        case RecordType::kUpdate:
          store_->put(c.table, c.key, std::string_view(t.bytes.data() + c.row_offset, c.row_size));
          break;
        case RecordType::kDelete: store_->erase(c.table, c.key); break;
        case RecordType::kTruncate: store_->truncate(c.table); break;
        default: REPLSIM_ASSERT(false, "only data records are buffered");
      }
    }
    if (Status s = store_->commit_batch(r.xid, r.lsn); !s.ok()) store_status_ = std::move(s);
  }
  t.changes.clear();
  t.bytes.clear();
  free_.push_back(index);
}

void ReplayEngine::stop(const Record& r, bool after, std::string reason) {
  stopped_ = true;
  stop_.reached = true;
  stop_.after = after;
  stop_.lsn = r.lsn;
  stop_.reason = std::move(reason);
}

bool ReplayEngine::stops_before(const Record& r) {
  using Kind = RecoveryTarget::Kind;
  switch (target_.kind) {
    case Kind::kNone:
    case Kind::kName: return false;
    case Kind::kImmediate:
      if (consistent_ || (target_.consistency_lsn && r.lsn >= *target_.consistency_lsn)) {
        consistent_ = true;
        stop(r, false, "recovery stopping after reaching consistency");
        return true;
      }
      return false;
    case Kind::kLsn:
      if (!target_.inclusive && r.lsn >= target_.lsn) {
        stop(r, false, fmt::format("recovery stopping before WAL location (LSN) \"{}\"", r.lsn.to_string()));
        return true;
      }
      return false;
    case Kind::kXid:
    case Kind::kTime: break;
  }
  if (r.type != RecordType::kCommit && r.type != RecordType::kAbort) return false;
  bool stops_here = false;
  if (target_.kind == Kind::kXid && !target_.inclusive) stops_here = r.xid == target_.xid;
  if (target_.kind == Kind::kTime) {
    // Many transactions can share a commit time: inclusive stops after the last of them.
    stops_here = target_.inclusive ? r.commit_time_us > target_.time_us : r.commit_time_us >= target_.time_us;
  }
  if (!stops_here) return false;
  stop(r, false,
       fmt::format("recovery stopping before {} of transaction {}, time {}",
                   r.type == RecordType::kCommit ? "commit" : "abort", r.xid, format_timestamp_us(r.commit_time_us)));
  stop_.xid = r.xid;
  stop_.time_us = r.commit_time_us;
  return true;
}

bool ReplayEngine::stops_after(const Record& r) {
  using Kind = RecoveryTarget::Kind;
  if (target_.kind == Kind::kName && r.type == RecordType::kRestorePoint && r.name == target_.name) {
    stop(r, true,
         fmt::format("recovery stopping at restore point \"{}\", time {}", r.name, format_timestamp_us(r.commit_time_us)));
    stop_.time_us = r.commit_time_us;
    return true;
  }
  if (target_.kind == Kind::kLsn && target_.inclusive && r.lsn >= target_.lsn) {
    stop(r, true, fmt::format("recovery stopping after WAL location (LSN) \"{}\"", r.lsn.to_string()));
    return true;
  }
  if (target_.kind == Kind::kXid && target_.inclusive && r.xid == target_.xid &&
      (r.type == RecordType::kCommit || r.type == RecordType::kAbort)) {
    stop(r, true,
         fmt::format("recovery stopping after {} of transaction {}, time {}",
                     r.type == RecordType::kCommit ? "commit" : "abort", r.xid, format_timestamp_us(r.commit_time_us)));
    stop_.xid = r.xid;
    stop_.time_us = r.commit_time_us;
    return true;
  }
  if (target_.kind == Kind::kImmediate && consistent_) {
    stop(r, true, "recovery stopping after reaching consistency");
    return true;
  }
  return false;
}

bool ReplayEngine::apply(const Record& r) {
  if (stopped_) return false;
  REPLSIM_ASSERT(!started_ || r.lsn == replay_lsn_, "records are replayed in order, each where the last ended");
  if (target_.kind != RecoveryTarget::Kind::kNone && stops_before(r)) return false;
  switch (r.type) {
    case RecordType::kInsert:
    case RecordType::kUpdate:
    case RecordType::kDelete:
    case RecordType::kTruncate: buffer_change(r); break;
    case RecordType::kCommit: end_transaction(r, true); break;
    case RecordType::kAbort: end_transaction(r, false); break;
    case RecordType::kBackupEnd: consistent_ = true; break;
    default: break;  // Restore points, checkpoints, switches and backup starts change no rows.
  }
  started_ = true;
  replay_lsn_ = r.end_lsn;
  last_lsn_ = r.lsn;
  ++records_applied_;
  if (target_.consistency_lsn && r.end_lsn >= *target_.consistency_lsn) consistent_ = true;
  if (!store_status_.ok()) {
    stopped_ = true;
    return false;
  }
  if (target_.kind != RecoveryTarget::Kind::kNone && stops_after(r)) return false;
  return true;
}

ReplayStop ReplayEngine::replay(WalReader& reader, Lsn up_to) {
  Record r;
  while (!stopped_) {
    if (started_ && replay_lsn_ >= up_to) return ReplayStop::kUpTo;
    switch (reader.next(&r)) {
      case ReadStatus::kRecord:
        if (!apply(r)) return store_status_.ok() ? ReplayStop::kTargetReached : ReplayStop::kStoreError;
        break;
      case ReadStatus::kEndOfWal: return ReplayStop::kEndOfWal;
      case ReadStatus::kCorrupt: return ReplayStop::kCorrupt;
    }
  }
  return store_status_.ok() ? ReplayStop::kTargetReached : ReplayStop::kStoreError;
}

const StopInfo& ReplayEngine::finish() {
  open_.clear();
  cached_xid_ = 0;
  free_.clear();
  for (uint32_t i = 0; i < pool_.size(); ++i) {
    pool_[i].changes.clear();
    pool_[i].bytes.clear();
    free_.push_back(i);
  }
  if (target_.kind != RecoveryTarget::Kind::kNone && !stop_.reached) {
    stop_.reason = "recovery ended before configured recovery target was reached";
  }
  stopped_ = true;
  return stop_;
}

}  // namespace replsim::wal
