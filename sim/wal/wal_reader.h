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
  // Decodes the record at pos_, whose CRC the window has verified; false (nothing consumed) if
  // it needs the general path: a switch or truncate record, or anything that is not valid.
  bool next_verified(Record* out);
  // Verifies the CRCs of the run of records from pos_ (up to kWindowRecords of them, within
  // one segment) and makes them the window; leaves it empty if the first record fails.
  void fill_window();
  [[gnu::noinline]] ReadStatus next_refill(Record* out);
  ReadStatus next_slow(Record* out);

  const SegmentStore* store_;
  Lsn pos_;
  std::optional<Lsn> prev_;
  bool corrupt_ = false;
  bool partial_ = false;
  Corruption corruption_;
  std::string scratch_;  // Holds a record that spans two segments; reused.

  // The CRC window: [window_start_, window_end_) holds consecutive records whose lengths are in
  // bounds and whose CRCs matched when checked, in one segment at window_bytes_. Valid while
  // the store's version() is window_version_. Checking CRCs a run at a time lets several
  // records' CRC chains run interleaved (crc32 has 3 cycles of latency and a throughput of
  // one per cycle); everything else about a record is still checked when next() returns it.
  const char* window_bytes_ = nullptr;
  uint64_t window_start_ = 0;
  uint64_t window_end_ = 0;
  uint64_t window_version_ = 0;
};

}  // namespace replsim::wal
