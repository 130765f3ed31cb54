// WalReader: reads records from a SegmentStore, checking each one, crossing segment
// boundaries, and stopping cleanly at the end of valid WAL like PostgreSQL's XLogReader.
#pragma once

#include <optional>
#include <string>

#include "wal/record.h"
#include "wal/segment_store.h"

namespace replsim::wal {

enum class ReadStatus {
  kRecord,    // *out holds the next record; position() moved past it.
  kEndOfWal,  // No complete record yet (need more bytes, or a zero tail). Call again after more arrive.
  kCorrupt,   // The bytes at position() are not a valid record; see corruption(). Sticky.
};

struct Corruption {
  Lsn lsn;              // Start of the bad record.
  std::string segment;  // Segment file holding that LSN.
  std::string reason;   // "bad CRC", "impossible record length", "prev_lsn mismatch", "torn record", ...
  std::string to_string() const;  // "invalid record at 0/3000148 in segment 00000001...: bad CRC"
};

class WalReader {
 public:
  // `store` must outlive this reader. Reading starts at `start` (a record boundary). If
  // `expected_prev` is set, the first record's prev_lsn must equal it.
  WalReader(const SegmentStore* store, Lsn start, std::optional<Lsn> expected_prev = std::nullopt);

  // Views in *out stay valid until the next call or until the store is modified.
  ReadStatus next(Record* out);

  Lsn position() const { return pos_; }  // Start of the next record to read.
  // Start of the last record returned (what the next record's prev_lsn must be), if any.
  std::optional<Lsn> last_lsn() const { return prev_; }
  const Corruption& corruption() const { return corruption_; }
  // After kEndOfWal: true when a record header was there but its bytes were incomplete.
  bool partial_record() const { return partial_; }

  // Scans forward from `from` (rounded up to 8) for the first position holding a valid record
  // whose stored LSN matches it, up to `limit` bytes. Used to start dumping a lone segment file,
  // whose first bytes may continue a record from the previous segment.
  static std::optional<Lsn> find_first_record(const SegmentStore& store, Lsn from, uint64_t limit);

 private:
  ReadStatus fail(std::string_view reason);

  const SegmentStore* store_;
  Lsn pos_;
  std::optional<Lsn> prev_;
  bool corrupt_ = false;
  bool partial_ = false;
  Corruption corruption_;
  std::string scratch_;  // Holds a record that spans two segments; reused.
};

}  // namespace replsim::wal
