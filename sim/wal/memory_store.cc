#include "sim/wal/memory_store.h"

#include <algorithm>
#include <utility>

namespace replsim::wal {

RowTable* MemoryStore::create_table(TableId id) {
  if (id >= tables_.size()) tables_.resize(size_t{id} + 1);
  if (!tables_[id]) tables_[id] = std::make_unique<RowTable>();
  return tables_[id].get();
}

void MemoryStore::apply_changes(std::span<const RowChange> changes) {
  for (const RowChange& c : changes) {
    switch (c.type) {
      case RecordType::kInsert:
      case RecordType::kUpdate: table(c.table)->put(c.key, c.row_view()); break;
      case RecordType::kDelete:
        if (RowTable* t = find_table(c.table)) t->erase(c.key);
        break;
      case RecordType::kTruncate: truncate(c.table); break;
      default: break;  // The engine buffers nothing else.
    }
  }
}

void MemoryStore::truncate(TableId t) {
  if (RowTable* tab = find_table(t)) tab->clear();
}

Status MemoryStore::get(TableId t, uint64_t key, std::string* row) const {
  std::string_view v;
  const RowTable* tab = find_table(t);
  if (tab == nullptr || !tab->find(key, &v)) return Status::NotFound("no such row");
  row->assign(v);
  return Status::Ok();
}

uint64_t MemoryStore::count(TableId t) const {
  const RowTable* tab = find_table(t);
  return tab == nullptr ? 0 : tab->size();
}

Status MemoryStore::for_each(TableId t, const std::function<void(uint64_t, std::string_view)>& fn) const {
  const RowTable* tab = find_table(t);
  if (tab == nullptr) return Status::Ok();
  // Hash order depends on the table's history; callers get key order. A simulation's tables are
  // small and read often (every UPDATE and DELETE searches one): their rows are sorted in a
  // buffer on the stack, not the heap.
  struct Row {
    uint64_t key;
    const char* data;
    size_t size;
  };
  constexpr size_t kOnStack = 128;
  Row on_stack[kOnStack];  // Uninitialised: only the first size() are written, then read.
  std::vector<Row> on_heap;
  Row* rows = on_stack;
  if (tab->size() > kOnStack) {
    on_heap.resize(tab->size());
    rows = on_heap.data();
  }
  size_t n = 0;
  tab->for_each([&](uint64_t k, std::string_view v) { rows[n++] = Row{k, v.data(), v.size()}; });
  std::sort(rows, rows + n, [](const Row& a, const Row& b) { return a.key < b.key; });
  for (size_t i = 0; i < n; ++i) fn(rows[i].key, std::string_view(rows[i].data, rows[i].size));
  return Status::Ok();
}

uint64_t MemoryStore::total_rows() const {
  uint64_t n = 0;
  for (const auto& t : tables_) n += t ? t->size() : 0;
  return n;
}

}  // namespace replsim::wal
