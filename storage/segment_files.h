// Segment files: a SegmentStore written to, and read from, a directory of PostgreSQL-named
// WAL segment files (pg_wal's layout). File I/O lives here, outside the replay core, so that
// the simulator links no file system code (docs/architecture.md).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "sim/wal/segment_store.h"
#include "vocab/status.h"

namespace replsim::storage {

// Writes every segment of `store` as a full-size file in `dir` (created if missing): bytes
// outside [oldest_lsn(), end_lsn()) are written as zeros (PostgreSQL's pre-zeroed files).
Status save_segments(const wal::SegmentStore& store, const std::filesystem::path& dir);

// A segment file shorter than the segment size (a truncated copy), loaded zero-padded when the
// caller asks for it (`wal dump` reports the missing bytes as damage).
struct ShortSegment {
  std::string file;   // The file's name.
  uint64_t size = 0;  // Bytes the file has.
  Lsn missing_from;   // LSN of the first byte the file lacks.
  Lsn segment_end;    // End of the segment: [missing_from, segment_end) is zero padding.
};

// Loads every file named like a WAL segment from `dir` (all must have `segment_size` bytes and be
// consecutive; of two timelines for one segment the newer wins). end_lsn() is then the end of the
// last file: readers stop at the zero tail. With `short_segments`, a file shorter than
// `segment_size` is loaded padded with zeros and listed there instead of refused.
Result<wal::SegmentStore> load_segments(const std::filesystem::path& dir, uint64_t segment_size,
                                        std::vector<ShortSegment>* short_segments = nullptr);

// Loads a single segment file; its size is the segment size and its name gives its position.
Result<wal::SegmentStore> load_segment_file(const std::filesystem::path& file);
// The same, except that a file shorter than `segment_size` whose size is no segment size is a
// truncated segment of `segment_size` bytes: loaded zero-padded and listed in *short_segments.
Result<wal::SegmentStore> load_segment_file(const std::filesystem::path& file, uint64_t segment_size,
                                            std::vector<ShortSegment>* short_segments);

}  // namespace replsim::storage
