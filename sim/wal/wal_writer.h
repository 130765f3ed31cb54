// WalWriter: appends typed records to a SegmentStore, filling in lsn and prev_lsn the way
// PostgreSQL's XLogInsert links each record to the one before it.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "sim/wal/record.h"
#include "sim/wal/segment_store.h"

namespace replsim::wal {

// Where an appended record went: [lsn, end_lsn). end_lsn is where the next record starts.
struct Appended {
  Lsn lsn;
  Lsn end_lsn;
};

class WalWriter {
 public:
  // `store` must outlive this writer. The first record goes at `start`, linked to `prev_lsn`
  // (the start of the record before it, 0 for a fresh cluster).
  // REQUIRES: start is 8-byte aligned; store->empty() or store->end_lsn() == start.
  WalWriter(SegmentStore* store, Lsn start, Lsn prev_lsn = Lsn{0});

  // REQUIRES (all transactional records): xid != 0.
  Appended insert(Xid xid, TableId table, uint64_t key, std::string_view row);
  Appended update(Xid xid, TableId table, uint64_t key, std::string_view row);
  Appended erase(Xid xid, TableId table, uint64_t key);  // A kDelete record.
  Appended truncate(Xid xid, std::span<const TableId> tables);
  Appended commit(Xid xid, int64_t commit_time_us);
  Appended abort(Xid xid, int64_t abort_time_us);
  // REQUIRES: 1 <= name.size() <= kMaxRestorePointName.
  Appended restore_point(std::string_view name, int64_t time_us);
  Appended checkpoint(Lsn redo_lsn, int64_t time_us);
  Appended backup_start(Lsn redo_lsn);
  Appended backup_end(Lsn backup_start_lsn);
  // pg_switch_wal(): writes a kSwitch record and zero-pads to the next segment boundary, which
  // is the returned end_lsn. At a segment boundary already, writes nothing (as PostgreSQL does)
  // and returns {end_lsn(), end_lsn()}.
  Appended switch_segment();

  // Appends any record; lsn, prev_lsn and end_lsn of `r` are ignored and filled in.
  Appended append(const Record& r);

  Lsn end_lsn() const { return end_; }    // Where the next record will start.
  Lsn last_lsn() const { return prev_; }  // Start of the last record written (its prev link).
  SegmentStore* store() const { return store_; }

 private:
  SegmentStore* store_;
  Lsn end_;
  Lsn prev_;
  std::string buffer_;  // Reused encoding buffer: no allocation per record once warm.
};

}  // namespace replsim::wal
