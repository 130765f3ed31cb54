// SegmentStore: one node's pg_wal in memory. The WAL stream is cut into fixed-size segments
// (wal_segment_size, a power of two) named like PostgreSQL's files; a record may run from one
// segment into the next (log_format.h). Bytes in [oldest_lsn(), end_lsn()) are readable.
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sim/wal/log_format.h"
#include "vocab/lsn.h"
#include "vocab/status.h"

namespace replsim::wal {

class SegmentStore {
 public:
  // REQUIRES: segment_size is a power of two in [kMinSegmentSize, kMaxSegmentSize].
  explicit SegmentStore(uint64_t segment_size = kDefaultSegmentSize, TimelineId timeline = 1);
  // A moved-to (and a moved-from) store gets a new version(): readers that cached checks of
  // the old bytes must not trust them for what is now in the object.
  SegmentStore(SegmentStore&& other) noexcept;
  SegmentStore& operator=(SegmentStore&& other) noexcept;

  uint64_t segment_size() const { return segment_size_; }
  // The timeline that new writes are labelled with (segments carry the timeline of their
  // last write, so after a promotion the segment holding the switch point is renamed the way
  // PostgreSQL copies it to the new timeline).
  TimelineId timeline() const { return timeline_; }
  void set_timeline(TimelineId timeline) { timeline_ = timeline; }

  bool empty() const { return end_.value == begin_.value; }
  Lsn oldest_lsn() const { return begin_; }  // First readable byte.
  Lsn end_lsn() const { return end_; }       // One past the last written byte.
  // Changes whenever bytes that were readable may have changed or gone: an overwrite below
  // end_lsn(), truncate_from(), remove_before(), a move. Appending leaves it alone. Unique across
  // stores, so a reader that verified bytes ahead of its position (WalReader's CRC window) can
  // tell, with one comparison, that its checks still describe the bytes in the store.
  uint64_t version() const { return version_; }

  // Writes `bytes` at `lsn`, overwriting what is there and extending end_lsn() if it goes further.
  // An empty store starts at `lsn`. A standby's walreceiver calls this with what it received.
  // REQUIRES: empty() or oldest_lsn() <= lsn <= end_lsn().
  void write(Lsn lsn, std::string_view bytes);
  void append(std::string_view bytes) { write(end_, bytes); }
  // Appends n zero bytes (padding after a kSwitch record).
  void append_zeros(uint64_t n);

  // Returns a view of [lsn, lsn + n): directly into the segment when the range lies in one
  // segment, else copied into *scratch. Valid until the next mutation or the next use of scratch.
  // Returns false (and leaves *out alone) when the range is not entirely readable.
  bool read(Lsn lsn, size_t n, std::string* scratch, std::string_view* out) const;
  // The bytes readable in one piece from `lsn` (up to the end of its segment or of the WAL), with
  // *p pointing at them; 0 if lsn is outside [oldest_lsn(), end_lsn()). The reader's fast path.
  uint64_t contiguous(Lsn lsn, const char** p) const {
    if (lsn.value < begin_.value || lsn.value >= end_.value) return 0;
    const uint64_t offset = lsn.value & (segment_size_ - 1);
    *p = segments_[(lsn.value >> segment_shift_) - first_segno_].data.get() + offset;
    return std::min(segment_size_ - offset, end_.value - lsn.value);
  }
  // Convenience copy; REQUIRES the range to be readable.
  std::string read(Lsn lsn, size_t n) const;

  // Forgets everything from `lsn` on (a crash losing the unflushed tail, or a standby's
  // received-but-unflushed bytes). Does nothing if lsn >= end_lsn().
  void truncate_from(Lsn lsn);
  // Drops whole segments that end at or before `lsn` (WAL recycling past wal_keep_size).
  // oldest_lsn() becomes the start of the segment holding `lsn` (or stays put).
  void remove_before(Lsn lsn);

  // PostgreSQL file names of the segments held, oldest first.
  std::vector<std::string> segment_names() const;
  // The name of the segment file holding `lsn` as this store would write it.
  std::string segment_name(Lsn lsn) const;

 private:
  struct Segment {
    TimelineId timeline;
    std::unique_ptr<char[]> data;
  };
  Segment& segment_for_write(uint64_t segno);
  static uint64_t new_version();

  uint64_t segment_size_;
  int segment_shift_;
  TimelineId timeline_;
  Lsn begin_;
  Lsn end_;
  uint64_t first_segno_ = 0;      // Segment number of segments_.front().
  std::deque<Segment> segments_;  // Consecutive segments from first_segno_.
  uint64_t version_ = new_version();
};

// Parses a PostgreSQL segment file name into (timeline, first LSN of the segment).
// Returns false if `name` is not 24 hex digits.
bool parse_segment_name(std::string_view name, uint64_t segment_size, TimelineId* timeline, Lsn* start);

}  // namespace replsim::wal
