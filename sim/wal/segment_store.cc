#include "sim/wal/segment_store.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <charconv>
#include <cstring>

#include "vocab/assert.h"

namespace replsim::wal {

SegmentStore::SegmentStore(uint64_t segment_size, TimelineId timeline)
    : segment_size_(segment_size), segment_shift_(std::countr_zero(segment_size)), timeline_(timeline) {
  REPLSIM_ASSERT(
      std::has_single_bit(segment_size) && segment_size >= kMinSegmentSize && segment_size <= kMaxSegmentSize,
      "segment size must be a power of two within the format's limits");
}

SegmentStore::SegmentStore(SegmentStore&& other) noexcept
    : segment_size_(other.segment_size_),
      segment_shift_(other.segment_shift_),
      timeline_(other.timeline_),
      begin_(other.begin_),
      end_(other.end_),
      first_segno_(other.first_segno_),
      segments_(std::move(other.segments_)),
      version_(new_version()) {
  other.version_ = new_version();
}

SegmentStore& SegmentStore::operator=(SegmentStore&& other) noexcept {
  segment_size_ = other.segment_size_;
  segment_shift_ = other.segment_shift_;
  timeline_ = other.timeline_;
  begin_ = other.begin_;
  end_ = other.end_;
  first_segno_ = other.first_segno_;
  segments_ = std::move(other.segments_);
  version_ = new_version();
  other.version_ = new_version();
  return *this;
}

uint64_t SegmentStore::new_version() {
  // Process-wide so that no two stores (or two states of one store) share a version; relaxed is
  // enough, as only uniqueness matters, and stores are used by one thread at a time.
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

SegmentStore::Segment& SegmentStore::segment_for_write(uint64_t segno) {
  REPLSIM_ASSERT(segno >= first_segno_, "writes never go below oldest_lsn()");
  while (segno - first_segno_ >= segments_.size()) {
    // Not zero-filled: simulator campaigns create many stores, and zeroing a whole segment costs
    // as much as writing it. Nothing outside [oldest_lsn(), end_lsn()) is ever read: reads stop
    // at end_lsn() (so a reader sees the end of WAL there, as at a zero tail), append_zeros()
    // writes its zeros, and storage::save_segments() writes zeros for the unwritten parts of a file.
    segments_.push_back(Segment{timeline_, std::make_unique_for_overwrite<char[]>(segment_size_)});
  }
  Segment& s = segments_[segno - first_segno_];
  s.timeline = timeline_;
  return s;
}

void SegmentStore::write(Lsn lsn, std::string_view bytes) {
  if (empty()) {
    segments_.clear();
    begin_ = end_ = lsn;
    first_segno_ = lsn.value >> segment_shift_;
  }
  REPLSIM_ASSERT(lsn >= begin_ && lsn <= end_, "write must start inside or at the end of the held WAL");
  if (lsn < end_ && !bytes.empty()) version_ = new_version();  // Overwrites readable bytes.
  uint64_t pos = lsn.value;
  const char* src = bytes.data();
  size_t left = bytes.size();
  while (left > 0) {
    const uint64_t offset = pos & (segment_size_ - 1);
    const size_t chunk = static_cast<size_t>(std::min<uint64_t>(left, segment_size_ - offset));
    std::memcpy(segment_for_write(pos >> segment_shift_).data.get() + offset, src, chunk);
    pos += chunk;
    src += chunk;
    left -= chunk;
  }
  end_.value = std::max(end_.value, pos);
}

void SegmentStore::append_zeros(uint64_t n) {
  // Segments are not zero-filled when created (segment_for_write), so the zeros are written.
  if (n == 0) return;
  const uint64_t last = end_.value + n - 1;
  for (uint64_t segno = end_.value >> segment_shift_; segno <= last >> segment_shift_; ++segno) {
    Segment& s = segment_for_write(segno);
    const uint64_t seg_start = segno << segment_shift_;
    const uint64_t from = std::max(seg_start, end_.value) - seg_start;
    const uint64_t to = std::min(seg_start + segment_size_, end_.value + n) - seg_start;
    std::memset(s.data.get() + from, 0, to - from);
  }
  end_.value += n;
}

bool SegmentStore::read(Lsn lsn, size_t n, std::string* scratch, std::string_view* out) const {
  if (lsn.value < begin_.value || lsn.value > end_.value || n > end_.value - lsn.value) return false;
  const uint64_t offset = lsn.value & (segment_size_ - 1);
  const uint64_t segno = lsn.value >> segment_shift_;
  if (offset + n <= segment_size_) {
    *out = std::string_view(segments_[segno - first_segno_].data.get() + offset, n);
    return true;
  }
  scratch->resize(n);
  uint64_t pos = lsn.value;
  size_t done = 0;
  while (done < n) {
    const uint64_t off = pos & (segment_size_ - 1);
    const size_t chunk = static_cast<size_t>(std::min<uint64_t>(n - done, segment_size_ - off));
    std::memcpy(scratch->data() + done, segments_[(pos >> segment_shift_) - first_segno_].data.get() + off, chunk);
    pos += chunk;
    done += chunk;
  }
  *out = *scratch;
  return true;
}

std::string SegmentStore::read(Lsn lsn, size_t n) const {
  std::string scratch;
  std::string_view view;
  REPLSIM_ASSERT(read(lsn, n, &scratch, &view), "read outside [oldest_lsn, end_lsn)");
  return std::string(view);
}

void SegmentStore::truncate_from(Lsn lsn) {
  if (lsn >= end_) return;
  version_ = new_version();
  if (lsn <= begin_) {
    segments_.clear();
    begin_ = end_ = lsn;
    first_segno_ = lsn.value >> segment_shift_;
    return;
  }
  // Keep the segment holding the last remaining byte. Its tail is not zeroed: nothing reads past
  // end_lsn(), and save() writes zeros there, so saved files still show a clean end.
  const uint64_t last_segno = (lsn.value - 1) >> segment_shift_;
  while (first_segno_ + segments_.size() > last_segno + 1) segments_.pop_back();
  end_ = lsn;
}

void SegmentStore::remove_before(Lsn lsn) {
  const uint64_t target = std::min(lsn.value, end_.value) >> segment_shift_;
  if (!segments_.empty() && first_segno_ < target) version_ = new_version();
  while (!segments_.empty() && first_segno_ < target) {
    segments_.pop_front();
    ++first_segno_;
  }
  if (segments_.empty()) first_segno_ = target;
  begin_.value = std::max(begin_.value, target << segment_shift_);
  if (begin_ > end_) end_ = begin_;
}

std::string SegmentStore::segment_name(Lsn lsn) const {
  const uint64_t segno = lsn.value >> segment_shift_;
  TimelineId tli = timeline_;
  if (segno >= first_segno_ && segno - first_segno_ < segments_.size()) tli = segments_[segno - first_segno_].timeline;
  return wal_segment_name(tli, lsn, segment_size_);
}

std::vector<std::string> SegmentStore::segment_names() const {
  std::vector<std::string> names;
  for (size_t i = 0; i < segments_.size(); ++i) {
    names.push_back(wal_segment_name(segments_[i].timeline, Lsn{(first_segno_ + i) << segment_shift_}, segment_size_));
  }
  return names;
}

bool parse_segment_name(std::string_view name, uint64_t segment_size, TimelineId* timeline, Lsn* start) {
  if (name.size() != 24) return false;
  uint32_t parts[3];
  for (int i = 0; i < 3; ++i) {
    std::string_view part = name.substr(static_cast<size_t>(i) * 8, 8);
    for (char c : part) {
      if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'))) return false;
    }
    std::from_chars(part.data(), part.data() + 8, parts[i], 16);
  }
  const uint64_t segments_per_id = 0x100000000ULL / segment_size;
  if (parts[2] >= segments_per_id) return false;
  *timeline = parts[0];
  *start = Lsn{(uint64_t{parts[1]} * segments_per_id + parts[2]) * segment_size};
  return true;
}

}  // namespace replsim::wal
