#include "sim/waiting_commit.h"

#include <fmt/format.h>

#include <charconv>
#include <functional>
#include <map>
#include <set>

#include "sim/wal/row_image.h"
#include "vocab/assert.h"

namespace replsim::sim {
namespace {

std::optional<std::string> image_of(const wal::Store& store, RowId row) {
  std::string image;
  if (!store.get(row.first, row.second, &image).ok()) return std::nullopt;
  return image;
}

// The key a foreign-key column's value names, if it is a valid positive integer.
std::optional<uint64_t> referenced_key(std::string_view value) {
  uint64_t key = 0;
  auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), key);
  if (ec != std::errc() || ptr != value.data() + value.size() || key == 0) return std::nullopt;
  return key;
}

// Column `i` (of the table's columns, 0 being id) of a row image, or "" when absent.
std::string column_of(std::string_view image, size_t i) {
  if (i == 0) return "";
  return std::string(wal::row_column(image, i - 1).value_or(""));
}

// Every foreign-key value `image` holds, as the referenced row, with the column index.
std::vector<std::pair<size_t, RowId>> references_in(const Dataset& dataset, const TableSpec& table,
                                                    std::string_view image) {
  std::vector<std::pair<size_t, RowId>> out;
  for (size_t i = 1; i < table.columns.size(); ++i) {
    if (table.columns[i].references.empty()) continue;
    if (auto key = referenced_key(column_of(image, i)))
      out.push_back({i, RowId{table_id(dataset, table.columns[i].references), *key}});
  }
  return out;
}

// The tables whose rows reference `table` (their RI triggers lock rows of it, and it of them).
std::vector<const TableSpec*> referencing(const Dataset& dataset, const std::string& table) {
  std::vector<const TableSpec*> out;
  for (const auto& other : dataset.tables)
    for (size_t i = 1; i < other.columns.size(); ++i)
      if (other.columns[i].references == table) {
        out.push_back(&other);
        break;
      }
  return out;
}

void hold_insert(const Dataset& dataset, const RowChange& c, HeldByWaitingCommit& h) {
  const TableSpec& table = dataset.tables[c.table];
  h.undo.push_back({RowId{c.table, c.key}, std::nullopt});
  h.tables.insert(c.table);
  for (const auto& [column, row] : references_in(dataset, table, c.row)) {
    h.key_share.insert(row);
    h.tables.insert(row.first);
  }
}

void hold_update(const Dataset& dataset, const wal::Store& store, const RowChange& c, HeldByWaitingCommit& h) {
  const TableSpec& table = dataset.tables[c.table];
  const std::optional<std::string> before = image_of(store, RowId{c.table, c.key});
  h.undo.push_back({RowId{c.table, c.key}, before});
  h.updated.insert(RowId{c.table, c.key});
  h.tables.insert(c.table);
  // RI_FKey_check runs on an update only when the foreign key changed.
  for (const auto& [column, row] : references_in(dataset, table, c.row)) {
    if (before && column_of(*before, column) == column_of(c.row, column)) continue;
    h.key_share.insert(row);
    h.tables.insert(row.first);
  }
}

void hold_delete(const Dataset& dataset, const wal::Store& store, const RowChange& c, HeldByWaitingCommit& h) {
  h.undo.push_back({RowId{c.table, c.key}, image_of(store, RowId{c.table, c.key})});
  h.deleted.insert(RowId{c.table, c.key});
  h.tables.insert(c.table);
  for (const TableSpec* child : referencing(dataset, dataset.tables[c.table].name))
    h.tables.insert(table_id(dataset, child->name));
}

void hold_truncate(const wal::Store& store, const RowChange& c, HeldByWaitingCommit& h) {
  for (wal::TableId t : c.truncated) {
    (void)store.for_each(t, [&](uint64_t key, std::string_view image) {
      h.undo.push_back({RowId{t, key}, std::string(image)});
    });
    h.tables.insert(t);
    h.exclusive.insert(t);
  }
}

// Whether `rows` holds a row of table `t` (a cheap test that spares a search of the table's rows).
bool has_row_of(const std::set<RowId>& rows, wal::TableId t) {
  auto it = rows.lower_bound(RowId{t, 0});
  return it != rows.end() && it->first == t;
}

