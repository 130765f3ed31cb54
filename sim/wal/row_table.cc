#include "sim/wal/row_table.h"

#include <cstring>
#include <new>

#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "vocab/assert.h"

namespace replsim::wal {

void RowTable::release_heap(Slot& s) { delete[] s.heap; }

// Rows over kInline bytes, or a slot whose row was: the heap buffer is kept if big enough.
void RowTable::assign_heap(Slot& s, std::string_view row) {
  REPLSIM_ASSERT(row.size() <= UINT32_MAX, "row over 4 GB");
  const uint32_t n = static_cast<uint32_t>(row.size());
  if (n <= kInline) {
    release(s);
    if (n > 0) std::memcpy(s.inline_bytes, row.data(), n);
  } else {
    if (s.size <= kInline || s.capacity < n) {  // Reuse a big enough heap buffer.
      release(s);
      s.heap = new char[n];
      s.capacity = n;
    }
    std::memcpy(s.heap, row.data(), n);
  }
  s.size = n;
}

namespace {
constexpr size_t kHugePage = size_t{2} << 20;
}  // namespace

std::unique_ptr<RowTable::Slot[], RowTable::FreeSlots> RowTable::allocate(uint64_t capacity) {
  const size_t bytes = capacity * sizeof(Slot);
  const bool huge = bytes >= kHugePage;
  const size_t alignment = huge ? kHugePage : alignof(Slot);
  void* p = ::operator new (bytes, std::align_val_t{alignment});
#if defined(MADV_HUGEPAGE)
  // A hint only (the kernel may have no huge page to give): its result changes nothing here.
  if (huge) (void)madvise(p, bytes, MADV_HUGEPAGE);
#endif
  std::memset(p, 0, bytes);  // All unused; also faults the pages in, as huge pages if granted.
  return std::unique_ptr<Slot[], FreeSlots>(static_cast<Slot*>(p), FreeSlots{alignment});
}

void RowTable::FreeSlots::operator()(Slot* slots) const {
  ::operator delete (static_cast<void*>(slots), std::align_val_t{alignment});
}

void RowTable::grow() {
  const uint64_t new_capacity = capacity_ == 0 ? 16 : capacity_ * 2;
  std::unique_ptr<Slot[], FreeSlots> old = std::move(slots_);
  const uint64_t old_capacity = capacity_;
  slots_ = allocate(new_capacity);
  capacity_ = new_capacity;
  shift_ = 64 - __builtin_ctzll(new_capacity);
  const uint64_t mask = capacity_ - 1;
  for (uint64_t i = 0; i < old_capacity; ++i) {
    if (!old[i].used) continue;
    uint64_t j = home(old[i].key);
    while (slots_[j].used) j = (j + 1) & mask;
    std::memcpy(static_cast<void*>(&slots_[j]), &old[i], sizeof(Slot));  // Relocation: heap pointers move along.
  }
}

bool RowTable::find(uint64_t key, std::string_view* row) const {
  if (capacity_ == 0) return false;
  const uint64_t mask = capacity_ - 1;
  for (uint64_t i = home(key); slots_[i].used; i = (i + 1) & mask) {
    if (slots_[i].key == key) {
      *row = view(slots_[i]);
      return true;
    }
  }
  return false;
}

void RowTable::clear() {
  for (uint64_t i = 0; i < capacity_; ++i) {
    if (slots_[i].used) release(slots_[i]);
  }
  slots_.reset();
  capacity_ = 0;
  size_ = 0;
  shift_ = 64;
}

}  // namespace replsim::wal
