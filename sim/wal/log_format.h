// The replsim WAL format, in one header (see docs/wal_format.md for the grammar and a
// worked example). The WAL is one linear byte stream addressed by LSN; segments are only
// fixed-size slices of it, so a record may continue from one segment file into the next
// with no continuation header (PostgreSQL adds page headers; we do not).
//
//   record  := header payload padding
//   header  := crc:u32 total_length:u32 lsn:u64 prev_lsn:u64 xid:u32 type:u8 flags:u8 table_id:u16
//   padding := 0..7 zero bytes, so the next record starts 8-byte aligned (PostgreSQL's MAXALIGN)
//
// All integers are little-endian. `crc` is CRC32C over bytes [4, align_up(total_length)):
// everything after the crc field, i.e. the rest of the header (total_length included, as
// PostgreSQL's xl_crc covers xl_tot_len), the payload and the zero padding (so no byte of the
// record's extent escapes the check, and the CRC runs on whole words). `lsn` is the record's own position: it lets a reader
// tell a valid record from stale bytes of a recycled segment (PostgreSQL checks xlp_pageaddr
// for the same reason) and lets `wal dump FILE` find the first record of a lone segment.
// A total_length of zero marks the end of valid WAL (a zero-filled tail).
#pragma once

#include <cstddef>
#include <cstdint>

namespace replsim::wal {

using TableId = uint16_t;

enum class RecordType : uint8_t {
  kInsert = 1,        // table_id, key:u64, row image (rest of payload)
  kUpdate = 2,        // table_id, key:u64, new row image (rest of payload)
  kDelete = 3,        // table_id, key:u64
  kTruncate = 4,      // count:u32, then count table ids (u16 each)
  kCommit = 5,        // commit_time_us:i64 (microseconds since the Unix epoch)
  kAbort = 6,         // abort_time_us:i64
  kRestorePoint = 7,  // time_us:i64, name bytes (rest of payload, 1..kMaxRestorePointName)
  kSwitch = 8,        // no payload; the rest of the segment is zero padding
  kCheckpoint = 9,    // redo_lsn:u64, time_us:i64
  kBackupStart = 10,  // checkpoint redo lsn of the backup:u64
  kBackupEnd = 11,    // start lsn of the backup it ends:u64
};
inline constexpr uint8_t kMaxRecordType = 11;

// A type with this bit set is optional: a reader that does not know it skips the record
// (after checking its CRC) instead of reporting corruption. Lets the format grow the way
// RocksDB's kRecordTypeSafeIgnoreMask does.
inline constexpr uint8_t kSkippableTypeBit = 0x80;

// Header field offsets.
inline constexpr size_t kCrcOffset = 0;
inline constexpr size_t kLengthOffset = 4;
inline constexpr size_t kLsnOffset = 8;
inline constexpr size_t kPrevLsnOffset = 16;
inline constexpr size_t kXidOffset = 24;
inline constexpr size_t kTypeOffset = 28;
inline constexpr size_t kFlagsOffset = 29;
inline constexpr size_t kTableIdOffset = 30;
inline constexpr size_t kHeaderSize = 32;

// The CRC covers everything after the crc field up to the aligned end of the record.
inline constexpr size_t kCrcStart = kCrcOffset + 4;

inline constexpr size_t kAlignment = 8;
// Larger lengths are "impossible" and reported as corruption (PostgreSQL caps a record at 1 GB;
// the simulator's rows are small, so a tighter cap catches more garbage).
inline constexpr uint32_t kMaxRecordLength = 16u << 20;
inline constexpr size_t kMaxRestorePointName = 63;  // PostgreSQL's MAXFNAMELEN - 1.
inline constexpr size_t kKeySize = 8;
inline constexpr size_t kTimeSize = 8;

// The smallest and largest segment sizes accepted (PostgreSQL allows 1 MB..1 GB; smaller sizes
// let tests cross many boundaries with little data).
inline constexpr uint64_t kMinSegmentSize = 64;
inline constexpr uint64_t kMaxSegmentSize = 1ull << 30;
inline constexpr uint64_t kDefaultSegmentSize = 16ull << 20;

static_assert(kHeaderSize == kTableIdOffset + sizeof(TableId));
static_assert(kHeaderSize % kAlignment == 0, "a header-only record keeps the stream aligned");
static_assert(kCrcStart == kLengthOffset, "the CRC covers the length field");
static_assert(kMinSegmentSize >= kHeaderSize + kAlignment);
static_assert((kMaxRecordType & kSkippableTypeBit) == 0);
static_assert(kMaxRecordLength % kAlignment == 0);

constexpr uint64_t align_up(uint64_t n) { return (n + kAlignment - 1) & ~uint64_t{kAlignment - 1}; }

constexpr bool is_data_type(RecordType t) {
  return t == RecordType::kInsert || t == RecordType::kUpdate || t == RecordType::kDelete || t == RecordType::kTruncate;
}
// Types that belong to a transaction and therefore carry a valid (non-zero) xid.
constexpr bool is_transactional_type(RecordType t) {
  return is_data_type(t) || t == RecordType::kCommit || t == RecordType::kAbort;
}

}  // namespace replsim::wal
