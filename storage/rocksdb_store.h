// RocksDbStore: a durable Store in a RocksDB database, one WriteBatch per committed
// transaction. Each batch also records the commit's LSN, so after a crash the node knows where
// to resume replay (applied_lsn()), the way PostgreSQL's control file names its redo point.
//
// Options, and why: RocksDB's own WAL stays on, so each batch is atomic and survives a process
// crash; sync is off by default because replsim's WAL is the log of record (a lost RocksDB tail
// is re-replayed from applied_lsn()), set `sync` to survive power loss too.
#pragma once

#include <memory>
#include <string>

#include "sim/wal/store.h"

namespace rocksdb {
class DB;
class WriteBatch;
}  // namespace rocksdb

namespace replsim::storage {

using wal::Store;
using wal::TableId;

struct RocksDbOptions {
  bool sync = false;  // fsync RocksDB's WAL on every commit batch.
  bool create_if_missing = true;
};

class RocksDbStore final : public Store {
 public:
  static Result<std::unique_ptr<RocksDbStore>> open(const std::string& path, RocksDbOptions options = {});
  ~RocksDbStore() override;

  void begin_batch() override;
  Status commit_batch(Xid xid, Lsn commit_lsn) override;
  // Changes go into the current batch and become visible at commit_batch().
  void put(TableId table, uint64_t key, std::string_view row) override;
  void erase(TableId table, uint64_t key) override;
  void truncate(TableId table) override;
  Status get(TableId table, uint64_t key, std::string* row) const override;
  uint64_t count(TableId table) const override;
  Status for_each(TableId table, const std::function<void(uint64_t, std::string_view)>& fn) const override;

  // Commit LSN of the last batch written (0 for a new database).
  Lsn applied_lsn() const { return applied_lsn_; }

 private:
  RocksDbStore(std::unique_ptr<rocksdb::DB> db, RocksDbOptions options);

  std::unique_ptr<rocksdb::DB> db_;
  std::unique_ptr<rocksdb::WriteBatch> batch_;
  RocksDbOptions options_;
  Lsn applied_lsn_;
};

}  // namespace replsim::storage
