// MemoryStore: the in-memory Store, one open-addressing hash map per table.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <absl/container/flat_hash_map.h>

#include "wal/store.h"

namespace replsim::wal {

class MemoryStore final : public Store {
 public:
  void put(TableId table, uint64_t key, std::string_view row) override;
  void erase(TableId table, uint64_t key) override;
  void truncate(TableId table) override;
  Status get(TableId table, uint64_t key, std::string* row) const override;
  uint64_t count(TableId table) const override;
  Status for_each(TableId table, const std::function<void(uint64_t, std::string_view)>& fn) const override;

  // Rows in all tables.
  uint64_t total_rows() const;

 private:
  using Table = absl::flat_hash_map<uint64_t, std::string>;
  Table* table(TableId id);  // Creates it.
  const Table* find_table(TableId id) const;

  std::vector<std::unique_ptr<Table>> tables_;  // Indexed by TableId.
};

}  // namespace replsim::wal
