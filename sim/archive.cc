#include "sim/archive.h"

#include <algorithm>

#include "vocab/assert.h"

namespace replsim::sim {

int64_t archive_timeout_seconds(int64_t milliseconds) {
  REPLSIM_ASSERT(milliseconds >= 0, "archive_timeout is never negative");
  // rint() in the default rounding mode, in integers: the remainder decides, a tie goes to even.
  int64_t seconds = milliseconds / 1000;
  const int64_t rest = milliseconds % 1000;
  if (rest > 500 || (rest == 500 && seconds % 2 == 1)) ++seconds;
  return seconds;
}

int64_t size_setting_segments(int64_t bytes, uint64_t segment_bytes) {
  REPLSIM_ASSERT(bytes >= 0, "size settings are never negative here");
  constexpr int64_t kMb = 1 << 20;
  REPLSIM_ASSERT(segment_bytes >= static_cast<uint64_t>(kMb) && segment_bytes % kMb == 0,
                 "wal_segment_size is a whole number of MB");
  int64_t mb = bytes / kMb;
  const int64_t rest = bytes % kMb;
  if (rest > kMb / 2 || (rest == kMb / 2 && mb % 2 == 1)) ++mb;
  return mb / static_cast<int64_t>(segment_bytes / kMb);
}

void WalArchive::put_segment(TimelineId timeline, uint64_t segno, ArchivedSegment segment) {
  segments_.try_emplace({timeline, segno}, std::move(segment));
}

const ArchivedSegment* WalArchive::find_segment(TimelineId timeline, uint64_t segno) const {
  auto it = segments_.find({timeline, segno});
  return it == segments_.end() ? nullptr : &it->second;
}

std::optional<TimelineHistory> WalArchive::history(TimelineId timeline) const {
  auto it = histories_.find(timeline);
  if (it == histories_.end()) return std::nullopt;
  return it->second;
}

TimelineId WalArchive::newest_timeline(TimelineId from) const {
  TimelineId t = from;
  while (histories_.count(t + 1)) ++t;
  return t;
}

std::vector<std::pair<TimelineId, Lsn>> WalArchive::path(TimelineId from, TimelineId target, Lsn not_before) const {
  std::vector<std::pair<TimelineId, Lsn>> reversed;
  TimelineId t = target;
  while (t != from) {
    const auto h = history(t);
    if (!h || h->switch_point < not_before) return {};
    reversed.emplace_back(t, h->switch_point);
    t = h->parent;
  }
  reversed.emplace_back(from, Lsn{});
  std::reverse(reversed.begin(), reversed.end());
  return reversed;
}

}  // namespace replsim::sim