// The first of `waiting` for which `holds` is true.
template <typename Pred>
std::optional<size_t> first_holder(const std::vector<const HeldByWaitingCommit*>& waiting, Pred holds) {
  for (size_t i = 0; i < waiting.size(); ++i)
    if (holds(*waiting[i])) return i;
  return std::nullopt;
}

// The tables a statement of `step` locks when it starts (TRUNCATE: each it empties).
std::vector<std::string> locked_tables(const Dataset& dataset, const Step& step) {
  if (step.kind != StepKind::kTruncate) return {dataset.find_table(step.table)->name};
  if (step.cascade) return dataset.truncate_cascade(dataset.find_table(step.table)->name);
  return {dataset.find_table(step.table)->name};
}

std::optional<LockWait> table_lock_wait(const Dataset& dataset, const Step& step,
                                        const std::vector<const HeldByWaitingCommit*>& waiting) {
  const bool truncate = step.kind == StepKind::kTruncate;
  for (const std::string& name : locked_tables(dataset, step)) {
    const wal::TableId t = table_id(dataset, name);
    // ACCESS EXCLUSIVE waits for every lock; every other lock waits for ACCESS EXCLUSIVE.
    if (auto i = first_holder(waiting, [&](const HeldByWaitingCommit& h) {
          return h.exclusive.count(t) > 0 || (truncate && h.tables.count(t) > 0);
        }))
      return LockWait{*i, fmt::format("a lock on table {}", name), true};
  }
  return std::nullopt;
}

// The foreign-key checks of the new row `image` of `table`: FOR KEY SHARE of each referenced row.
std::optional<LockWait> key_share_wait(const Dataset& dataset, const TableSpec& table, std::string_view image,
                                       const std::vector<const HeldByWaitingCommit*>& waiting) {
  for (const auto& [column, row] : references_in(dataset, table, image)) {
    const std::string& parent = dataset.tables[row.first].name;
    if (auto i = first_holder(waiting, [&](const HeldByWaitingCommit& h) {
          return h.deleted.count(row) > 0 || h.exclusive.count(row.first) > 0;
        }))
      return LockWait{*i, fmt::format("row {} of {} (its foreign-key check)", row.second, parent), false};
  }
  return std::nullopt;
}

// A DELETE's RESTRICT checks: FOR KEY SHARE of the rows referencing each deleted key.
std::optional<LockWait> restrict_wait(const Dataset& dataset, const wal::Store& view, const TableSpec& table,
                                      uint64_t key, const std::vector<const HeldByWaitingCommit*>& waiting) {
  for (const TableSpec* child : referencing(dataset, table.name)) {
    const wal::TableId c = table_id(dataset, child->name);
    if (auto i = first_holder(waiting, [&](const HeldByWaitingCommit& h) { return h.exclusive.count(c) > 0; }))
      return LockWait{*i, fmt::format("a lock on table {}", child->name), false};
    // Only a row some waiting commit deleted can make the check wait: none of this table, no search.
    if (!first_holder(waiting, [&](const HeldByWaitingCommit& h) { return has_row_of(h.deleted, c); })) continue;
    std::optional<LockWait> found;
    (void)view.for_each(c, [&](uint64_t child_key, std::string_view image) {
      if (found) return;
      for (const auto& [column, row] : references_in(dataset, *child, image)) {
        if (row != RowId{table_id(dataset, table.name), key}) continue;
        const RowId mine{c, child_key};
        if (auto i = first_holder(waiting, [&](const HeldByWaitingCommit& h) { return h.deleted.count(mine) > 0; }))
          found = LockWait{*i, fmt::format("row {} of {} (the foreign-key check)", child_key, child->name), false};
      }
    });
    if (found) return found;
  }
  return std::nullopt;
}

// Whether restrict_wait can find anything for a row of `table`: some waiting commit holds a table
// referencing it ACCESS EXCLUSIVE or deleted a row of one.
bool may_restrict_wait(const Dataset& dataset, const TableSpec& table,
                       const std::vector<const HeldByWaitingCommit*>& waiting) {
  for (const TableSpec* child : referencing(dataset, table.name)) {
    const wal::TableId c = table_id(dataset, child->name);
    if (first_holder(waiting, [&](const HeldByWaitingCommit& h) {
          return h.exclusive.count(c) > 0 || has_row_of(h.deleted, c);
        }))
      return true;
  }
  return false;
}

