// RowTable: one table's rows, key -> row bytes, in an open-addressing hash table with linear
// probing and one 64-byte slot (a cache line) per row. Rows up to kInline bytes live in the
// slot, so applying a change allocates nothing and touches one cache line, which prefetch()
// can fetch ahead of time. Measured faster than absl::flat_hash_map<uint64_t, std::string> for
// replay (docs/performance.md), because absl's prefetch() reaches only the first line of a
// 16-slot group, not the slot itself. Slot arrays of 2 MiB and more ask for transparent huge
// pages: a large table is read at random, and with 4 KiB pages nearly every prefetch also
// misses the TLB and waits for a page walk (a two-level one in a VM) before it can issue.
#pragma once

#include <cstddef>
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
  // Branch-free on purpose: GCC 12 at -O2 deletes a __builtin_prefetch that sits under an `if`
  // (it did here: the prefetch compiled to nothing, which no benchmark showed). For an empty
  // table the address means nothing, which a prefetch tolerates: it never faults.
  void prefetch(uint64_t key) const {
    const uint64_t index = (key * kHashMultiplier) >> (shift_ & 63);
    __builtin_prefetch(reinterpret_cast<const void*>(reinterpret_cast<uintptr_t>(slots_.get()) + index * sizeof(Slot)));
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

  static constexpr uint64_t kHashMultiplier = 0x9E3779B97F4A7C15ull;
  uint64_t home(uint64_t key) const { return (key * kHashMultiplier) >> shift_; }
  static std::string_view view(const Slot& s) { return {s.size <= kInline ? s.inline_bytes : s.heap, s.size}; }
  struct FreeSlots {
    size_t alignment;  // What the array was allocated with.
    void operator()(Slot* slots) const;
  };
  static void release(Slot& s);
  static void assign(Slot& s, std::string_view row);
  // A zeroed (all unused) array of `capacity` slots.
  static std::unique_ptr<Slot[], FreeSlots> allocate(uint64_t capacity);
  void grow();

  std::unique_ptr<Slot[], FreeSlots> slots_{nullptr, FreeSlots{alignof(Slot)}};
  uint64_t capacity_ = 0;  // A power of two, or 0.
  uint64_t size_ = 0;
  int shift_ = 64;         // 64 - log2(capacity_).
};

}  // namespace replsim::wal
