// Record: one WAL record, either to encode (WalWriter) or as decoded (WalReader) with
// views into the reader's buffers. Encoding and decoding of the log_format.h layout.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "sim/wal/log_format.h"
#include "vocab/lsn.h"

namespace replsim::wal {

struct Record {
  Lsn lsn;       // Start of the record.
  Lsn prev_lsn;  // Start of the record before it (0 for the first record ever written).
  Lsn end_lsn;   // Start of the next record: lsn + aligned length, or the next segment for kSwitch.
  Xid xid = 0;   // 0 for non-transactional records (restore point, checkpoint, switch, backup).
  RecordType type = RecordType::kCommit;
  TableId table_id = 0;        // Insert, update, delete.
  uint64_t key = 0;            // Insert, update, delete.
  std::string_view row;        // Insert, update: the row image (row_image.h).
  int64_t commit_time_us = 0;  // Commit, abort, restore point, checkpoint: the record's time.
  std::string_view name;       // Restore point.
  Lsn ref_lsn;                 // Checkpoint: redo point; backup start: redo point; backup end: backup start.
  // Truncate: the raw little-endian u16 table ids; use truncated_count()/truncated_table().
  std::string_view truncated_tables;

  size_t truncated_count() const { return truncated_tables.size() / sizeof(TableId); }
  TableId truncated_table(size_t i) const {
    TableId t;
    std::memcpy(&t, truncated_tables.data() + i * sizeof(TableId), sizeof t);
    return t;
  }
};

// A decoded record of one of the five common types (insert, update, delete, commit, abort), as
// WalReader::next_batch() returns it: 40 bytes with the fields replay needs, against Record's
// 112, so decoding a run of records writes little. `bytes` points at the record in its segment;
// the view is valid as long as the reader's batch is (wal_reader.h).
struct RecordView {
  const char* bytes;  // The record, header first: the row image is at bytes + kHeaderSize + kKeySize.
  Lsn lsn;
  uint64_t word;     // Insert, update, delete: the key. Commit, abort: the time (microseconds).
  Xid xid;           // Never 0: all five types are transactional.
  uint32_t length;   // total_length (header + payload, before alignment).
  TableId table_id;  // Insert, update, delete.
  RecordType type;

  Lsn end_lsn() const { return Lsn{lsn.value + align_up(length)}; }
  uint64_t key() const { return word; }
  int64_t time_us() const { return static_cast<int64_t>(word); }
  // Insert, update: the row image; empty for the other types.
  std::string_view row() const {
    // A mask, not a branch on the type, which the CPU would mispredict in a mixed stream.
    const uint32_t has_row = static_cast<uint8_t>(type) - uint32_t{1} <= 1;  // kInsert = 1, kUpdate = 2.
    static_assert(static_cast<uint8_t>(RecordType::kInsert) == 1 && static_cast<uint8_t>(RecordType::kUpdate) == 2);
    return std::string_view(bytes + kHeaderSize + kKeySize, (length - (kHeaderSize + kKeySize)) & (0u - has_row));
  }
};
static_assert(sizeof(RecordView) == 40);

// Bytes the record occupies in the stream before alignment (header + payload).
// REQUIRES: the fields for `r.type` are within the limits of log_format.h.
size_t encoded_length(const Record& r);

// Writes header + payload of `r` (its lsn and prev_lsn included, end_lsn ignored) to `out`
// followed by zero padding up to align_up(encoded_length(r)); returns the aligned size.
// REQUIRES: `out` has align_up(encoded_length(r)) bytes.
size_t encode_record(const Record& r, char* out);

// Checks and decodes one record from `bytes`, which holds at least the record's
// align_up(total_length) bytes, positioned at `lsn`. Returns an empty string on success and the
// reason ("bad CRC", ...) otherwise. Views in `out` point into `bytes`. end_lsn is set to
// lsn + aligned length (the caller extends it for kSwitch). Does not check prev_lsn.
// Reads only bytes[0, align_up(total_length)) where total_length is bounds-checked first.
std::string_view decode_record(std::string_view bytes, Lsn lsn, Record* out);

// decode_record's reason for a well-formed record whose type has kSkippableTypeBit set and is
// unknown to this reader: the caller skips it instead of stopping.
inline constexpr std::string_view kSkippableUnknownType = "skippable record of unknown type";

// The total_length field of a header. REQUIRES: p has kHeaderSize bytes.
inline uint32_t peek_length(const char* p) {
  uint32_t n;
  std::memcpy(&n, p + kLengthOffset, 4);
  return n;
}

// "INSERT", "COMMIT", ...: the name pg_waldump-style output and --stats use.
std::string_view record_type_name(RecordType t);
// A one-line description like pg_waldump's "desc:" column.
std::string describe_record(const Record& r);

}  // namespace replsim::wal
