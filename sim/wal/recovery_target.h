// RecoveryTarget and StopInfo: where point-in-time recovery stops, with PostgreSQL 15's
// semantics (xlogrecovery.c, recoveryStopsBefore/recoveryStopsAfter), and what it reports.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "vocab/lsn.h"

namespace replsim::wal {

struct RecoveryTarget {
  enum class Kind {
    kNone,       // Replay everything.
    kXid,        // recovery_target_xid: stop at that transaction's commit or abort record.
    kTime,       // recovery_target_time: only commit/abort records are considered.
    kLsn,        // recovery_target_lsn: any record whose start is >= the target.
    kName,       // recovery_target_name: stop after the first restore point of that name.
    kImmediate,  // recovery_target = 'immediate': stop as soon as consistent.
  };
  Kind kind = Kind::kNone;
  bool inclusive = true;  // recovery_target_inclusive (ignored by kName and kImmediate).
  Xid xid = 0;
  int64_t time_us = 0;  // Microseconds since the Unix epoch.
  Lsn lsn;
  std::string name;
  // kImmediate: replay is consistent at a kBackupEnd record, or once a record ending at or after
  // this LSN has been replayed (a backup's end / minRecoveryPoint), whichever comes first.
  std::optional<Lsn> consistency_lsn;

  static RecoveryTarget none() { return {}; }
  static RecoveryTarget at_xid(Xid xid, bool inclusive = true);
  static RecoveryTarget at_time(int64_t time_us, bool inclusive = true);
  static RecoveryTarget at_lsn(Lsn lsn, bool inclusive = true);
  static RecoveryTarget at_name(std::string name);
  static RecoveryTarget immediate(std::optional<Lsn> consistency_lsn = std::nullopt);

  std::string to_string() const;  // "recovery_target_xid = 727 (inclusive)", ...
};

struct StopInfo {
  bool reached = false;  // The target was reached (false: WAL ended first, or no target).
  bool after = false;    // Stopped after the record at `lsn` (it was applied) rather than before it.
  Lsn lsn;               // Start of the record replay stopped at.
  Xid xid = 0;           // Commit/abort targets: the transaction.
  int64_t time_us = 0;   // Commit/abort/restore point: the record's time.
  std::string reason;    // PostgreSQL's log line, e.g. "recovery stopping before commit of
                         // transaction 727, time 2026-11-25 14:13:44.5+00".
};

// PostgreSQL's timestamptz_to_str in UTC: "2026-11-25 14:13:44.123456+00", trailing fractional
// zeros trimmed, no fraction when it is zero.
std::string format_timestamp_us(int64_t time_us);

}  // namespace replsim::wal
