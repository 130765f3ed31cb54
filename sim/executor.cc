#include "sim/executor.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>

#include "sim/wal/row_image.h"
#include "vocab/assert.h"
#include "vocab/step_visitor.h"

namespace replsim::sim {
namespace {

bool parse_int(const std::string& s, int64_t* out) {
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

bool parse_number(const std::string& s, double* out) {
  if (s.empty()) return false;
  char* end = nullptr;
  *out = std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size();
}

// Equality as PostgreSQL compares a column with a literal: numerically for numbers.
bool equal_values(const ColumnSpec& column, const std::string& stored, const std::string& literal) {
  if (column.type == ColumnSpec::Type::kText || column.type == ColumnSpec::Type::kTimestamp) return stored == literal;
  double a = 0, b = 0;
  if (parse_number(stored, &a) && parse_number(literal, &b)) return a == b;
  return stored == literal;
}

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

ExecutionResult failure(std::string error) { return ExecutionResult{false, std::move(error), {}}; }

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
    return failure("not a write");
  }
  ExecutionResult on_mark(const Step&) const { return not_a_write(); }
  ExecutionResult on_catchup(const Step&) const { return not_a_write(); }
  ExecutionResult on_wait(const Step&) const { return not_a_write(); }
  ExecutionResult on_check_lag(const Step&) const { return not_a_write(); }
  ExecutionResult on_cancel(const Step&) const { return not_a_write(); }
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
};

ExecutionResult Executor::execute(const Step& step, std::map<std::string, uint64_t>& next_id) const {
  const TableSpec* table = dataset_.find_table(step.table);
  REPLSIM_ASSERT(table != nullptr, "tables were checked by the scenario parser");
  return visit_step(step, Write{*this, *table, next_id});
}

std::string Executor::check_row(const TableSpec& table, const std::vector<std::string>& row) const {
  for (size_t i = 1; i < table.columns.size(); ++i) {
    const ColumnSpec& c = table.columns[i];
    const std::string& v = row[i - 1];
    if (v.empty()) {
      if (c.not_null)
        return fmt::format("null value in column \"{}\" of relation \"{}\" violates not-null constraint", c.name,
                           table.name);
      continue;
    }
    int64_t n = 0;
    if ((c.type == ColumnSpec::Type::kInteger) && !parse_int(v, &n))
      return fmt::format("invalid input syntax for type integer: \"{}\"", v);
    if (c.references.empty()) continue;
    std::string ignored;
    if (n <= 0 || !store_.get(table_id(dataset_, c.references), static_cast<uint64_t>(n), &ignored).ok())
      return fmt::format(
          "insert or update on table \"{}\" violates foreign key constraint: key ({})=({}) is not present in table \"{}\"",
          table.name, c.name, v, c.references);
  }
  return "";
}

ExecutionResult Executor::insert(const Step& step, const TableSpec& table,
                                 std::map<std::string, uint64_t>& next_id) const {
  std::vector<std::string> row(table.columns.size() - 1);
  for (const auto& [column, value] : step.values) row[static_cast<size_t>(image_index(table, column))] = value;
  const uint64_t key = next_id[table.name]++;
  if (std::string e = check_row(table, row); !e.empty()) return failure(e);
  ExecutionResult r;
  r.changes.push_back(
      RowChange{wal::RecordType::kInsert, table_id(dataset_, table.name), key, wal::encode_row(row), {}});
  return r;
}

std::vector<uint64_t> Executor::matching(const TableSpec& table,
                                         const std::vector<std::pair<std::string, std::string>>& where) const {
  std::vector<uint64_t> keys;
  (void)store_.for_each(table_id(dataset_, table.name), [&](uint64_t key, std::string_view image) {
    const std::vector<std::string> row = decode(image);
    for (const auto& [column, literal] : where) {
      const int i = image_index(table, column);
      const std::string stored = i < 0 ? std::to_string(key) : row[static_cast<size_t>(i)];
      if (!equal_values(*table.find_column(column), stored, literal)) return;
    }
    keys.push_back(key);
  });
  return keys;
}

ExecutionResult Executor::update(const Step& step, const TableSpec& table) const {
  ExecutionResult r;
  for (uint64_t key : matching(table, step.where)) {
    std::string image;
    (void)store_.get(table_id(dataset_, table.name), key, &image);
    std::vector<std::string> row = decode(image);
    for (const auto& [column, value] : step.values) row[static_cast<size_t>(image_index(table, column))] = value;
    if (std::string e = check_row(table, row); !e.empty()) return failure(e);
    r.changes.push_back(
        RowChange{wal::RecordType::kUpdate, table_id(dataset_, table.name), key, wal::encode_row(row), {}});
  }
  return r;
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
  ExecutionResult r;
  const std::vector<uint64_t> keys = matching(table, step.where);
  for (uint64_t key : keys) {
    std::string by;
    if (referenced(table, key, &by))
      return failure(fmt::format("update or delete on table \"{}\" violates foreign key constraint on table \"{}\"",
                                 table.name, by));
    r.changes.push_back(RowChange{wal::RecordType::kDelete, table_id(dataset_, table.name), key, "", {}});
  }
  return r;
}

ExecutionResult Executor::truncate(const Step& step, const TableSpec& table) const {
  const std::vector<std::string> cascade = dataset_.truncate_cascade(table.name);
  if (!step.cascade && cascade.size() > 1)
    return failure(
        fmt::format("cannot truncate a table referenced in a foreign key constraint: table \"{}\" references \"{}\"",
                    cascade[1], table.name));
  RowChange change{wal::RecordType::kTruncate, 0, 0, "", {}};
  for (const auto& t : cascade) change.truncated.push_back(table_id(dataset_, t));
  ExecutionResult r;
  r.changes.push_back(std::move(change));
  return r;
}

}  // namespace replsim::sim
