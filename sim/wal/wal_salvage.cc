#include "sim/wal/wal_salvage.h"

#include <fmt/format.h>

#include <cstring>
#include <optional>

#include "sim/wal/wal_reader.h"

namespace replsim::wal {

std::string WalDamage::to_string() const {
  return fmt::format("damaged WAL at {} (segment {}, offset {}): {}; {} bytes skipped, reading resumed at {}",
                     lsn.to_string(), segment, offset, reason, resumed.value - lsn.value, resumed.to_string());
}

namespace {

WalDamage make_damage(const SegmentStore& store, Lsn lsn, Lsn resumed, std::string reason) {
  WalDamage d;
  d.lsn = lsn;
  d.resumed = resumed;
  d.segment = store.segment_name(lsn);
  d.offset = lsn.value & (store.segment_size() - 1);
  d.reason = std::move(reason);
  return d;
}

// The next position at or after `from` holding a valid record, up to the end of the WAL.
std::optional<Lsn> next_valid(const SegmentStore& store, Lsn from) {
  if (from >= store.end_lsn()) return std::nullopt;
  return WalReader::find_first_record(store, from, store.end_lsn().value - from.value);
}

// The first non-zero byte in [from, to), rounded down to the record alignment.
std::optional<Lsn> first_non_zero(const SegmentStore& store, Lsn from, Lsn to) {
  for (uint64_t at = from.value; at < to.value;) {
    const char* p = nullptr;
    const uint64_t n = std::min(store.contiguous(Lsn{at}, &p), to.value - at);
    if (n == 0) break;
    for (uint64_t i = 0; i < n; ++i)
      if (p[i] != 0) return Lsn{(at + i) & ~uint64_t{kAlignment - 1}};
    at += n;
  }
  return std::nullopt;
}

// Bytes before the first valid record are damage when that record links back into them: then
// they held the record before it. Otherwise (zeros, or the tail of a record from a segment not
// given) nothing was lost.
std::optional<WalDamage> damage_before_first(const SegmentStore& store, Lsn first) {
  std::string scratch;
  std::string_view prev_bytes;
  if (first <= store.oldest_lsn() || !store.read(Lsn{first.value + kPrevLsnOffset}, 8, &scratch, &prev_bytes))
    return std::nullopt;
  uint64_t prev = 0;
  std::memcpy(&prev, prev_bytes.data(), 8);
  if (prev < store.oldest_lsn().value || prev >= first.value) return std::nullopt;
  Lsn start{prev};
  if (auto z = first_non_zero(store, store.oldest_lsn(), first); z && *z < start) start = *z;
  // Why the record it links to cannot be read, as the reader says it.
  WalReader reader(&store, Lsn{prev});
  Record r;
  const std::string why = reader.next(&r) == ReadStatus::kCorrupt
                              ? reader.corruption().reason
                              : std::string("zero record length where a record should be");
  return make_damage(store, start, first,
                     fmt::format("{} (the first valid record, at {}, links back to a record at {})", why,
                                 first.to_string(), Lsn{prev}.to_string()));
}

}  // namespace

std::vector<WalDamage> salvage_records(const SegmentStore& store, const std::function<void(const Record&)>& on_record,
                                       std::optional<Lsn>* first) {
  std::vector<WalDamage> damage;
  *first = next_valid(store, store.oldest_lsn());
  if (!*first) return damage;
  if (auto d = damage_before_first(store, **first)) damage.push_back(std::move(*d));
  Lsn pos = **first;
  for (;;) {
    WalReader reader(&store, pos);
    Record r;
    ReadStatus st;
    while ((st = reader.next(&r)) == ReadStatus::kRecord) on_record(r);
    const Lsn at = st == ReadStatus::kCorrupt ? reader.corruption().lsn : reader.position();
    // A record that is valid by itself but links elsewhere (prev_lsn mismatch) is resumed at;
    // anything else is searched for after it.
    std::optional<Lsn> next = next_valid(store, at);
    if (next && *next <= pos) next = next_valid(store, Lsn{at.value + kAlignment});
    if (st == ReadStatus::kEndOfWal && !next) return damage;  // A zero tail or a cut-off last record.
    const Lsn resumed = next.value_or(store.end_lsn());
    std::string reason = st == ReadStatus::kCorrupt ? reader.corruption().reason
                         : reader.partial_record()
                             ? "record length runs past the end of the WAL, yet valid records follow"
                             : "zero record length (what marks the end of WAL), yet valid records follow";
    if (st == ReadStatus::kCorrupt && !next) reason += "; no valid record after it";
    damage.push_back(make_damage(store, at, resumed, std::move(reason)));
    if (!next) return damage;
    pos = *next;
  }
}

}  // namespace replsim::wal
