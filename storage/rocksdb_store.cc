#include "storage/rocksdb_store.h"

#include <fmt/format.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <cstring>

namespace replsim::storage {
namespace {

// Keys are table id then key, both big-endian, so RocksDB's byte order is (table, key) order
// and a table is one contiguous range. The metadata key is longer than any row key.
constexpr size_t kRowKeySize = 10;
const std::string kAppliedLsnKey = std::string(11, '\xff');

void encode_key(TableId table, uint64_t key, char* out) {
  out[0] = static_cast<char>(table >> 8);
  out[1] = static_cast<char>(table);
  for (int i = 0; i < 8; ++i) out[2 + i] = static_cast<char>(key >> (56 - 8 * i));
}
uint64_t decode_key(const char* p) {
  uint64_t k = 0;
  for (int i = 0; i < 8; ++i) k = (k << 8) | static_cast<unsigned char>(p[2 + i]);
  return k;
}
std::string table_prefix(TableId table) { return std::string{static_cast<char>(table >> 8), static_cast<char>(table)}; }
Status convert(const rocksdb::Status& s) {
  if (s.ok()) return Status::Ok();
  if (s.IsNotFound()) return Status::NotFound(s.ToString());
  if (s.IsCorruption()) return Status::Corruption(s.ToString());
  return Status::IoError(s.ToString());
}

}  // namespace

Result<std::unique_ptr<RocksDbStore>> RocksDbStore::open(const std::string& path, RocksDbOptions options) {
  rocksdb::Options o;
  o.create_if_missing = options.create_if_missing;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(o, path, &raw);
  if (!s.ok()) return Status::IoError(fmt::format("cannot open RocksDB at {}: {}", path, s.ToString()));
  std::unique_ptr<RocksDbStore> store(new RocksDbStore(std::unique_ptr<rocksdb::DB>(raw), options));
  std::string value;
  s = store->db_->Get(rocksdb::ReadOptions(), kAppliedLsnKey, &value);
  if (s.ok() && value.size() == 8) {
    std::memcpy(&store->applied_lsn_.value, value.data(), 8);
  } else if (!s.ok() && !s.IsNotFound()) {
    return convert(s);
  }
  return store;
}

RocksDbStore::RocksDbStore(std::unique_ptr<rocksdb::DB> db, RocksDbOptions options)
    : db_(std::move(db)), batch_(std::make_unique<rocksdb::WriteBatch>()), options_(options) {}

RocksDbStore::~RocksDbStore() = default;

void RocksDbStore::begin_batch() { batch_->Clear(); }

Status RocksDbStore::commit_batch(Xid, Lsn commit_lsn) {
  batch_->Put(kAppliedLsnKey, rocksdb::Slice(reinterpret_cast<const char*>(&commit_lsn.value), 8));
  rocksdb::WriteOptions w;
  w.sync = options_.sync;
  Status s = convert(db_->Write(w, batch_.get()));
  batch_->Clear();
  if (s.ok()) applied_lsn_ = commit_lsn;
  return s;
}

void RocksDbStore::put(TableId table, uint64_t key, std::string_view row) {
  char k[kRowKeySize];
  encode_key(table, key, k);
  batch_->Put(rocksdb::Slice(k, kRowKeySize), rocksdb::Slice(row.data(), row.size()));
}

void RocksDbStore::erase(TableId table, uint64_t key) {
  char k[kRowKeySize];
  encode_key(table, key, k);
  batch_->Delete(rocksdb::Slice(k, kRowKeySize));
}

void RocksDbStore::truncate(TableId table) {
  char lo[kRowKeySize], hi[kRowKeySize + 1];
  encode_key(table, 0, lo);
  encode_key(table, ~uint64_t{0}, hi);
  hi[kRowKeySize] = '\0';  // One byte longer: sorts after the table's last key.
  batch_->DeleteRange(rocksdb::Slice(lo, kRowKeySize), rocksdb::Slice(hi, kRowKeySize + 1));
}

Status RocksDbStore::get(TableId table, uint64_t key, std::string* row) const {
  char k[kRowKeySize];
  encode_key(table, key, k);
  return convert(db_->Get(rocksdb::ReadOptions(), rocksdb::Slice(k, kRowKeySize), row));
}

uint64_t RocksDbStore::count(TableId table) const {
  uint64_t n = 0;
  (void)for_each(table, [&](uint64_t, std::string_view) { ++n; });
  return n;
}

Status RocksDbStore::for_each(TableId table, const std::function<void(uint64_t, std::string_view)>& fn) const {
  const std::string prefix = table_prefix(table);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    if (it->key().size() != kRowKeySize) continue;  // The metadata key.
    fn(decode_key(it->key().data()), std::string_view(it->value().data(), it->value().size()));
  }
  return convert(it->status());
}

}  // namespace replsim::storage
