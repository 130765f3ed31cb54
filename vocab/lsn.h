// Log sequence numbers, transaction ids and WAL segment names, printed the way
// PostgreSQL prints them (`0/3000148`, `000000010000000000000003`).
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace replsim {

// A byte position in the WAL stream (PostgreSQL's XLogRecPtr).
struct Lsn {
  uint64_t value = 0;
  constexpr auto operator<=>(const Lsn&) const = default;
  std::string to_string() const;  // "%X/%X" of the high and low 32 bits.
  static std::optional<Lsn> parse(std::string_view text);
};

// PostgreSQL's 32-bit TransactionId; 0 is InvalidTransactionId.
using Xid = uint32_t;
using TimelineId = uint32_t;

// Bytes between two positions, as pg_wal_lsn_diff(a, b) returns them (may be negative).
int64_t lsn_diff(Lsn a, Lsn b);

// The WAL segment file name holding `lsn` on `timeline` for `segment_size` bytes per segment.
std::string wal_segment_name(TimelineId timeline, Lsn lsn, uint64_t segment_size);

}  // namespace replsim
