// Salvage reading: every readable record of a WAL, in order, with every region that could not
// be read reported instead of silently skipped. `replsim wal dump` uses it: a reader stops at the
// first bad record (WalReader), but someone inspecting a damaged pg_wal wants to see what is
// still there after it, and exactly where and why something was skipped.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "sim/wal/record.h"
#include "sim/wal/segment_store.h"

namespace replsim::wal {

// A region of the WAL that held no readable record where one was expected.
struct WalDamage {
  Lsn lsn;                        // Start of the unreadable region (where a record should have been).
  Lsn resumed;                    // Where reading resumed: the next valid record, or the end of the WAL.
  std::string segment;            // Segment file holding `lsn`.
  uint64_t offset = 0;            // Byte offset of `lsn` in that file.
  std::string reason;             // What was wrong ("bad CRC", "zeroed bytes before valid records", ...).
  std::string to_string() const;  // "damaged WAL at 0/3000148 (segment ..., offset 328): bad CRC; ..."
};

// Reads every record of `store` from its first valid record on, calling `on_record` for each.
// Where a record cannot be read (corrupt, or zero bytes where valid records follow), scans
// forward to the next valid record, resumes there, and returns the skipped region. Bytes before
// the first record count as damage only when that record links back into them (they held the
// record before it); otherwise they continue a record from a segment not given. A zero tail
// after the last record, and a record cut off by the end of the last segment, are the end of
// WAL, not damage. `first` is set to the first valid record (unset: there is none at all).
std::vector<WalDamage> salvage_records(const SegmentStore& store, const std::function<void(const Record&)>& on_record,
                                       std::optional<Lsn>* first);

}  // namespace replsim::wal
