#include "sim/wal/record.h"

#include <fmt/format.h>

#include "sim/wal/crc32c.h"
#include "sim/wal/recovery_target.h"
#include "vocab/assert.h"

namespace replsim::wal {
namespace {

template <typename T>
void put(char* p, T v) {
  std::memcpy(p, &v, sizeof v);
}
template <typename T>
T get(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

size_t payload_length(const Record& r) {
  switch (r.type) {
    case RecordType::kInsert:
    case RecordType::kUpdate: return kKeySize + r.row.size();
    case RecordType::kDelete: return kKeySize;
    case RecordType::kTruncate: return 4 + r.truncated_tables.size();
    case RecordType::kCommit:
    case RecordType::kAbort: return kTimeSize;
    case RecordType::kRestorePoint: return kTimeSize + r.name.size();
    case RecordType::kSwitch: return 0;
    case RecordType::kCheckpoint: return 8 + kTimeSize;
    case RecordType::kBackupStart:
    case RecordType::kBackupEnd: return 8;
  }
  REPLSIM_ASSERT(false, "unknown record type");
  return 0;
}

}  // namespace

size_t encoded_length(const Record& r) {
  REPLSIM_ASSERT(r.type != RecordType::kRestorePoint || (!r.name.empty() && r.name.size() <= kMaxRestorePointName),
                 "restore point name must be 1..63 bytes");
  REPLSIM_ASSERT(r.truncated_tables.size() % sizeof(TableId) == 0, "truncated_tables holds whole u16 ids");
  REPLSIM_ASSERT(is_transactional_type(r.type) == (r.xid != 0), "transactional records carry an xid, others none");
  const size_t n = kHeaderSize + payload_length(r);
  REPLSIM_ASSERT(n <= kMaxRecordLength, "record longer than kMaxRecordLength");
  return n;
}

size_t encode_record(const Record& r, char* out) {
  const size_t n = encoded_length(r);
  const size_t aligned = align_up(n);
  put<uint32_t>(out + kLengthOffset, static_cast<uint32_t>(n));
  put<uint64_t>(out + kLsnOffset, r.lsn.value);
  put<uint64_t>(out + kPrevLsnOffset, r.prev_lsn.value);
  put<uint32_t>(out + kXidOffset, r.xid);
  out[kTypeOffset] = static_cast<char>(r.type);
  out[kFlagsOffset] = 0;
  put<uint16_t>(out + kTableIdOffset, is_data_type(r.type) && r.type != RecordType::kTruncate ? r.table_id : 0);
  char* p = out + kHeaderSize;
  switch (r.type) {
    case RecordType::kInsert:
    case RecordType::kUpdate:
      put<uint64_t>(p, r.key);
      if (!r.row.empty()) std::memcpy(p + kKeySize, r.row.data(), r.row.size());
      break;
    case RecordType::kDelete: put<uint64_t>(p, r.key); break;
    case RecordType::kTruncate:
      put<uint32_t>(p, static_cast<uint32_t>(r.truncated_count()));
      if (!r.truncated_tables.empty()) std::memcpy(p + 4, r.truncated_tables.data(), r.truncated_tables.size());
      break;
    case RecordType::kCommit:
    case RecordType::kAbort: put<int64_t>(p, r.commit_time_us); break;
    case RecordType::kRestorePoint:
      put<int64_t>(p, r.commit_time_us);
      std::memcpy(p + kTimeSize, r.name.data(), r.name.size());
      break;
    case RecordType::kSwitch: break;
    case RecordType::kCheckpoint:
      put<uint64_t>(p, r.ref_lsn.value);
      put<int64_t>(p + 8, r.commit_time_us);
      break;
    case RecordType::kBackupStart:
    case RecordType::kBackupEnd: put<uint64_t>(p, r.ref_lsn.value); break;
  }
  std::memset(out + n, 0, aligned - n);
  put<uint32_t>(out + kCrcOffset, crc32c(out + kCrcStart, aligned - kCrcStart));
  return aligned;
}

std::string_view decode_record(std::string_view bytes, Lsn lsn, Record* out) {
  if (bytes.size() < kHeaderSize) return "record shorter than a header";
  const char* p = bytes.data();
  const uint32_t n = peek_length(p);
  if (n < kHeaderSize || n > kMaxRecordLength) return "impossible record length";
  const size_t aligned = align_up(n);
  if (bytes.size() < aligned) return "record extends past the buffer";
  const uint32_t stored_crc = get<uint32_t>(p + kCrcOffset);
  if (crc32c(p + kCrcStart, aligned - kCrcStart) != stored_crc) return "bad CRC";
  if (get<uint64_t>(p + kLsnOffset) != lsn.value) return "record LSN does not match its position";
  const uint8_t raw_type = static_cast<uint8_t>(p[kTypeOffset]);
  if (raw_type == 0 || raw_type > kMaxRecordType) {
    return (raw_type & kSkippableTypeBit) ? kSkippableUnknownType : "unknown record type";
  }
  if (p[kFlagsOffset] != 0) return "unknown flags";
  Record& r = *out;
  r.lsn = lsn;
  r.prev_lsn = Lsn{get<uint64_t>(p + kPrevLsnOffset)};
  r.end_lsn = Lsn{lsn.value + aligned};
  r.xid = get<uint32_t>(p + kXidOffset);
  r.type = static_cast<RecordType>(raw_type);
  r.table_id = get<uint16_t>(p + kTableIdOffset);
  if (is_transactional_type(r.type) != (r.xid != 0)) return "invalid xid for record type";
  const char* payload = p + kHeaderSize;
  const size_t len = n - kHeaderSize;
  switch (r.type) {
    case RecordType::kInsert:
    case RecordType::kUpdate:
      if (len < kKeySize) return "payload too short";
      r.key = get<uint64_t>(payload);
      r.row = std::string_view(payload + kKeySize, len - kKeySize);
      break;
    case RecordType::kDelete:
      if (len != kKeySize) return "payload length does not match type";
      r.key = get<uint64_t>(payload);
      break;
    case RecordType::kTruncate: {
      if (len < 4) return "payload too short";
      const uint32_t count = get<uint32_t>(payload);
      if (len != 4 + uint64_t{count} * sizeof(TableId)) return "payload length does not match type";
      r.truncated_tables = std::string_view(payload + 4, len - 4);
      break;
    }
    case RecordType::kCommit:
    case RecordType::kAbort:
      if (len != kTimeSize) return "payload length does not match type";
      r.commit_time_us = get<int64_t>(payload);
      break;
    case RecordType::kRestorePoint:
      if (len <= kTimeSize || len > kTimeSize + kMaxRestorePointName) return "payload length does not match type";
      r.commit_time_us = get<int64_t>(payload);
      r.name = std::string_view(payload + kTimeSize, len - kTimeSize);
      break;
    case RecordType::kSwitch:
      if (len != 0) return "payload length does not match type";
      break;
    case RecordType::kCheckpoint:
      if (len != 8 + kTimeSize) return "payload length does not match type";
      r.ref_lsn = Lsn{get<uint64_t>(payload)};
      r.commit_time_us = get<int64_t>(payload + 8);
      break;
    case RecordType::kBackupStart:
    case RecordType::kBackupEnd:
      if (len != 8) return "payload length does not match type";
      r.ref_lsn = Lsn{get<uint64_t>(payload)};
      break;
  }
  return {};
}

std::string_view record_type_name(RecordType t) {
  switch (t) {
    case RecordType::kInsert: return "INSERT";
    case RecordType::kUpdate: return "UPDATE";
    case RecordType::kDelete: return "DELETE";
    case RecordType::kTruncate: return "TRUNCATE";
    case RecordType::kCommit: return "COMMIT";
    case RecordType::kAbort: return "ABORT";
    case RecordType::kRestorePoint: return "RESTORE_POINT";
    case RecordType::kSwitch: return "SWITCH";
    case RecordType::kCheckpoint: return "CHECKPOINT";
    case RecordType::kBackupStart: return "BACKUP_START";
    case RecordType::kBackupEnd: return "BACKUP_END";
  }
  return "UNKNOWN";
}

std::string describe_record(const Record& r) {
  switch (r.type) {
    case RecordType::kInsert:
    case RecordType::kUpdate: return fmt::format("table {} key {} row {} bytes", r.table_id, r.key, r.row.size());
    case RecordType::kDelete: return fmt::format("table {} key {}", r.table_id, r.key);
    case RecordType::kTruncate: {
      std::string s = fmt::format("{} tables:", r.truncated_count());
      for (size_t i = 0; i < r.truncated_count(); ++i) s += fmt::format(" {}", r.truncated_table(i));
      return s;
    }
    case RecordType::kCommit:
    case RecordType::kAbort: return format_timestamp_us(r.commit_time_us);
    case RecordType::kRestorePoint:
      return fmt::format("restore point \"{}\" at {}", r.name, format_timestamp_us(r.commit_time_us));
    case RecordType::kSwitch: return "";
    case RecordType::kCheckpoint:
      return fmt::format("redo {}; time {}", r.ref_lsn.to_string(), format_timestamp_us(r.commit_time_us));
    case RecordType::kBackupStart: return fmt::format("redo {}", r.ref_lsn.to_string());
    case RecordType::kBackupEnd: return fmt::format("backup start {}", r.ref_lsn.to_string());
  }
  return "";
}

}  // namespace replsim::wal
