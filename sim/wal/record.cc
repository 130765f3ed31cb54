#include "wal/record.h"

#include <fmt/format.h>

#include "vocab/assert.h"
#include "wal/crc32c.h"
#include "wal/record_decode_inl.h"
#include "wal/recovery_target.h"

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
  return internal::decode_record_inline(bytes, lsn, out);
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
    case RecordType::kUpdate:
      return fmt::format("table {} key {} row {} bytes", r.table_id, r.key, r.row.size());
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
