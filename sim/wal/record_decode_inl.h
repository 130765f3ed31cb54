// decode_record() as an inline function, for the reader's hot loop (record.h documents it).
// Internal: include record.h instead.
#pragma once

#include <cstring>
#include <string_view>

#include "wal/crc32c.h"
#include "wal/record.h"

namespace replsim::wal::internal {

template <typename T>
inline T load(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

inline std::string_view decode_record_inline(std::string_view bytes, Lsn lsn, Record* out) {
  if (bytes.size() < kHeaderSize) return "record shorter than a header";
  const char* p = bytes.data();
  const uint32_t n = peek_length(p);
  if (n < kHeaderSize || n > kMaxRecordLength) return "impossible record length";
  const size_t aligned = align_up(n);
  if (bytes.size() < aligned) return "record extends past the buffer";
  const uint32_t stored_crc = load<uint32_t>(p + kCrcOffset);
  if (crc32c(p + kCrcStart, aligned - kCrcStart) != stored_crc) return "bad CRC";
  if (load<uint64_t>(p + kLsnOffset) != lsn.value) return "record LSN does not match its position";
  const uint8_t raw_type = static_cast<uint8_t>(p[kTypeOffset]);
  if (raw_type == 0 || raw_type > kMaxRecordType) {
    return (raw_type & kSkippableTypeBit) ? kSkippableUnknownType : "unknown record type";
  }
  if (p[kFlagsOffset] != 0) return "unknown flags";
  Record& r = *out;
  r.lsn = lsn;
  r.prev_lsn = Lsn{load<uint64_t>(p + kPrevLsnOffset)};
  r.end_lsn = Lsn{lsn.value + aligned};
  r.xid = load<uint32_t>(p + kXidOffset);
  r.type = static_cast<RecordType>(raw_type);
  r.table_id = load<uint16_t>(p + kTableIdOffset);
  if (is_transactional_type(r.type) != (r.xid != 0)) return "invalid xid for record type";
  const char* payload = p + kHeaderSize;
  const size_t len = n - kHeaderSize;
  switch (r.type) {
    case RecordType::kInsert:
    case RecordType::kUpdate:
      if (len < kKeySize) return "payload too short";
      r.key = load<uint64_t>(payload);
      r.row = std::string_view(payload + kKeySize, len - kKeySize);
      break;
    case RecordType::kDelete:
      if (len != kKeySize) return "payload length does not match type";
      r.key = load<uint64_t>(payload);
      break;
    case RecordType::kTruncate: {
      if (len < 4) return "payload too short";
      const uint32_t count = load<uint32_t>(payload);
      if (len != 4 + uint64_t{count} * sizeof(TableId)) return "payload length does not match type";
      r.truncated_tables = std::string_view(payload + 4, len - 4);
      break;
    }
    case RecordType::kCommit:
    case RecordType::kAbort:
      if (len != kTimeSize) return "payload length does not match type";
      r.commit_time_us = load<int64_t>(payload);
      break;
    case RecordType::kRestorePoint:
      if (len <= kTimeSize || len > kTimeSize + kMaxRestorePointName) return "payload length does not match type";
      r.commit_time_us = load<int64_t>(payload);
      r.name = std::string_view(payload + kTimeSize, len - kTimeSize);
      break;
    case RecordType::kSwitch:
      if (len != 0) return "payload length does not match type";
      break;
    case RecordType::kCheckpoint:
      if (len != 8 + kTimeSize) return "payload length does not match type";
      r.ref_lsn = Lsn{load<uint64_t>(payload)};
      r.commit_time_us = load<int64_t>(payload + 8);
      break;
    case RecordType::kBackupStart:
    case RecordType::kBackupEnd:
      if (len != 8) return "payload length does not match type";
      r.ref_lsn = Lsn{load<uint64_t>(payload)};
      break;
  }
  return {};
}

}  // namespace replsim::wal::internal
