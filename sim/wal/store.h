// Store: where replay puts rows. The ReplayEngine applies each committed transaction as one
// batch: begin_batch(), apply_changes() with its changes in order, then commit_batch().
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "sim/wal/log_format.h"
#include "vocab/lsn.h"
#include "vocab/status.h"

namespace replsim::wal {

// One change of a committed transaction, as ReplayEngine hands it to Store::apply_changes().
struct RowChange {
  const char* row;  // Insert, update: the row image; valid during the call only.
  uint64_t key;     // Insert, update, delete.
  uint32_t row_size;
  TableId table;
  RecordType type;  // kInsert, kUpdate, kDelete or kTruncate.

  std::string_view row_view() const { return {row, row_size}; }
};

class Store {
 public:
  virtual ~Store() = default;

  // One committed transaction's changes arrive between these two calls.
  virtual void begin_batch() {}
  // `commit_lsn` is the start of the commit record. A durable store makes the batch atomic here.
  virtual Status commit_batch(Xid xid, Lsn commit_lsn) {
    (void)xid;
    (void)commit_lsn;
    return Status::Ok();
  }

  // A hint that a change of this row (kInsert, kUpdate or kDelete) comes soon. The ReplayEngine
  // calls it a few records before it buffers the change, so by the time the commit record
  // arrives what applying it touches is in cache.
  virtual void prefetch(TableId table, uint64_t key, RecordType change) const {
    (void)table;
    (void)key;
    (void)change;
  }

  // One committed transaction's changes, in order, between begin_batch() and commit_batch().
  // The default calls put, erase or truncate for each; a store may do it in one pass.
  virtual void apply_changes(std::span<const RowChange> changes) {
    for (const RowChange& c : changes) {
      switch (c.type) {
        case RecordType::kInsert:
        case RecordType::kUpdate: put(c.table, c.key, c.row_view()); break;
        case RecordType::kDelete: erase(c.table, c.key); break;
        case RecordType::kTruncate: truncate(c.table); break;
        default: break;  // The engine buffers nothing else.
      }
    }
  }

  // Insert or replace.
  virtual void put(TableId table, uint64_t key, std::string_view row) = 0;
  virtual void erase(TableId table, uint64_t key) = 0;  // No-op if absent.
  virtual void truncate(TableId table) = 0;

  // Ok with *row set, NotFound, or an IoError for a durable store.
  virtual Status get(TableId table, uint64_t key, std::string* row) const = 0;
  virtual uint64_t count(TableId table) const = 0;
  // Visits rows in ascending key order.
  virtual Status for_each(TableId table, const std::function<void(uint64_t key, std::string_view row)>& fn) const = 0;
};

}  // namespace replsim::wal
