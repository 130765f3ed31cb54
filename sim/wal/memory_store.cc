#include "wal/memory_store.h"

#include <algorithm>
#include <cstring>

#include "vocab/assert.h"

namespace replsim::wal {

MemoryStore::Row::Row(Row&& other) noexcept : size_(other.size_), capacity_(other.capacity_) {
  if (size_ > kInline) {
    heap_ = other.heap_;
  } else {
    std::memcpy(inline_, other.inline_, size_);
  }
  other.size_ = 0;
}

MemoryStore::Row& MemoryStore::Row::operator=(Row&& other) noexcept {
  if (this == &other) return *this;
  release();
  size_ = other.size_;
  capacity_ = other.capacity_;
  if (size_ > kInline) {
    heap_ = other.heap_;
  } else {
    std::memcpy(inline_, other.inline_, size_);
  }
  other.size_ = 0;
  return *this;
}

void MemoryStore::Row::assign(std::string_view v) {
  REPLSIM_ASSERT(v.size() <= UINT32_MAX, "row over 4 GB");
  const uint32_t n = static_cast<uint32_t>(v.size());
  if (n <= kInline) {
    release();
    if (n > 0) std::memcpy(inline_, v.data(), n);
    size_ = n;
    return;
  }
  if (size_ <= kInline || capacity_ < n) {  // Reuse the heap buffer when it is big enough.
    release();
    heap_ = new char[n];
    capacity_ = n;
  }
  std::memcpy(heap_, v.data(), n);
  size_ = n;
}

MemoryStore::Table* MemoryStore::table(TableId id) {
  if (id >= tables_.size()) tables_.resize(size_t{id} + 1);
  if (!tables_[id]) tables_[id] = std::make_unique<Table>();
  return tables_[id].get();
}

const MemoryStore::Table* MemoryStore::find_table(TableId id) const {
  return id < tables_.size() ? tables_[id].get() : nullptr;
}

void MemoryStore::put(TableId t, uint64_t key, std::string_view row) {
  (*table(t))[key].assign(row);
}

void MemoryStore::erase(TableId t, uint64_t key) {
  if (t < tables_.size() && tables_[t]) tables_[t]->erase(key);
}

void MemoryStore::truncate(TableId t) {
  if (t < tables_.size() && tables_[t]) tables_[t]->clear();
}

Status MemoryStore::get(TableId t, uint64_t key, std::string* row) const {
  const Table* tab = find_table(t);
  if (tab == nullptr) return Status::NotFound("no such row");
  auto it = tab->find(key);
  if (it == tab->end()) return Status::NotFound("no such row");
  *row = std::string(it->second.view());
  return Status::Ok();
}

uint64_t MemoryStore::count(TableId t) const {
  const Table* tab = find_table(t);
  return tab == nullptr ? 0 : tab->size();
}

Status MemoryStore::for_each(TableId t, const std::function<void(uint64_t, std::string_view)>& fn) const {
  const Table* tab = find_table(t);
  if (tab == nullptr) return Status::Ok();
  // Hash order is not deterministic across builds; callers get key order.
  std::vector<const Table::value_type*> rows;
  rows.reserve(tab->size());
  for (const auto& kv : *tab) rows.push_back(&kv);
  std::sort(rows.begin(), rows.end(), [](auto* a, auto* b) { return a->first < b->first; });
  for (const auto* kv : rows) fn(kv->first, kv->second.view());
  return Status::Ok();
}

uint64_t MemoryStore::total_rows() const {
  uint64_t n = 0;
  for (const auto& t : tables_) n += t ? t->size() : 0;
  return n;
}

}  // namespace replsim::wal
