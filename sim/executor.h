// Executor: turns one scenario write step into the row changes PostgreSQL would make, read
// against a node's current rows, or the error PostgreSQL would raise (NOT NULL, foreign
// keys, bad integers, TRUNCATE of a referenced table without CASCADE). Rows are row images
// (wal/row_image.h) of every column but "id"; "id" is the row's key.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sim/wal/log_format.h"
#include "sim/wal/store.h"
#include "vocab/dataset.h"
#include "vocab/scenario.h"

namespace replsim::sim {

struct RowChange {
  wal::RecordType type = wal::RecordType::kInsert;  // Insert, update, delete or truncate.
  wal::TableId table = 0;
  uint64_t key = 0;
  std::string row;                      // Insert, update: the new row image.
  std::vector<wal::TableId> truncated;  // Truncate: every table it empties.
};

// The four kinds of row change a transaction makes, and the WAL record type of each. One
// exhaustive switch over the record types (row_op) serves every place that applies row changes:
// the writer, the undo of a waiting commit, a naive copy's replay.
enum class RowOp { kInsert, kUpdate, kDelete, kTruncate };
// REQUIRES: `type` is a row change (insert, update, delete or truncate).
RowOp row_op(wal::RecordType type);

struct ExecutionResult {
  bool ok = true;
  std::string error;     // PostgreSQL's complaint when !ok.
  std::string sqlstate;  // Its SQLSTATE when !ok ("23503", ...).
  // When ok, the transaction's changes. When not, those WAL-logged before the error (the
  // heap changes an AFTER trigger's foreign key check then rejects): the aborted transaction
  // writes them and its abort record.
  std::vector<RowChange> changes;
  // !ok only: the statement had an XID when it failed (it logged changes, or an
  // AccessExclusiveLock for standbys), so its abort is WAL-logged (xact.c, RecordTransactionAbort).
  bool aborted_with_xid = false;
};

// Table ids: the data set's tables in order, then the marker table replsim_tx.
wal::TableId table_id(const Dataset& dataset, const std::string& table);
wal::TableId marker_table_id(const Dataset& dataset);

class Executor {
 public:
  // `dataset` and `store` must outlive this executor.
  Executor(const Dataset& dataset, const wal::Store& store) : dataset_(dataset), store_(store) {}

  // `next_id` holds each table's serial sequence; inserts draw from it (and keep what they
  // drew even if the transaction fails, as nextval() does).
  // REQUIRES: step is an insert, update, delete or truncate on a table of the data set.
  ExecutionResult execute(const Step& step, std::map<std::string, uint64_t>& next_id) const;

  // Keys of the rows an update or delete `step` matches in the store (its WHERE clause).
  // REQUIRES: step is an update or delete on a table of the data set.
  std::vector<uint64_t> keys_matching(const Step& step) const {
    return matching(*dataset_.find_table(step.table), step.where);
  }

  // The row image of the initial row `values` (every column but id) of `table`.
  static std::string initial_row(const std::vector<std::string>& values);

 private:
  struct Write;  // execute's visitor (vocab/step_visitor.h): one on_<kind> per step kind.

  ExecutionResult insert(const Step& step, const TableSpec& table, std::map<std::string, uint64_t>& next_id) const;
  ExecutionResult update(const Step& step, const TableSpec& table) const;
  ExecutionResult erase(const Step& step, const TableSpec& table) const;
  ExecutionResult truncate(const Step& step, const TableSpec& table) const;

  // Keys of the rows of `table` matching every `where` equality (values already converted by
  // bind()).
  std::vector<uint64_t> matching(const TableSpec& table,
                                 const std::vector<std::pair<std::string, std::string>>& where) const;
  // Whether `row` (every column but id, canonical values) satisfies NOT NULL (ExecConstraints,
  // before the heap changes), and its foreign keys (RI_FKey_check, an AFTER trigger that fires
  // at the end of the statement, after the heap changes were WAL-logged).
  ExecutionResult check_not_null(const TableSpec& table, const std::vector<std::string>& row) const;
  ExecutionResult check_foreign_keys(const TableSpec& table, const std::vector<std::string>& row) const;
  bool referenced(const TableSpec& table, uint64_t key, std::string* by) const;

  const Dataset& dataset_;
  const wal::Store& store_;
};

}  // namespace replsim::sim
