// WalReader: reads records from a SegmentStore, checking each one, crossing segment
// boundaries, and stopping cleanly at the end of valid WAL like PostgreSQL's XLogReader.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "sim/wal/record.h"
#include "sim/wal/segment_store.h"

namespace replsim::wal {

enum class ReadStatus {
  kRecord,    // *out holds the next record; position() moved past it.
  kEndOfWal,  // No complete record yet (need more bytes, or a zero tail). Call again after more arrive.
  kCorrupt,   // The bytes at position() are not a valid record; see corruption(). Sticky.
};

struct Corruption {
  Lsn lsn;                        // Start of the bad record.
  std::string segment;            // Segment file holding that LSN.
  std::string reason;             // "bad CRC", "impossible record length", "prev_lsn mismatch", "torn record", ...
  std::string to_string() const;  // "invalid record at 0/3000148 in segment 00000001...: bad CRC"
};

class WalReader {
 public:
  // `store` must outlive this reader. Reading starts at `start` (a record boundary). If
  // `expected_prev` is set, the first record's prev_lsn must equal it.
  WalReader(const SegmentStore* store, Lsn start, std::optional<Lsn> expected_prev = std::nullopt);

  // Views in *out stay valid until the next call or until the store is modified.
  ReadStatus next(Record* out);

  // The next run of records of the five common types (RecordView), each starting before
  // `up_to`, every one checked exactly as next() checks it (CRC, length, LSN, prev link, type,
  // flags, xid). Returns an empty span when the next record needs next(): a record of another
  // type, one that spans segments, the end of WAL, a corrupt record, or `up_to`. The span is
  // valid until the next call on this reader or until the store is modified; its records are
  // consumed (position() is past them) unless handed back with put_back().
  std::span<const RecordView> next_batch(Lsn up_to = Lsn{UINT64_MAX});
  // Un-reads the last `n` records of the last next_batch() span: the next call returns them
  // again. Lets a consumer that stops part-way (a recovery target) leave the reader where it stopped.
  // REQUIRES: no other call since that next_batch(), and n <= its size.
  void put_back(size_t n);

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
  // Records per window: enough to keep the CRC work of many records in flight (or, on the crc32
  // path, the lanes busy per length group), few enough that a reader stopping early (a recovery
  // target, a standby's flush point) wastes little.
  static constexpr size_t kWindowRecords = 256;

  ReadStatus fail(std::string_view reason);
  bool window_valid() const { return window_next_ < window_size_ && store_->version() == window_version_; }
  // Decodes and checks the run of common records from pos_ (up to kWindowRecords, within one
  // segment) into views_, CRCs included (during the scan with carry-less multiplication, after
  // it otherwise: crc32c_path()); the window ends before the first record that fails any check
  // or is not a common record, so it is empty if pos_ needs the general path.
  void fill_window();
  [[gnu::noinline]] ReadStatus next_refill(Record* out);
  ReadStatus next_slow(Record* out);
  void consume_view(Record* out);

  const SegmentStore* store_;
  Lsn pos_;
  std::optional<Lsn> prev_;
  bool corrupt_ = false;
  bool partial_ = false;
  Corruption corruption_;
  std::string scratch_;  // Holds a record that spans two segments; reused.

  // The window: views_[window_next_, window_size_) are the records from pos_ on, decoded and
  // checked (CRC included) when the window was filled. Valid while the store's version() is
  // window_version_. Checking a run at a time lets several records' CRCs run at once (no record
  // waits for another's) and keeps the decoding a loop over a segment's bytes rather than a call
  // per record.
  uint32_t window_next_ = 0;
  uint32_t window_size_ = 0;
  uint64_t window_version_ = 0;
  std::optional<Lsn> window_prev_;  // prev_ when the window was filled.
  std::array<RecordView, kWindowRecords> views_;
};

}  // namespace replsim::wal
