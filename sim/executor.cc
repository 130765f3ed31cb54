#include "sim/executor.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <optional>

#include "sim/value_input.h"
#include "sim/wal/row_image.h"
#include "vocab/assert.h"
#include "vocab/step_visitor.h"

namespace replsim::sim {

RowOp row_op(wal::RecordType type) {
  switch (type) {
    case wal::RecordType::kInsert: return RowOp::kInsert;
    case wal::RecordType::kUpdate: return RowOp::kUpdate;
    case wal::RecordType::kDelete: return RowOp::kDelete;
    case wal::RecordType::kTruncate: return RowOp::kTruncate;
    case wal::RecordType::kCommit:
    case wal::RecordType::kAbort:
    case wal::RecordType::kRestorePoint:
    case wal::RecordType::kSwitch:
    case wal::RecordType::kCheckpoint:
    case wal::RecordType::kBackupStart:
    case wal::RecordType::kBackupEnd: break;
  }
  REPLSIM_ASSERT(false, "only row changes have a RowOp");
  return RowOp::kInsert;
}
namespace {

bool parse_int(const std::string& s, int64_t* out) {
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

using Pairs = std::vector<std::pair<std::string, std::string>>;

std::vector<std::string> decode(std::string_view image) {
  auto cols = wal::decode_row(image);
  REPLSIM_ASSERT(cols.ok(), "rows in a store are well-formed row images");
  return std::vector<std::string>(cols->begin(), cols->end());
}

// Index of `column` in a row image (which leaves out id), or -1 for id.
int image_index(const TableSpec& table, const std::string& column) {
  for (size_t i = 0; i < table.columns.size(); ++i)
    if (table.columns[i].name == column) return static_cast<int>(i) - 1;
  REPLSIM_ASSERT(false, "columns were checked by the scenario parser");
  return -1;
}

ExecutionResult failure(std::string sqlstate, std::string error) {
  return ExecutionResult{false, std::move(error), std::move(sqlstate), {}};
}
ExecutionResult failure(const InputValue& v) { return failure(v.sqlstate, v.message); }

// A statement's result once its AFTER triggers ran: `error` if one failed (then the changes
// made before it were WAL-logged and are aborted with it), else `done`.
ExecutionResult after_triggers(ExecutionResult error, ExecutionResult done) {
  if (error.ok) return done;
  error.changes = std::move(done.changes);
  error.aborted_with_xid = !error.changes.empty();
  return error;
}

// A column named twice: INSERT's column list (analyze.c checkInsertTargets: 42701
// duplicate_column) or UPDATE's SET (rewriteHandler.c process_matched_tle: 42601 syntax_error).
// Parse analysis raises it before any value is read.
std::optional<ExecutionResult> named_twice(const Pairs& columns, bool insert) {
  for (size_t i = 0; i < columns.size(); ++i)
    for (size_t j = 0; j < i; ++j) {
      if (columns[i].first != columns[j].first) continue;
      if (insert) return failure("42701", fmt::format("column \"{}\" specified more than once", columns[i].first));
      return failure("42601", fmt::format("multiple assignments to same column \"{}\"", columns[i].first));
    }
  return std::nullopt;
}

// Bind: every parameter goes through its column type's input function, in parameter order (the
// values, then the WHERE values), before the statement runs. `converted_where`, if not null,
// receives the WHERE values converted.
std::optional<ExecutionResult> bind(const TableSpec& table, const Pairs& values, const Pairs& where,
                                    Pairs* converted_where) {
  for (const auto& [column, value] : values) {
    const InputValue v = column_input(*table.find_column(column), value, InputUse::kCompared);
    if (!v.ok) return failure(v);
  }
  for (const auto& [column, value] : where) {
    const InputValue v = column_input(*table.find_column(column), value, InputUse::kCompared);
    if (!v.ok) return failure(v);
    if (converted_where != nullptr) converted_where->emplace_back(column, v.value);
  }
  return std::nullopt;
}

// The row's new values as the target list coerces them to the columns' types (numeric's typmod),
// in the table's column order.
std::optional<ExecutionResult> assign(const TableSpec& table, const Pairs& values, std::vector<std::string>& row) {
  for (size_t i = 1; i < table.columns.size(); ++i) {
    for (const auto& [column, value] : values) {
      if (column != table.columns[i].name) continue;
      const InputValue v = column_input(table.columns[i], value, InputUse::kStored);
      if (!v.ok) return failure(v);
      row[i - 1] = v.value;
    }
  }
  return std::nullopt;
}

}  // namespace

wal::TableId table_id(const Dataset& dataset, const std::string& table) {
  for (size_t i = 0; i < dataset.tables.size(); ++i)
    if (dataset.tables[i].name == table) return static_cast<wal::TableId>(i);
  REPLSIM_ASSERT(false, "tables were checked by the scenario parser");
  return 0;
}

wal::TableId marker_table_id(const Dataset& dataset) { return static_cast<wal::TableId>(dataset.tables.size()); }

std::string Executor::initial_row(const std::vector<std::string>& values) { return wal::encode_row(values); }

// The four write kinds run on the table; every other kind is the caller's mistake.
struct Executor::Write {
  const Executor& executor;
  const TableSpec& table;
  std::map<std::string, uint64_t>& next_id;

