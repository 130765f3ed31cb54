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
#include <cstring>
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
  // Issues the fetch of the slot(s) put or erase of `key` will touch first; `erase` also fetches
  // the next slot, which erase's backward shift reads (92% of erase's time went to missing it
  // when only the home slot was fetched). For an empty table the address means nothing, which a
  // prefetch tolerates: it never faults.
  void prefetch(uint64_t key, bool erase) const {
    const uint64_t index = (key * kHashMultiplier) >> (shift_ & 63);
    const uintptr_t base = reinterpret_cast<uintptr_t>(slots_.get());
    prefetch_line(base + index * sizeof(Slot));
    if (erase) prefetch_line(base + ((index + 1) & (capacity_ - 1)) * sizeof(Slot));
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

  // An x86 prefetch in inline asm: GCC 12 at -O2 silently deleted __builtin_prefetch here twice
  // (under an `if`, and again beside a second one); only objdump showed it.
  static void prefetch_line(uintptr_t address) {
#if defined(__x86_64__)
    asm volatile("prefetcht0 (%0)" : : "r"(address));
#else
    __builtin_prefetch(reinterpret_cast<const void*>(address));
#endif
  }
  static constexpr uint64_t kHashMultiplier = 0x9E3779B97F4A7C15ull;
  uint64_t home(uint64_t key) const { return (key * kHashMultiplier) >> shift_; }
  static std::string_view view(const Slot& s) { return {s.size <= kInline ? s.inline_bytes : s.heap, s.size}; }
  struct FreeSlots {
    size_t alignment;  // What the array was allocated with.
    void operator()(Slot* slots) const;
  };
  static void release(Slot& s) {
    if (s.size > kInline) [[unlikely]]
      release_heap(s);
    s.size = 0;
  }
  static void release_heap(Slot& s);
  static void assign(Slot& s, std::string_view row);
  static void assign_heap(Slot& s, std::string_view row);
  // A zeroed (all unused) array of `capacity` slots.
  static std::unique_ptr<Slot[], FreeSlots> allocate(uint64_t capacity);
  void grow();

  std::unique_ptr<Slot[], FreeSlots> slots_{nullptr, FreeSlots{alignof(Slot)}};
  uint64_t capacity_ = 0;  // A power of two, or 0.
  uint64_t size_ = 0;
  int shift_ = 64;  // 64 - log2(capacity_).
};

// put, erase and assign are defined here so that MemoryStore::apply_changes inlines them: as
// calls they were a fifth of a replay's time on a table in cache.

// Copies a row of at most kInline bytes with a few fixed-size, possibly overlapping moves and no
// library call (reads only [row, row + n)): rows are 20-40 bytes, so the branches predict well.
inline void copy_small(char* dst, const char* src, uint32_t n) {
  static_assert(RowTable::kInline <= 48);
  if (n >= 16) {
    char head[16], tail[16];
    std::memcpy(head, src, 16);
    std::memcpy(tail, src + n - 16, 16);
    if (n > 32) std::memcpy(dst + 16, src + 16, 16);
    std::memcpy(dst, head, 16);
    std::memcpy(dst + n - 16, tail, 16);
  } else if (n >= 8) {
    uint64_t a, b;
    std::memcpy(&a, src, 8);
    std::memcpy(&b, src + n - 8, 8);
    std::memcpy(dst, &a, 8);
    std::memcpy(dst + n - 8, &b, 8);
  } else {
    for (uint32_t i = 0; i < n; ++i) dst[i] = src[i];
  }
}

inline void RowTable::assign(Slot& s, std::string_view row) {
  if (row.size() > kInline || s.size > kInline) [[unlikely]]
    return assign_heap(s, row);
  s.size = static_cast<uint32_t>(row.size());
  copy_small(s.inline_bytes, row.data(), s.size);
}

[[gnu::always_inline]] inline void RowTable::put(uint64_t key, std::string_view row) {
  if ((size_ + 1) * 4 > capacity_ * 3) [[unlikely]]
    grow();  // Load factor at most 3/4.
  const uint64_t mask = capacity_ - 1;
  uint64_t i = home(key);
  while (slots_[i].used) {
    if (slots_[i].key == key) {
      assign(slots_[i], row);
      return;
    }
    i = (i + 1) & mask;
  }
  Slot& s = slots_[i];
  s.used = 1;
  s.key = key;
  s.size = 0;
  assign(s, row);
  ++size_;
}

[[gnu::always_inline]] inline bool RowTable::erase(uint64_t key) {
  if (capacity_ == 0) return false;
  const uint64_t mask = capacity_ - 1;
  uint64_t i = home(key);
  while (slots_[i].used && slots_[i].key != key) i = (i + 1) & mask;
  if (!slots_[i].used) return false;
  release(slots_[i]);
  // Backward-shift deletion (Knuth's Algorithm R): no tombstones, probes stay short.
  for (uint64_t j = i;;) {
    j = (j + 1) & mask;
    if (!slots_[j].used) break;
    const uint64_t k = home(slots_[j].key);
    const bool stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
    if (stays) continue;
    std::memcpy(static_cast<void*>(&slots_[i]), &slots_[j], sizeof(Slot));
    i = j;
  }
  slots_[i].used = 0;
  slots_[i].size = 0;
  --size_;
  return true;
}

}  // namespace replsim::wal
