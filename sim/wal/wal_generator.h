// WalGenerator: a deterministic, realistic stream of records (small transactions of inserts,
// updates and deletes, a few aborts, interleaved open transactions, occasional checkpoints and
// restore points) for `replsim wal generate`, the benchmarks and the tests.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/wal/wal_writer.h"

namespace replsim::wal {

struct GeneratorOptions {
  uint64_t seed = 1;
  uint32_t tables = 4;
  uint64_t keys_per_table = 100000;  // Bounds the live state: keys are drawn from this range.
  uint32_t abort_percent = 5;
  uint32_t max_open_transactions = 4;  // Transactions interleaved at once.
  uint32_t max_changes_per_transaction = 8;
  int64_t start_time_us = 1764028800000000;  // 2025-11-25 00:00:00 UTC.
  Xid first_xid = 727;
};

class WalGenerator {
 public:
  explicit WalGenerator(GeneratorOptions options);

  // Appends about `records` records (it stops at the first transaction boundary at or after the
  // count, so every transaction it started is committed or aborted). Can be called repeatedly to
  // stream WAL in chunks. Returns the number of records written.
  uint64_t generate(WalWriter* writer, uint64_t records);

  int64_t now_us() const { return now_us_; }
  Xid next_xid() const { return next_xid_; }

 private:
  uint64_t next_random();
  uint64_t uniform(uint64_t n) { return next_random() % n; }
  std::string make_row(uint64_t key);

  struct Open {
    Xid xid;
    uint32_t changes_left;
  };
  GeneratorOptions options_;
  uint64_t state_;
  int64_t now_us_;
  Xid next_xid_;
  uint64_t restore_points_ = 0;
  std::vector<Open> open_;
};

}  // namespace replsim::wal
