#include "sim/wal/replay_engine.h"

#include <fmt/format.h>

#include <algorithm>

#include "sim/wal/memory_store.h"
#include "vocab/assert.h"

namespace replsim::wal {

ReplayEngine::ReplayEngine(Store* store, RecoveryTarget target)
    : store_(store), memory_store_(dynamic_cast<MemoryStore*>(store)), target_(std::move(target)) {}

void ReplayEngine::ChangeBuffer::grow() {
  REPLSIM_ASSERT(capacity_ < (uint32_t{1} << 30), "a transaction of over 2^30 changes");
  const uint32_t capacity = capacity_ == 0 ? 16 : capacity_ * 2;
  auto data = std::make_unique<RowChange[]>(capacity);
  std::copy(data_.get(), data_.get() + size_, data.get());
  data_ = std::move(data);
  capacity_ = capacity;
}

ReplayEngine::PendingTxn& ReplayEngine::pending(Xid xid) {
  const uint32_t slot = xid_slots_[xid % kXidSlots];
  if (slot != 0 && pool_[slot - 1].xid == xid) [[likely]]
    return pool_[slot - 1];
  return pending_slow(xid);
}

[[gnu::noinline]] ReplayEngine::PendingTxn& ReplayEngine::pending_slow(Xid xid) {
  REPLSIM_ASSERT(xid != 0, "transactional records carry a valid xid");
  // A transaction that found its slot taken lives in overflow_ until it ends, even if the slot
  // frees up meanwhile: look there first.
  if (!overflow_.empty()) {
    if (auto it = overflow_.find(xid); it != overflow_.end()) return pool_[it->second];
  }
  uint32_t index;
  if (free_.empty()) {
    pool_.emplace_back();
    index = static_cast<uint32_t>(pool_.size() - 1);
  } else {
    index = free_.back();
    free_.pop_back();
  }
  pool_[index].xid = xid;
  ++open_count_;
  uint32_t& slot = xid_slots_[xid % kXidSlots];
  if (slot == 0) {
    slot = index + 1;
  } else {
    overflow_.emplace(xid, index);
  }
  return pool_[index];
}

int64_t ReplayEngine::find_open(Xid xid) const {
  const uint32_t slot = xid_slots_[xid % kXidSlots];
  if (slot != 0 && pool_[slot - 1].xid == xid) return slot - 1;
  if (overflow_.empty()) return -1;
  auto it = overflow_.find(xid);
  return it == overflow_.end() ? -1 : it->second;
}

void ReplayEngine::close(Xid xid, uint32_t index) {
  uint32_t& slot = xid_slots_[xid % kXidSlots];
  if (slot == index + 1) {
    slot = 0;
  } else {
    overflow_.erase(xid);
  }
  PendingTxn& t = pool_[index];
  t.xid = 0;
  t.changes.clear();
  t.bytes.clear();
  t.owned.clear();
  free_.push_back(index);
  --open_count_;
}

void ReplayEngine::buffer_change(const Record& r) {
  PendingTxn& t = pending(r.xid);
  if (r.type == RecordType::kTruncate) {
    for (size_t i = 0; i < r.truncated_count(); ++i) {
      t.changes.push_back(RowChange{nullptr, 0, 0, r.truncated_table(i), RecordType::kTruncate});
    }
    return;
  }
  store_->prefetch(r.table_id, r.key, r.type);
  const uint32_t offset = static_cast<uint32_t>(t.bytes.size());
  REPLSIM_ASSERT(t.bytes.size() + r.row.size() < (uint64_t{1} << 32), "pending transaction over 4 GB");
  t.bytes.append(r.row.data(), r.row.size());
  t.owned.emplace_back(static_cast<uint32_t>(t.changes.size()), offset);
  t.changes.push_back(RowChange{nullptr, r.key, static_cast<uint32_t>(r.row.size()), r.table_id, r.type});
}

inline void ReplayEngine::buffer_view(const RecordView& v) {
  PendingTxn& t = pending(v.xid);
  const std::string_view row = v.row();
  t.changes.push_back(RowChange{row.data(), v.key(), static_cast<uint32_t>(row.size()), v.table_id, v.type});
  borrowed_ = true;
}

void ReplayEngine::own_borrowed_rows() {
  if (!borrowed_) return;
  borrowed_ = false;
  for (PendingTxn& t : pool_) {
    if (t.xid == 0) continue;  // Free.
    for (size_t i = 0; i < t.changes.size(); ++i) {
      RowChange& c = t.changes[i];
      if (c.row == nullptr) continue;  // Copied already, or no row.
      if (c.row_size > 0) {
        REPLSIM_ASSERT(t.bytes.size() + c.row_size < (uint64_t{1} << 32), "pending transaction over 4 GB");
        t.owned.emplace_back(static_cast<uint32_t>(i), static_cast<uint32_t>(t.bytes.size()));
        t.bytes.append(c.row, c.row_size);
      }
      c.row = nullptr;
    }
  }
}

void ReplayEngine::end_transaction(Xid xid, Lsn lsn, int64_t time_us, bool commit) {
  end_transaction_in(*store_, xid, lsn, time_us, commit);
}

template <typename S>
void ReplayEngine::end_transaction_in(S& store, Xid xid, Lsn lsn, int64_t time_us, bool commit) {
  if (commit) {
    ++commits_applied_;
    last_commit_xid_ = xid;
    last_commit_time_us_ = time_us;
  } else {
    ++aborts_applied_;
  }
  const int64_t found = find_open(xid);
  if (found < 0) return;  // A transaction that changed nothing.
  const uint32_t index = static_cast<uint32_t>(found);
  PendingTxn& t = pool_[index];
  if (commit) {
    for (const auto& [change, offset] : t.owned) t.changes[change].row = t.bytes.data() + offset;
    store.begin_batch();
    store.apply_changes(t.changes.span());
    if (Status s = store.commit_batch(xid, lsn); !s.ok()) [[unlikely]]
      store_status_ = std::move(s);
  }
  close(xid, index);
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
         fmt::format("recovery stopping at restore point \"{}\", time {}", r.name,
                     format_timestamp_us(r.commit_time_us)));
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
    case RecordType::kCommit: end_transaction(r.xid, r.lsn, r.commit_time_us, true); break;
    case RecordType::kAbort: end_transaction(r.xid, r.lsn, r.commit_time_us, false); break;
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

namespace {
// How many records ahead of buffering a change its row's slot is prefetched. With the commit a
// few records later still, the miss has 20 or more records' time to arrive (measured: 40 was no
// faster than 16 on the 1M-row table).
constexpr size_t kPrefetchAhead = 16;
}  // namespace

size_t ReplayEngine::apply_batch(std::span<const RecordView> batch) {
  if (stopped_) return 0;
  REPLSIM_ASSERT(!started_ || batch.front().lsn == replay_lsn_,
                 "records are replayed in order, each where the last ended");
  const size_t done = memory_store_ != nullptr ? apply_batch_to(*memory_store_, batch) : apply_batch_to(*store_, batch);
  const RecordView& last = batch[done - 1];
  started_ = true;
  replay_lsn_ = last.end_lsn();
  last_lsn_ = last.lsn;
  records_applied_ += done;
  if (target_.consistency_lsn && replay_lsn_ >= *target_.consistency_lsn) consistent_ = true;
  return done;
}

template <typename S>
size_t ReplayEngine::apply_batch_to(S& store, std::span<const RecordView> batch) {
  const size_t n = batch.size();
  auto prefetch = [&store](const RecordView& v) {
    if (v.type != RecordType::kCommit && v.type != RecordType::kAbort) store.prefetch(v.table_id, v.key(), v.type);
  };
  for (size_t i = 0; i < std::min(n, kPrefetchAhead); ++i) prefetch(batch[i]);
  for (size_t i = 0; i < n; ++i) {
    if (i + kPrefetchAhead < n) prefetch(batch[i + kPrefetchAhead]);
    const RecordView& v = batch[i];
    if (v.type == RecordType::kCommit || v.type == RecordType::kAbort) {
      end_transaction_in(store, v.xid, v.lsn, v.time_us(), v.type == RecordType::kCommit);
      if (!store_status_.ok()) [[unlikely]] {
        stopped_ = true;
        return i + 1;
      }
    } else {
      buffer_view(v);
    }
  }
  return n;
}

// With a recovery target every record is checked against it: one at a time, through apply().
size_t ReplayEngine::apply_batch_with_target(std::span<const RecordView> batch) {
  Record r;
  for (size_t i = 0; i < batch.size(); ++i) {
    const RecordView& v = batch[i];
    r = Record{};
    r.lsn = v.lsn;
    r.end_lsn = v.end_lsn();
    r.xid = v.xid;
    r.type = v.type;
    r.table_id = v.table_id;
    if (v.type == RecordType::kCommit || v.type == RecordType::kAbort) {
      r.commit_time_us = v.time_us();
    } else {
      r.key = v.key();
      r.row = v.row();
    }
    if (!apply(r)) return i + 1;  // Stopped at this record, which the reader has delivered.
  }
  return batch.size();
}

ReplayStop ReplayEngine::replay(WalReader& reader, Lsn up_to) {
  const ReplayStop why = replay_records(reader, up_to);
  // The WAL may change or be recycled once replay() returns.
  own_borrowed_rows();
  return why;
}

ReplayStop ReplayEngine::replay_records(WalReader& reader, Lsn up_to) {
  Record r;
  while (!stopped_) {
    if (started_ && replay_lsn_ >= up_to) return ReplayStop::kUpTo;
    const std::span<const RecordView> batch = reader.next_batch(up_to);
    if (!batch.empty()) {
      const size_t used = target_.kind == RecoveryTarget::Kind::kNone ? apply_batch(batch)
                                                                      : apply_batch_with_target(batch);
      reader.put_back(batch.size() - used);
      continue;
    }
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
  xid_slots_.fill(0);
  overflow_.clear();
  open_count_ = 0;
  borrowed_ = false;
  free_.clear();
  for (uint32_t i = 0; i < pool_.size(); ++i) {
    pool_[i].xid = 0;
    pool_[i].changes.clear();
    pool_[i].bytes.clear();
    pool_[i].owned.clear();
    free_.push_back(i);
  }
  if (target_.kind != RecoveryTarget::Kind::kNone && !stop_.reached) {
    stop_.reason = "recovery ended before configured recovery target was reached";
  }
  stopped_ = true;
  return stop_;
}

}  // namespace replsim::wal
