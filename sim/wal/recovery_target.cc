#include "sim/wal/recovery_target.h"

#include <fmt/format.h>

namespace replsim::wal {

RecoveryTarget RecoveryTarget::at_xid(Xid xid, bool inclusive) {
  RecoveryTarget t;
  t.kind = Kind::kXid;
  t.xid = xid;
  t.inclusive = inclusive;
  return t;
}
RecoveryTarget RecoveryTarget::at_time(int64_t time_us, bool inclusive) {
  RecoveryTarget t;
  t.kind = Kind::kTime;
  t.time_us = time_us;
  t.inclusive = inclusive;
  return t;
}
RecoveryTarget RecoveryTarget::at_lsn(Lsn lsn, bool inclusive) {
  RecoveryTarget t;
  t.kind = Kind::kLsn;
  t.lsn = lsn;
  t.inclusive = inclusive;
  return t;
}
RecoveryTarget RecoveryTarget::at_name(std::string name) {
  RecoveryTarget t;
  t.kind = Kind::kName;
  t.name = std::move(name);
  return t;
}
RecoveryTarget RecoveryTarget::immediate(std::optional<Lsn> consistency_lsn) {
  RecoveryTarget t;
  t.kind = Kind::kImmediate;
  t.consistency_lsn = consistency_lsn;
  return t;
}

std::string RecoveryTarget::to_string() const {
  const char* inc = inclusive ? "inclusive" : "exclusive";
  switch (kind) {
    case Kind::kNone: return "no recovery target";
    case Kind::kXid: return fmt::format("recovery_target_xid = {} ({})", xid, inc);
    case Kind::kTime: return fmt::format("recovery_target_time = '{}' ({})", format_timestamp_us(time_us), inc);
    case Kind::kLsn: return fmt::format("recovery_target_lsn = '{}' ({})", lsn.to_string(), inc);
    case Kind::kName: return fmt::format("recovery_target_name = '{}'", name);
    case Kind::kImmediate: return "recovery_target = 'immediate'";
  }
  return "";
}

std::string format_timestamp_us(int64_t time_us) {
  // Floor division so times before 1970 still print correctly.
  int64_t secs = time_us / 1000000;
  int64_t frac = time_us % 1000000;
  if (frac < 0) {
    frac += 1000000;
    --secs;
  }
  int64_t days = secs / 86400;
  int64_t sod = secs % 86400;
  if (sod < 0) {
    sod += 86400;
    --days;
  }
  // Howard Hinnant's civil_from_days.
  const int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const int64_t m = mp < 10 ? mp + 3 : mp - 9;
  const int64_t y = yoe + era * 400 + (m <= 2);
  std::string s = fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}", y, m, d, sod / 3600, sod / 60 % 60, sod % 60);
  if (frac != 0) {
    std::string f = fmt::format("{:06}", frac);
    while (f.back() == '0') f.pop_back();
    s += "." + f;
  }
  return s + "+00";
}

}  // namespace replsim::wal
