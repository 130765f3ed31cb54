// WalArchive: the WAL archive that archive_command fills and restore_command reads
// (PostgreSQL 15 docs, 26.3 "Continuous Archiving and Point-in-Time Recovery"). It holds
// completed segments, named by timeline and segment number, and the timeline history files
// a promotion writes (26.3.5 "Timelines"). What fills it, and when, is Cluster's archiver.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "vocab/lsn.h"

namespace replsim::sim {

// archive_timeout as PostgreSQL 15 holds it: a whole number of seconds. A value given in
// milliseconds is rounded to the nearest second, ties to even (guc.c parse_int/
// convert_to_base_unit round with rint()): 500ms is 0, which disables the timeout; 1500ms and
// 2500ms are both 2 s. REQUIRES: milliseconds >= 0.
int64_t archive_timeout_seconds(int64_t milliseconds);

// How many whole segments a size setting whose unit is MB (wal_keep_size,
// max_slot_wal_keep_size) keeps, as PostgreSQL 15 counts them: the value is first rounded to
// the nearest MB, ties to even (src/backend/utils/misc/guc.c, parse_int's rint() after
// convert_to_base_unit), then divided by the segment size in MB, rounding down
// (src/backend/access/transam/xlog.c, ConvertToXSegs / XLogMBVarToSegs in KeepLogSeg). With
// 1 MB segments 1536kB keeps 2 segments, 1200kB keeps 1 and 512kB keeps none.
// REQUIRES: bytes >= 0, segment_bytes a whole number of MB.
int64_t size_setting_segments(int64_t bytes, uint64_t segment_bytes);

struct ArchivedSegment {
  Lsn start;          // First byte held: the segment's start (later only for the cluster's first segment).
  std::string bytes;  // To the end of the segment.
};

// A timeline history file: the timeline forked from `parent` at `switch_point`.
struct TimelineHistory {
  TimelineId parent = 0;
  Lsn switch_point;
};

class WalArchive {
 public:
  explicit WalArchive(uint64_t segment_size) : segment_size_(segment_size) {}

  uint64_t segment_size() const { return segment_size_; }
  uint64_t segno(Lsn lsn) const { return lsn.value / segment_size_; }
  Lsn segment_start(uint64_t segno) const { return Lsn{segno * segment_size_}; }

  // archive_command copies a completed segment; a second copy of the same file is ignored
  // (the command would find it there).
  void put_segment(TimelineId timeline, uint64_t segno, ArchivedSegment segment);
  const ArchivedSegment* find_segment(TimelineId timeline, uint64_t segno) const;
  size_t segment_count() const { return segments_.size(); }

  void put_history(TimelineId timeline, TimelineHistory history) { histories_[timeline] = history; }
  std::optional<TimelineHistory> history(TimelineId timeline) const;

  // recovery_target_timeline = 'latest': like findNewestTimeLine(), probes for history files
  // above `from` until one is missing.
  TimelineId newest_timeline(TimelineId from) const;
  // The timelines from `from` to `target` as (timeline, where it begins), oldest first; empty
  // if `target` does not descend from `from` at or after `not_before` (PostgreSQL: "requested
  // timeline is not a child of this server's history").
  std::vector<std::pair<TimelineId, Lsn>> path(TimelineId from, TimelineId target, Lsn not_before) const;

  // A failing archive_command (broken) archives nothing; the archiver retries later.
  bool broken() const { return broken_; }
  void set_broken(bool broken) { broken_ = broken; }

 private:
  uint64_t segment_size_;
  std::map<std::pair<TimelineId, uint64_t>, ArchivedSegment> segments_;
  std::map<TimelineId, TimelineHistory> histories_;
  bool broken_ = false;
};

}  // namespace replsim::sim
