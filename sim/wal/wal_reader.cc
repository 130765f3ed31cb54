#include "sim/wal/wal_reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>

#include "sim/wal/crc32c.h"
#include "sim/wal/crc32c_clmul.h"
#include "vocab/assert.h"

namespace replsim::wal {

std::string Corruption::to_string() const {
  return fmt::format("invalid record at {} in segment {}: {}", lsn.to_string(), segment, reason);
}

WalReader::WalReader(const SegmentStore* store, Lsn start, std::optional<Lsn> expected_prev)
    : store_(store), pos_(start), prev_(expected_prev) {}

ReadStatus WalReader::fail(std::string_view reason) {
  corrupt_ = true;
  corruption_.lsn = pos_;
  corruption_.segment = store_->segment_name(pos_);
  corruption_.reason = std::string(reason);
  return ReadStatus::kCorrupt;
}

namespace {
// A CRC failure whose record ends in zero bytes is a write that stopped part-way (a torn
// write), which PostgreSQL also treats as the end of valid WAL after a crash.
bool zero_tail(std::string_view bytes) {
  if (bytes.size() <= kHeaderSize) return false;
  const size_t check = std::min<size_t>(bytes.size() - kHeaderSize, 8);
  for (size_t i = bytes.size() - check; i < bytes.size(); ++i) {
    if (bytes[i] != 0) return false;
  }
  return true;
}
}  // namespace

namespace {

// What the window accepts, per raw type byte: a total_length in [min_length, min_length +
// extra_length]. Every accepted type is transactional (a non-zero xid). Other types (truncate,
// switch, restore point, checkpoint, backup, unknown and skippable types) have a min_length no
// length can reach and go through the general decoder.
struct TypeRule {
  uint32_t min_length = UINT32_MAX;
  uint32_t extra_length = 0;
};

constexpr std::array<TypeRule, 256> make_type_rules() {
  constexpr uint32_t kOneWord = kHeaderSize + 8;  // Header plus one key or time.
  std::array<TypeRule, 256> rules{};
  auto at = [&](RecordType t) -> TypeRule& { return rules[static_cast<uint8_t>(t)]; };
  at(RecordType::kInsert) = {kOneWord, kMaxRecordLength - kOneWord};
  at(RecordType::kUpdate) = {kOneWord, kMaxRecordLength - kOneWord};
  at(RecordType::kDelete) = {kOneWord, 0};
  at(RecordType::kCommit) = {kOneWord, 0};
  at(RecordType::kAbort) = {kOneWord, 0};
  return rules;
}
constexpr std::array<TypeRule, 256> kTypeRules = make_type_rules();

template <typename T>
T load(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// How far ahead of the scan to prefetch: about one window (64 records of ~60 bytes is ~4 KB).
constexpr uint64_t kPrefetchDistance = 4096;

// The run of records a window scan looks at: `avail` contiguous bytes at `p`, which is LSN `base`.
struct ScanInput {
  const char* p;
  uint64_t avail;
  uint64_t base;
  uint64_t expected_prev;  // What the first record's prev_lsn must be.
};

// Every check decode_record() and next_slow() make, except the CRC, in straight-line form for
// the records the window accepts: true (and *v filled in) when the record at r, `offset` bytes
// into the run, passes. Both window scans below use it, so the checks are written once.
[[gnu::always_inline]] inline bool accept_record(const char* r, uint64_t offset, uint64_t avail, uint64_t base,
                                                 uint64_t expected_prev, RecordView* v) {
  const uint32_t length = peek_length(r);
  const uint8_t raw_type = static_cast<uint8_t>(r[kTypeOffset]);
  const TypeRule& rule = kTypeRules[raw_type];
  // The scan chases lengths (each record's position depends on the one before), so the CPU
  // cannot run ahead to the next cache lines itself: fetch what the next window will read.
  __builtin_prefetch(r + kPrefetchDistance);
  if (length - rule.min_length > rule.extra_length || align_up(length) > avail - offset) return false;
  const uint64_t lsn = load<uint64_t>(r + kLsnOffset);
  const uint64_t prev = load<uint64_t>(r + kPrevLsnOffset);
  const uint32_t xid = load<uint32_t>(r + kXidOffset);
  // One branch for all of them, on integers (no flag juggling through memory).
  const uint64_t mismatch = (lsn ^ (base + offset)) | static_cast<uint8_t>(r[kFlagsOffset]) | (prev ^ expected_prev);
  if (mismatch != 0 || xid == 0) return false;
  v->bytes = r;
  v->lsn = Lsn{lsn};
  v->word = load<uint64_t>(r + kHeaderSize);
  v->xid = xid;
  v->length = length;
  v->table_id = load<uint16_t>(r + kTableIdOffset);
  v->type = static_cast<RecordType>(raw_type);
  return true;
}

// The most records crc32c_check_records() takes at once: bits of a 64-bit mask. The portable
// scan takes no more per window; the carry-less one rechecks a longer window in such chunks.
constexpr size_t kMaxScan = 64;

// The portable window scan: headers first, then the run's CRCs in one crc32c_check_records()
// call (crc32 chains interleaved across records of equal length). Returns the records accepted.
// Copies of the input in locals: `views` could alias it, which would make the compiler reload
// every field after each store to a view.
uint32_t scan_window(const ScanInput in, RecordView* views, size_t max_records) {
  max_records = std::min(max_records, kMaxScan);
  const char* records[kMaxScan];
  uint32_t lengths[kMaxScan];
  const char* const p = in.p;
  const uint64_t avail = in.avail, base = in.base;
  uint64_t expected_prev = in.expected_prev;
  uint32_t n = 0;
  uint64_t offset = 0;
  while (n < max_records && avail - offset >= kHeaderSize + kKeySize &&
         accept_record(p + offset, offset, avail, base, expected_prev, &views[n])) {
    records[n] = p + offset;
    lengths[n] = static_cast<uint32_t>(align_up(peek_length(p + offset)));
    expected_prev = base + offset;
    offset += lengths[n];
    ++n;
  }
  if (n == 0) return 0;
  const uint64_t bad = crc32c_check_records(records, lengths, n);
  return bad == 0 ? n : static_cast<uint32_t>(std::countr_zero(bad));
}

#if defined(__x86_64__)
// The same scan with each record's CRC computed as soon as its header passes (carry-less
// multiplication, crc32c_clmul.h). The scan itself is a chain of dependent loads (each record's
// position is the previous one's plus its length) that leaves most of the core idle; a
// record's CRC depends on nothing but its bytes, so the CPU runs it in that idle time instead
// of in a second pass after the scan. Mismatches are only ORed together here: which record
// failed is worked out again, the slow way, only when one did.
REPLSIM_CLMUL_TARGET uint32_t scan_window_clmul(const ScanInput in, RecordView* views, size_t max_records) {
  const char* const p = in.p;
  const uint64_t avail = in.avail, base = in.base;
  uint64_t expected_prev = in.expected_prev;
  uint32_t n = 0;
  uint64_t offset = 0;
  uint32_t crc_mismatch = 0;
  bool long_record = false;
  while (n < max_records && avail - offset >= kHeaderSize + kKeySize &&
         accept_record(p + offset, offset, avail, base, expected_prev, &views[n])) {
    const char* r = p + offset;
    const uint64_t aligned = align_up(peek_length(r));
    const size_t words = aligned / 8;
    if (words <= internal::kMaxClmulWords) [[likely]] {
      crc_mismatch |= internal::record_crc_clmul(r, words) ^ load<uint32_t>(r + kCrcOffset);
    } else {
      long_record = true;  // Checked below with the rest.
    }
    expected_prev = base + offset;
    offset += aligned;
    ++n;
  }
  if (crc_mismatch == 0 && !long_record) return n;
  for (uint32_t from = 0; from < n; from += kMaxScan) {
    const char* records[kMaxScan];
    uint32_t lengths[kMaxScan];
    const uint32_t chunk = std::min<uint32_t>(n - from, kMaxScan);
    for (uint32_t i = 0; i < chunk; ++i) {
      records[i] = views[from + i].bytes;
      lengths[i] = static_cast<uint32_t>(align_up(views[from + i].length));
    }
    const uint64_t bad = crc32c_check_records(records, lengths, chunk);
    if (bad != 0) return from + static_cast<uint32_t>(std::countr_zero(bad));
  }
  return n;
}
#endif

}  // namespace

// Fills the window with the run of common records at pos_ that pass every check, CRC included:
// a record that fails any check ends the window, and the general path then reports exactly why.
void WalReader::fill_window() {
  window_next_ = window_size_ = 0;
  window_version_ = store_->version();
  window_prev_ = prev_;
  ScanInput in{};
  in.avail = store_->contiguous(pos_, &in.p);
  in.base = pos_.value;
  // prev_ is empty only before the first record of a reader started without expected_prev:
  // then the first record may link anywhere, which the scans see as linking where expected.
  if (prev_.has_value()) {
    in.expected_prev = prev_->value;
  } else if (in.avail >= kHeaderSize) {
    in.expected_prev = load<uint64_t>(in.p + kPrevLsnOffset);
  }
#if defined(__x86_64__)
  if (crc32c_path() == Crc32cPath::kCarrylessMultiply) {
    window_size_ = scan_window_clmul(in, views_.data(), kWindowRecords);
    return;
  }
#endif
  window_size_ = scan_window(in, views_.data(), kWindowRecords);
}

std::span<const RecordView> WalReader::next_batch(Lsn up_to) {
  if (!window_valid()) {
    if (corrupt_) return {};
    fill_window();
    if (window_size_ == 0) return {};
  }
  uint32_t end = window_size_;
  if (views_[end - 1].lsn >= up_to) {  // Rare: a standby's flush point or a redo point.
    end = window_next_;
    while (end < window_size_ && views_[end].lsn < up_to) ++end;
  }
  const std::span<const RecordView> batch(views_.data() + window_next_, end - window_next_);
  if (batch.empty()) return batch;
  window_next_ = end;
  prev_ = batch.back().lsn;
  pos_ = batch.back().end_lsn();
  partial_ = false;
  return batch;
}

void WalReader::put_back(size_t n) {
  REPLSIM_ASSERT(n <= window_next_, "put_back returns only records of the last batch");
  if (n == 0) return;
  window_next_ -= static_cast<uint32_t>(n);
  pos_ = views_[window_next_].lsn;
  prev_ = window_next_ > 0 ? std::optional<Lsn>(views_[window_next_ - 1].lsn) : window_prev_;
}

void WalReader::consume_view(Record* out) {
  const RecordView& v = views_[window_next_++];
  *out = Record{};
  out->lsn = v.lsn;
  out->prev_lsn = Lsn{load<uint64_t>(v.bytes + kPrevLsnOffset)};
  out->end_lsn = v.end_lsn();
  out->xid = v.xid;
  out->type = v.type;
  out->table_id = v.table_id;
  if (v.type == RecordType::kCommit || v.type == RecordType::kAbort) {
    out->commit_time_us = v.time_us();
  } else {
    out->key = v.key();
    out->row = v.row();
  }
  prev_ = v.lsn;
  pos_ = out->end_lsn;
  partial_ = false;
}

ReadStatus WalReader::next(Record* out) {
  // The common case stays small: everything else is out of line.
  if (window_valid()) {
    consume_view(out);
    return ReadStatus::kRecord;
  }
  return next_refill(out);
}

ReadStatus WalReader::next_refill(Record* out) {
  if (corrupt_) return ReadStatus::kCorrupt;
  partial_ = false;
  fill_window();
  if (window_size_ > 0) {
    consume_view(out);
    return ReadStatus::kRecord;
  }
  return next_slow(out);
}

// The general path: records spanning segments, the end of WAL, every kind of invalid record,
// switch and truncate records, skippable types.
ReadStatus WalReader::next_slow(Record* out) {
  for (;;) {  // Loops only to skip records of unknown skippable types.
    std::string_view header;
    if (!store_->read(pos_, kHeaderSize, &scratch_, &header)) {
      partial_ = store_->end_lsn() > pos_;
      return ReadStatus::kEndOfWal;
    }
    const uint32_t length = peek_length(header.data());
    if (length == 0) return ReadStatus::kEndOfWal;  // Zero-filled tail: the end of valid WAL.
    if (length < kHeaderSize || length > kMaxRecordLength) return fail("impossible record length");
    const size_t aligned = align_up(length);
    std::string_view bytes;
    if (!store_->read(pos_, aligned, &scratch_, &bytes)) {
      partial_ = true;
      return ReadStatus::kEndOfWal;
    }
    std::string_view reason = decode_record(bytes, pos_, out);
    if (reason == kSkippableUnknownType) {
      prev_ = pos_;
      pos_ = Lsn{pos_.value + aligned};
      continue;
    }
    if (!reason.empty()) {
      if (reason == "bad CRC" && zero_tail(bytes.substr(0, length))) return fail("torn record (bad CRC, zero tail)");
      return fail(reason);
    }
    if (prev_.has_value() && out->prev_lsn != *prev_) {
      return fail(fmt::format("prev_lsn mismatch: record links to {}, previous record is at {}",
                              out->prev_lsn.to_string(), prev_->to_string()));
    }
    if (out->type == RecordType::kSwitch) {
      const uint64_t seg = store_->segment_size();
      out->end_lsn = Lsn{(out->end_lsn.value + seg - 1) & ~(seg - 1)};
    }
    prev_ = pos_;
    pos_ = out->end_lsn;
    return ReadStatus::kRecord;
  }
}

std::optional<Lsn> WalReader::find_first_record(const SegmentStore& store, Lsn from, uint64_t limit) {
  std::string scratch;
  Record r;
  const uint64_t begin = align_up(std::max(from.value, store.oldest_lsn().value));
  for (uint64_t pos = begin; pos < from.value + limit && pos + kHeaderSize <= store.end_lsn().value;
       pos += kAlignment) {
    std::string_view header;
    if (!store.read(Lsn{pos}, kHeaderSize, &scratch, &header)) break;
    uint64_t stored_lsn;
    std::memcpy(&stored_lsn, header.data() + kLsnOffset, 8);
    if (stored_lsn != pos) continue;  // Cheap filter before the CRC.
    const uint32_t length = peek_length(header.data());
    if (length < kHeaderSize || length > kMaxRecordLength) continue;
    std::string_view bytes;
    if (!store.read(Lsn{pos}, align_up(length), &scratch, &bytes)) continue;
    if (decode_record(bytes, Lsn{pos}, &r).empty()) return Lsn{pos};
  }
  return std::nullopt;
}

}  // namespace replsim::wal
