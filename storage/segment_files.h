// Segment files: a SegmentStore written to, and read from, a directory of PostgreSQL-named
// WAL segment files (pg_wal's layout). File I/O lives here, outside the replay core, so that
// the simulator links no file system code (docs/architecture.md).
#pragma once

#include <cstdint>
#include <filesystem>

#include "sim/wal/segment_store.h"
#include "vocab/status.h"

namespace replsim::storage {

// Writes every segment of `store` as a full-size file in `dir` (created if missing): bytes
// outside [oldest_lsn(), end_lsn()) are written as zeros (PostgreSQL's pre-zeroed files).
Status save_segments(const wal::SegmentStore& store, const std::filesystem::path& dir);

// Loads every file named like a WAL segment from `dir` (all must have `segment_size` bytes and be
// consecutive; of two timelines for one segment the newer wins). end_lsn() is then the end of the
// last file: readers stop at the zero tail.
Result<wal::SegmentStore> load_segments(const std::filesystem::path& dir, uint64_t segment_size);

// Loads a single segment file; its size is the segment size and its name gives its position.
Result<wal::SegmentStore> load_segment_file(const std::filesystem::path& file);

}  // namespace replsim::storage
