// RowTable: one table's rows, key -> row bytes, in an open-addressing hash table with linear
// probing and one 64-byte slot (a cache line) per row. Rows up to kInline bytes live in the
// slot, so applying a change allocates nothing and touches one cache line, which prefetch()
// can fetch ahead of time. Measured faster than absl::flat_hash_map<uint64_t, std::string> for
// replay (docs/performance.md), because absl's prefetch() reaches only the first line of a
// 16-slot group, not the slot itself.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

namespace replsim::wal {

class RowTable {
 public:
  static constexpr uint32_t kInline = 40;

  RowTable() = default;
  RowTable(const RowTable&) = delete;
  RowTable& operator=(const RowTable&) = delete;
  ~RowTable() { clear(); }

  void put(uint64_t key, std::string_view row);  // Insert or replace.
  bool erase(uint64_t key);                      // False if absent.
  void clear();
  // The row, or nullopt-like: returns false if absent. The view lasts until the next change.
  bool find(uint64_t key, std::string_view* row) const;
  uint64_t size() const { return size_; }
  void prefetch(uint64_t key) const {
    if (capacity_ != 0) __builtin_prefetch(&slots_[home(key)]);
  }
  // Visits every row in unspecified order.
  template <typename Fn>
  void for_each(Fn&& fn) const {
    for (uint64_t i = 0; i < capacity_; ++i) {
      if (slots_[i].used) fn(slots_[i].key, view(slots_[i]));
    }
  }

 private:
  struct alignas(64) Slot {
    uint64_t key;
    uint32_t size;
    uint32_t capacity;  // Of heap, when size > kInline.
    uint32_t used;
    union {
      char inline_bytes[kInline];
      char* heap;
    };
  };
  static_assert(sizeof(Slot) == 64, "one row per cache line");

  uint64_t home(uint64_t key) const { return (key * 0x9E3779B97F4A7C15ull) >> shift_; }
  static std::string_view view(const Slot& s) { return {s.size <= kInline ? s.inline_bytes : s.heap, s.size}; }
  static void release(Slot& s);
  static void assign(Slot& s, std::string_view row);
  void grow();

  std::unique_ptr<Slot[]> slots_;
  uint64_t capacity_ = 0;  // A power of two, or 0.
  uint64_t size_ = 0;
  int shift_ = 64;         // 64 - log2(capacity_).
};

}  // namespace replsim::wal