std::optional<LockWait> row_lock_wait(const Dataset& dataset, const wal::Store& view, const Step& step,
                                      const std::vector<const HeldByWaitingCommit*>& waiting) {
  const TableSpec& table = *dataset.find_table(step.table);
  const wal::TableId t = table_id(dataset, table.name);
  const bool erase = step.kind == StepKind::kDelete;
  // No waiting commit holds a row lock in the table: no row can wait, no need to find the rows.
  if (!first_holder(waiting, [&](const HeldByWaitingCommit& h) {
        return has_row_of(h.updated, t) || has_row_of(h.deleted, t) || (erase && has_row_of(h.key_share, t));
      }))
    return std::nullopt;
  for (uint64_t key : Executor(dataset, view).keys_matching(step)) {
    const RowId row{t, key};
    // UPDATE (FOR NO KEY UPDATE) waits for updaters and deleters; DELETE (FOR UPDATE) also for
    // KEY SHARE lockers: the foreign-key checks of rows referencing it.
    if (auto i = first_holder(waiting, [&](const HeldByWaitingCommit& h) {
          return h.updated.count(row) > 0 || h.deleted.count(row) > 0 || (erase && h.key_share.count(row) > 0);
        }))
      return LockWait{*i, fmt::format("row {} of {}", key, table.name), false};
  }
  return std::nullopt;
}

}  // namespace

HeldByWaitingCommit held_by(const Dataset& dataset, const wal::Store& store, const ExecutionResult& exec) {
  HeldByWaitingCommit h;
  for (const RowChange& c : exec.changes) {
    switch (row_op(c.type)) {
      case RowOp::kInsert: hold_insert(dataset, c, h); break;
      case RowOp::kUpdate: hold_update(dataset, store, c, h); break;
      case RowOp::kDelete: hold_delete(dataset, store, c, h); break;
      case RowOp::kTruncate: hold_truncate(store, c, h); break;
    }
  }
  return h;
}

namespace {

// The base store seen through a layer of rows per table: for each key the waiting commits'
// undo touched, the row as the undo leaves it (nullopt: absent). Nothing of the base is copied,
// and a table's layer is built from the undo only when the table is first read or written:
// reads of other tables, and of keys no undo touched, go to the base; for_each merges the layer
// into the base's key order.
class SnapshotView final : public wal::Store {
 public:
  SnapshotView(const wal::Store& base, const std::vector<const HeldByWaitingCommit*>& waiting)
      : base_(base), waiting_(waiting) {}

  void put(wal::TableId t, uint64_t key, std::string_view row) override { layer(t).rows[key] = std::string(row); }
  void erase(wal::TableId t, uint64_t key) override { layer(t).rows[key] = std::nullopt; }
  void truncate(wal::TableId t) override {
    Layer& l = layer(t);
    l.rows.clear();
    l.cleared = true;
  }
  Status get(wal::TableId t, uint64_t key, std::string* row) const override {
    const Layer& l = layer(t);
    if (auto it = l.rows.find(key); it != l.rows.end()) {
      if (!it->second) return Status::NotFound("no such row");
      row->assign(*it->second);
      return Status::Ok();
    }
    if (l.cleared) return Status::NotFound("no such row");
    return base_.get(t, key, row);
  }
  uint64_t count(wal::TableId t) const override;
  Status for_each(wal::TableId t, const std::function<void(uint64_t, std::string_view)>& fn) const override;

 private:
  struct Layer {
    std::map<uint64_t, std::optional<std::string>> rows;
    bool cleared = false;  // Truncated: the base's rows are gone.
  };
  // Table `t`'s layer, built on first use: the undo of the waiting commits applied newest first
  // leaves each key as its oldest undo entry has it (the first in `waiting`, then in `undo`).
  Layer& layer(wal::TableId t) const {
    auto [it, added] = layers_.try_emplace(t);
    if (added)
      for (const HeldByWaitingCommit* h : waiting_)
        for (const auto& [row, image] : h->undo)
          if (row.first == t) it->second.rows.try_emplace(row.second, image);
    return it->second;
  }

