// MemoryStore: the in-memory Store, one RowTable (open addressing, a cache line per row,
// small rows inline) per table.
#pragma once

#include <memory>
#include <vector>

#include "sim/wal/row_table.h"
#include "sim/wal/store.h"

namespace replsim::wal {

class MemoryStore final : public Store {
 public:
  void prefetch(TableId table, uint64_t key, RecordType change) const override {
    if (const RowTable* t = find_table(table)) t->prefetch(key, change == RecordType::kDelete);
  }
  // One pass with no virtual call per change.
  void apply_changes(std::span<const RowChange> changes) override;
  void put(TableId table, uint64_t key, std::string_view row) override { this->table(table)->put(key, row); }
  void erase(TableId table, uint64_t key) override {
    if (RowTable* t = find_table(table)) t->erase(key);
  }
  void truncate(TableId table) override;
  Status get(TableId table, uint64_t key, std::string* row) const override;
  uint64_t count(TableId table) const override;
  Status for_each(TableId table, const std::function<void(uint64_t, std::string_view)>& fn) const override;

  uint64_t total_rows() const;  // Rows in all tables.

 private:
  RowTable* table(TableId id) {  // Creates it.
    return id < tables_.size() && tables_[id] ? tables_[id].get() : create_table(id);
  }
  RowTable* create_table(TableId id);
  RowTable* find_table(TableId id) const { return id < tables_.size() ? tables_[id].get() : nullptr; }

  std::vector<std::unique_ptr<RowTable>> tables_;  // Indexed by TableId.
};

}  // namespace replsim::wal