  ExecutionResult on_insert(const Step& step) const { return executor.insert(step, table, next_id); }
  ExecutionResult on_update(const Step& step) const { return executor.update(step, table); }
  ExecutionResult on_delete(const Step& step) const { return executor.erase(step, table); }
  ExecutionResult on_truncate(const Step& step) const { return executor.truncate(step, table); }
  static ExecutionResult not_a_write() {
    REPLSIM_ASSERT(false, "only write steps execute");
    return failure("", "not a write");
  }
  ExecutionResult on_mark(const Step&) const { return not_a_write(); }
  ExecutionResult on_catchup(const Step&) const { return not_a_write(); }
  ExecutionResult on_wait(const Step&) const { return not_a_write(); }
  ExecutionResult on_check_lag(const Step&) const { return not_a_write(); }
  ExecutionResult on_cancel(const Step&) const { return not_a_write(); }
  ExecutionResult on_terminate(const Step&) const { return not_a_write(); }
  ExecutionResult on_reload(const Step&) const { return not_a_write(); }
  ExecutionResult on_pause(const Step&) const { return not_a_write(); }
  ExecutionResult on_resume(const Step&) const { return not_a_write(); }
  ExecutionResult on_partition(const Step&) const { return not_a_write(); }
  ExecutionResult on_heal(const Step&) const { return not_a_write(); }
  ExecutionResult on_crash(const Step&) const { return not_a_write(); }
  ExecutionResult on_stop(const Step&) const { return not_a_write(); }
  ExecutionResult on_start(const Step&) const { return not_a_write(); }
  ExecutionResult on_wipe(const Step&) const { return not_a_write(); }
  ExecutionResult on_promote(const Step&) const { return not_a_write(); }
  ExecutionResult on_base_backup(const Step&) const { return not_a_write(); }
  ExecutionResult on_switch_wal(const Step&) const { return not_a_write(); }
  ExecutionResult on_restore_point(const Step&) const { return not_a_write(); }
  ExecutionResult on_restore(const Step&) const { return not_a_write(); }
  ExecutionResult on_checkpoint(const Step&) const { return not_a_write(); }
  ExecutionResult on_naive_copy(const Step&) const { return not_a_write(); }
  ExecutionResult on_break_archive(const Step&) const { return not_a_write(); }
  ExecutionResult on_repair_archive(const Step&) const { return not_a_write(); }
  ExecutionResult on_stall_disk(const Step&) const { return not_a_write(); }
  ExecutionResult on_os_crash(const Step&) const { return not_a_write(); }
  ExecutionResult on_pause_replay(const Step&) const { return not_a_write(); }
  ExecutionResult on_resume_replay(const Step&) const { return not_a_write(); }
  ExecutionResult on_begin(const Step&) const { return not_a_write(); }
  ExecutionResult on_commit(const Step&) const { return not_a_write(); }
  ExecutionResult on_rollback(const Step&) const { return not_a_write(); }
};

ExecutionResult Executor::execute(const Step& step, std::map<std::string, uint64_t>& next_id) const {
  const TableSpec* table = dataset_.find_table(step.table);
  REPLSIM_ASSERT(table != nullptr, "tables were checked by the scenario parser");
  return visit_step(step, Write{*this, *table, next_id});
}

ExecutionResult Executor::check_not_null(const TableSpec& table, const std::vector<std::string>& row) const {
  for (size_t i = 1; i < table.columns.size(); ++i) {
    const ColumnSpec& c = table.columns[i];
    if (row[i - 1].empty() && c.not_null)  // "" is NULL in a row image.
      return failure("23502", fmt::format("null value in column \"{}\" of relation \"{}\" violates not-null constraint",
                                          c.name, table.name));
  }
  return ExecutionResult{};
}

ExecutionResult Executor::check_foreign_keys(const TableSpec& table, const std::vector<std::string>& row) const {
  for (size_t i = 1; i < table.columns.size(); ++i) {
    const ColumnSpec& c = table.columns[i];
    const std::string& v = row[i - 1];
    if (c.references.empty() || v.empty()) continue;
    int64_t n = 0;
    std::string ignored;
    if (!parse_int(v, &n) || n <= 0 ||
        !store_.get(table_id(dataset_, c.references), static_cast<uint64_t>(n), &ignored).ok())
      return failure("23503", fmt::format("insert or update on table \"{}\" violates foreign key constraint: key "
                                          "({})=({}) is not present in table \"{}\"",
                                          table.name, c.name, v, c.references));
  }
  return ExecutionResult{};
}

ExecutionResult Executor::insert(const Step& step, const TableSpec& table,
                                 std::map<std::string, uint64_t>& next_id) const {
  if (auto e = named_twice(step.values, true)) return *e;
  if (auto e = bind(table, step.values, {}, nullptr)) return *e;
  // nextval() runs in the target list, before the typmod coercion and the constraints: a row
  // that fails from here on has used its id.
  const uint64_t key = next_id[table.name]++;
  std::vector<std::string> row(table.columns.size() - 1);
  if (auto e = assign(table, step.values, row)) return *e;
  if (ExecutionResult e = check_not_null(table, row); !e.ok) return e;
  ExecutionResult r;
  r.changes.push_back(
      RowChange{wal::RecordType::kInsert, table_id(dataset_, table.name), key, wal::encode_row(row), {}});
  return after_triggers(check_foreign_keys(table, row), std::move(r));
}

std::vector<uint64_t> Executor::matching(const TableSpec& table,
                                         const std::vector<std::pair<std::string, std::string>>& where) const {
  const wal::TableId id = table_id(dataset_, table.name);
  auto matches = [&](uint64_t key, std::string_view image) {
    const std::vector<std::string> row = decode(image);
    for (const auto& [column, literal] : where) {
      const int i = image_index(table, column);
      const std::string stored = i < 0 ? std::to_string(key) : row[static_cast<size_t>(i)];
      if (!column_equal(*table.find_column(column), stored, literal)) return false;
    }
    return true;
  };
  // WHERE id = n: the id is compared as text (column_equal), so only the key that reads as n
  // can match: one lookup instead of a scan (the campaign's most common WHERE).
  for (const auto& [column, literal] : where) {
    if (image_index(table, column) >= 0) continue;
    uint64_t key = 0;
    const auto [end, ec] = std::from_chars(literal.data(), literal.data() + literal.size(), key);
    if (ec != std::errc() || end != literal.data() + literal.size() || std::to_string(key) != literal) return {};
    std::string image;
    if (!store_.get(id, key, &image).ok() || !matches(key, image)) return {};
    return {key};
  }
  std::vector<uint64_t> keys;
  (void)store_.for_each(id, [&](uint64_t key, std::string_view image) {
    if (matches(key, image)) keys.push_back(key);
  });
  return keys;
}

ExecutionResult Executor::update(const Step& step, const TableSpec& table) const {
  if (auto e = named_twice(step.values, false)) return *e;
  Pairs where;
  if (auto e = bind(table, step.values, step.where, &where)) return *e;
  ExecutionResult r;
  ExecutionResult foreign_keys;  // The first row's failure, raised once every row is updated.
  for (uint64_t key : matching(table, where)) {
    std::string image;
    (void)store_.get(table_id(dataset_, table.name), key, &image);
    std::vector<std::string> row = decode(image);
    if (auto e = assign(table, step.values, row)) return after_triggers(std::move(*e), std::move(r));
    if (ExecutionResult e = check_not_null(table, row); !e.ok) return after_triggers(std::move(e), std::move(r));
    if (foreign_keys.ok) foreign_keys = check_foreign_keys(table, row);
    r.changes.push_back(
        RowChange{wal::RecordType::kUpdate, table_id(dataset_, table.name), key, wal::encode_row(row), {}});
  }
  return after_triggers(std::move(foreign_keys), std::move(r));
}

// Whether a row of another table still points at `key` of `table` (the seed's foreign keys
// have no ON DELETE action, so such a DELETE fails).
bool Executor::referenced(const TableSpec& table, uint64_t key, std::string* by) const {
  for (const auto& other : dataset_.tables) {
    for (size_t i = 1; i < other.columns.size(); ++i) {
      if (other.columns[i].references != table.name) continue;
      bool found = false;
      (void)store_.for_each(table_id(dataset_, other.name), [&](uint64_t, std::string_view image) {
        if (!found && decode(image)[i - 1] == std::to_string(key)) found = true;
      });
      if (found) {
        *by = other.name;
        return true;
      }
    }
  }
  return false;
}

ExecutionResult Executor::erase(const Step& step, const TableSpec& table) const {
  Pairs where;
  if (auto e = bind(table, {}, step.where, &where)) return *e;
  ExecutionResult r;
  ExecutionResult foreign_keys;  // RI_FKey_noaction_del fires once every row is deleted.
  const std::vector<uint64_t> keys = matching(table, where);
  for (uint64_t key : keys) {
    std::string by;
    if (foreign_keys.ok && referenced(table, key, &by))
      foreign_keys = failure(
          "23503", fmt::format("update or delete on table \"{}\" violates foreign key constraint on table \"{}\"",
                               table.name, by));
    r.changes.push_back(RowChange{wal::RecordType::kDelete, table_id(dataset_, table.name), key, "", {}});
  }
  return after_triggers(std::move(foreign_keys), std::move(r));
}

ExecutionResult Executor::truncate(const Step& step, const TableSpec& table) const {
  const std::vector<std::string> cascade = dataset_.truncate_cascade(table.name);
  if (!step.cascade && cascade.size() > 1) {
    // ExecuteTruncate checks the foreign keys (heap_truncate_check_FKs) after taking its
    // AccessExclusiveLocks, whose WAL record for standbys (LogAccessExclusiveLock) assigned an XID.
    ExecutionResult refused = failure(
        "0A000",
        fmt::format("cannot truncate a table referenced in a foreign key constraint: table \"{}\" references \"{}\"",
                    cascade[1], table.name));
    refused.aborted_with_xid = true;
    return refused;
  }
  RowChange change{wal::RecordType::kTruncate, 0, 0, "", {}};
  for (const auto& t : cascade) change.truncated.push_back(table_id(dataset_, t));
  ExecutionResult r;
  r.changes.push_back(std::move(change));
  return r;
}

}  // namespace replsim::sim