  const wal::Store& base_;
  const std::vector<const HeldByWaitingCommit*> waiting_;
  mutable std::map<wal::TableId, Layer> layers_;
};

uint64_t SnapshotView::count(wal::TableId t) const {
  const Layer& l = layer(t);
  uint64_t n = l.cleared ? 0 : base_.count(t);
  std::string ignored;
  for (const auto& [key, row] : l.rows) {
    const bool in_base = !l.cleared && base_.get(t, key, &ignored).ok();
    if (in_base && !row) --n;
    if (!in_base && row) ++n;
  }
  return n;
}

Status SnapshotView::for_each(wal::TableId t, const std::function<void(uint64_t, std::string_view)>& fn) const {
  const Layer& l = layer(t);
  if (l.rows.empty() && !l.cleared) return base_.for_each(t, fn);
  auto next = l.rows.begin();
  // The layer's rows with keys below `key`, in key order.
  auto emit_below = [&](uint64_t key) {
    for (; next != l.rows.end() && next->first < key; ++next)
      if (next->second) fn(next->first, *next->second);
  };
  if (!l.cleared) {
    const Status s = base_.for_each(t, [&](uint64_t key, std::string_view row) {
      emit_below(key);
      if (next != l.rows.end() && next->first == key) {
        if (next->second) fn(key, *next->second);
        ++next;
      } else {
        fn(key, row);
      }
    });
    if (!s.ok()) return s;
  }
  for (; next != l.rows.end(); ++next)
    if (next->second) fn(next->first, *next->second);
  return Status::Ok();
}

}  // namespace

std::unique_ptr<wal::Store> snapshot_view(const wal::Store& store,
                                          const std::vector<const HeldByWaitingCommit*>& waiting) {
  return std::make_unique<SnapshotView>(store, waiting);
}

std::optional<LockWait> lock_conflict(const Dataset& dataset, const wal::Store& view, const Step& step,
                                      const ExecutionResult& exec,
                                      const std::vector<const HeldByWaitingCommit*>& waiting) {
  if (auto w = table_lock_wait(dataset, step, waiting)) return w;
  if (step.kind == StepKind::kTruncate) return std::nullopt;
  // NOT NULL and type errors come before the row is written; foreign keys after (AFTER triggers).
  if (!exec.ok && exec.error.find("foreign key") == std::string::npos) return std::nullopt;
  const TableSpec& table = *dataset.find_table(step.table);
  if (step.kind != StepKind::kInsert)
    if (auto w = row_lock_wait(dataset, view, step, waiting)) return w;
  if (step.kind == StepKind::kDelete) {
    if (!may_restrict_wait(dataset, table, waiting)) return std::nullopt;
    for (uint64_t key : Executor(dataset, view).keys_matching(step))
      if (auto w = restrict_wait(dataset, view, table, key, waiting)) return w;
    return std::nullopt;
  }
  // The new rows' foreign keys: an insert's row, or each updated row's new image. A failed
  // insert's row is rebuilt from the step (the executor returns no change for it).
  std::vector<std::string> images;
  for (const RowChange& c : exec.changes) images.push_back(c.row);
  if (!exec.ok && step.kind == StepKind::kInsert) {
    std::vector<std::string> row(table.columns.size() - 1);
    for (const auto& [column, value] : step.values)
      for (size_t i = 1; i < table.columns.size(); ++i)
        if (table.columns[i].name == column) row[i - 1] = value;
    images.push_back(wal::encode_row(row));
  }
  for (const std::string& image : images)
    if (auto w = key_share_wait(dataset, table, image, waiting)) return w;
  return std::nullopt;
}

void add_lingering_statement(const Dataset& dataset, const Step& step, HeldByWaitingCommit& held) {
  for (const std::string& name : locked_tables(dataset, step)) {
    held.tables.insert(table_id(dataset, name));
    if (step.kind == StepKind::kTruncate) held.exclusive.insert(table_id(dataset, name));
  }
  // Its tuple lock matters to nobody else: a later statement waits for the tuple's xmax (the
  // waiting commit) only when its lock conflicts with that, and never takes the tuple lock else.
}

}  // namespace replsim::sim
