// MemoryStore: the in-memory Store, one open-addressing hash map per table, rows stored inline
// in the map's slots when small (no allocation per row; see docs/performance.md).
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
  // A row value: up to kInline bytes inside the hash slot, longer ones on the heap.
  class Row {
   public:
    static constexpr uint32_t kInline = 36;
    Row() = default;
    Row(const Row& other) { assign(other.view()); }
    Row(Row&& other) noexcept;
    Row& operator=(const Row& other) {
      if (this != &other) assign(other.view());
      return *this;
    }
    Row& operator=(Row&& other) noexcept;
    ~Row() { release(); }
    void assign(std::string_view v);
    std::string_view view() const { return {size_ <= kInline ? inline_ : heap_, size_}; }

   private:
    void release() {
      if (size_ > kInline) delete[] heap_;
      size_ = 0;
    }
    uint32_t size_ = 0;
    uint32_t capacity_ = 0;  // Of heap_, when size_ > kInline.
    union {
      char inline_[kInline];
      char* heap_;
    };
  };
  using Table = absl::flat_hash_map<uint64_t, Row>;
  Table* table(TableId id);  // Creates it.
  const Table* find_table(TableId id) const;

  std::vector<std::unique_ptr<Table>> tables_;  // Indexed by TableId.
};

}  // namespace replsim::wal
