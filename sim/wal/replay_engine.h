// ReplayEngine: applies WAL records to a Store the way PostgreSQL's startup process does for
// rows: a transaction's changes are held until its commit record, dropped at its abort (or at
// the end of recovery), and applied in commit order; replay stops at a RecoveryTarget.
#pragma once

#include <absl/container/flat_hash_map.h>

#include <array>
#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "sim/wal/record.h"
#include "sim/wal/recovery_target.h"
#include "sim/wal/store.h"
#include "sim/wal/wal_reader.h"

namespace replsim::wal {

class MemoryStore;

// Why ReplayEngine::replay() returned.
enum class ReplayStop {
  kTargetReached,  // stop_info() says where; the engine takes no more records.
  kEndOfWal,       // The reader has no complete record yet; call again when more WAL arrives.
  kCorrupt,        // The reader found an invalid record (reader.corruption()); PostgreSQL treats
                   // this as the end of valid WAL.
  kUpTo,           // replay_lsn() reached the requested `up_to`.
  kStoreError,     // The store failed to commit a batch; see store_status().
};

class ReplayEngine {
 public:
  // `store` must outlive this engine.
  explicit ReplayEngine(Store* store, RecoveryTarget target = RecoveryTarget::none());

  // Replays one record. Returns false when replay has stopped (the target was reached, before
  // or after this record, or the store failed); later calls then do nothing and return false.
  // REQUIRES: records arrive in WAL order, each starting where the previous one ended.
  bool apply(const Record& r);

  // Reads and applies records until the target, the end of valid WAL, or replay_lsn() >= up_to.
  ReplayStop replay(WalReader& reader, Lsn up_to = Lsn{std::numeric_limits<uint64_t>::max()});

  // End of recovery (or promotion): drops still-open transactions. If a target was set and not
  // reached, stop_info().reason says so as PostgreSQL does. Returns stop_info().
  const StopInfo& finish();

  bool stopped() const { return stopped_; }
  const StopInfo& stop_info() const { return stop_; }
  const Status& store_status() const { return store_status_; }

  Lsn replay_lsn() const { return replay_lsn_; }     // End of the last replayed record.
  Lsn last_record_lsn() const { return last_lsn_; }  // Start of the last replayed record.
  uint64_t records_applied() const { return records_applied_; }
  uint64_t commits_applied() const { return commits_applied_; }
  uint64_t aborts_applied() const { return aborts_applied_; }
  Xid last_commit_xid() const { return last_commit_xid_; }
  int64_t last_commit_time_us() const { return last_commit_time_us_; }
  size_t open_transactions() const { return open_count_; }
  bool consistent() const { return consistent_; }

 private:
  // A transaction's buffered changes: a plain growable array whose append is a compare and a
  // store, inlined where changes are buffered (std::vector's emplace_back was a call per change,
  // 10% of replay).
  class ChangeBuffer {
   public:
    void push_back(const RowChange& c) {
      if (size_ == capacity_) [[unlikely]]
        grow();
      data_[size_++] = c;
    }
    RowChange& operator[](size_t i) { return data_[i]; }
    size_t size() const { return size_; }
    void clear() { size_ = 0; }
    std::span<const RowChange> span() const { return {data_.get(), size_}; }

   private:
    void grow();
    std::unique_ptr<RowChange[]> data_;
    uint32_t size_ = 0;
    uint32_t capacity_ = 0;
  };

  // Pending transactions are pooled: their buffers keep capacity, so steady-state replay
  // allocates nothing. A change read by replay() points at its row in the WAL segment (resident
  // and unchanged while replay() runs), so buffering copies nothing; before replay() returns,
  // own_borrowed_rows() copies the rows of still-open transactions into `bytes`. A change from
  // apply() is copied at once. Copied rows are found through `owned` (change index, offset into
  // `bytes`), because `bytes` may move while it grows; their pointers are set at the commit.
  struct PendingTxn {
    Xid xid = 0;  // 0 while the entry is free.
    ChangeBuffer changes;
    std::string bytes;
    std::vector<std::pair<uint32_t, uint32_t>> owned;
  };

  PendingTxn& pending(Xid xid);
  PendingTxn& pending_slow(Xid xid);
  // Index into pool_ of the open transaction `xid`, or -1 if it has buffered nothing.
  int64_t find_open(Xid xid) const;
  void close(Xid xid, uint32_t index);
  void buffer_change(const Record& r);
  void buffer_view(const RecordView& v);
  void end_transaction(Xid xid, Lsn lsn, int64_t time_us, bool commit);
  // The same with the store's type known: for a MemoryStore (final) every store call is direct
  // and inlined (the virtual calls, with their register saves, cost ~30 instructions a record).
  template <typename S>
  void end_transaction_in(S& store, Xid xid, Lsn lsn, int64_t time_us, bool commit);
  template <typename S>
  size_t apply_batch_to(S& store, std::span<const RecordView> batch);
  // Applies a batch from WalReader::next_batch(); returns how many records it took (fewer than
  // the batch when replay stopped part-way: a recovery target, or a store error).
  size_t apply_batch(std::span<const RecordView> batch);
  size_t apply_batch_with_target(std::span<const RecordView> batch);
  ReplayStop replay_records(WalReader& reader, Lsn up_to);
  void own_borrowed_rows();
  bool stops_before(const Record& r);
  bool stops_after(const Record& r);
  void stop(const Record& r, bool after, std::string reason);

  Store* store_;
  MemoryStore* memory_store_;  // store_ when it is a MemoryStore, else null.
  RecoveryTarget target_;
  bool stopped_ = false;
  bool consistent_ = false;
  bool started_ = false;
  StopInfo stop_;
  Status store_status_;

  // Open transactions by xid: a direct-mapped table on the xid's low bits, since PostgreSQL
  // hands out xids in order and the few transactions open at once rarely share a slot; those
  // that do go to `overflow_`. Looking up a change's transaction is then two loads, where a hash
  // map lookup per change (and an insert and an erase per transaction) was 15% of replay.
  static constexpr size_t kXidSlots = 256;
  std::array<uint32_t, kXidSlots> xid_slots_{};  // pool_ index + 1; 0 when empty.
  absl::flat_hash_map<Xid, uint32_t> overflow_;  // xid -> pool_ index.
  size_t open_count_ = 0;
  std::vector<PendingTxn> pool_;
  std::vector<uint32_t> free_;
  bool borrowed_ = false;  // Some pending change points into the WAL.

  Lsn replay_lsn_;
  Lsn last_lsn_;
  uint64_t records_applied_ = 0;
  uint64_t commits_applied_ = 0;
  uint64_t aborts_applied_ = 0;
  Xid last_commit_xid_ = 0;
  int64_t last_commit_time_us_ = 0;
};

}  // namespace replsim::wal
