// NaiveCopy: a data directory copied file by file while its server runs (drill 3.1), and
// what PostgreSQL makes of it when it is started (docs/model.md, "Naive copy of a live data
// directory"). The copy's parts come from different moments:
//   base     the data files: what the last checkpoint before the copy wrote (nothing later
//            reaches disk: the harness runs no background writer and no timed checkpoints);
//   pg_xact  commit status, also as of the last checkpoint;
//   pg_wal   the WAL written when it was copied;
//   global   pg_control: the last checkpoint, where crash recovery begins.
// Started, the copy runs crash recovery from pg_control's checkpoint over the copied WAL. A page
// touched by a record it replays comes back whole from that record's full-page image (the first
// change of a page after a checkpoint carries one); an untouched page keeps its on-disk state.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sim/wal/memory_store.h"
#include "sim/wal/segment_store.h"
#include "vocab/dataset.h"
#include "vocab/lsn.h"

namespace replsim::sim {

struct NaiveCopy {
  int source = -1;                       // The node copied.
  uint64_t source_incarnation = 0;       // The postmaster whose postmaster.pid the first part carried.
  std::map<std::string, Lsn> parts;      // Part -> its moment (a checkpoint LSN, or pg_wal's end).
  std::optional<wal::SegmentStore> wal;  // The source's WAL as of the latest part (covers every moment).
};

struct CopyStartup {
  bool starts = false;
  std::string log;                       // What the server logs: the refusal, or where crash recovery ended.
  Lsn checkpoint;                        // pg_control's checkpoint.
  Lsn end_of_wal;                        // Where crash recovery ended (the copy's last complete record).
  Lsn last_record;                       // Start of that record (the next record's prev link).
  Xid next_xid = 0;                      // Above every transaction id in the copied WAL.
  bool torn = false;                     // The rows differ from a crash-consistent image at end_of_wal.
  std::vector<std::string> missing;      // Marker labels of commits up to end_of_wal that are not there.
  std::vector<std::string> resurrected;  // Marker labels present that crash recovery would not have.
};

// Crash recovery of a complete copy into `rows`. REQUIRES: every part is in copy.parts.
CopyStartup start_naive_copy(const NaiveCopy& copy, const Dataset& dataset, wal::MemoryStore* rows);

}  // namespace replsim::sim
