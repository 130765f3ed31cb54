#include "wal/wal_reader.h"

#include <array>
#include <bit>
#include <cstring>

#include <fmt/format.h>

#include "wal/crc32c.h"

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

// What next_verified() accepts without the general decoder, per raw type byte: the record's
// total_length must lie in [min_length, min_length + extra_length] and its xid be non-zero
// exactly for transactional types. Types it leaves to the general path (truncate, switch,
// unknown and skippable types) have a min_length no length can reach.
struct alignas(16) TypeRule {  // 16 bytes: the table is indexed with a shift.
  uint32_t min_length = UINT32_MAX;
  uint32_t extra_length = 0;
  bool transactional = false;
  bool has_row = false;   // Insert, update: row image after the key.
  bool rare = false;      // Sets ref_lsn (and a checkpoint's time, a restore point's name).
  bool has_name = false;  // Restore point: name after the time.
};

constexpr std::array<TypeRule, 256> make_type_rules() {
  constexpr uint32_t kOneWord = kHeaderSize + 8;  // Header plus one key, time or LSN.
  std::array<TypeRule, 256> rules{};
  auto at = [&](RecordType t) -> TypeRule& { return rules[static_cast<uint8_t>(t)]; };
  at(RecordType::kInsert) = {kOneWord, kMaxRecordLength - kOneWord, true, true, false, false};
  at(RecordType::kUpdate) = {kOneWord, kMaxRecordLength - kOneWord, true, true, false, false};
  at(RecordType::kDelete) = {kOneWord, 0, true, false, false, false};
  at(RecordType::kCommit) = {kOneWord, 0, true, false, false, false};
  at(RecordType::kAbort) = {kOneWord, 0, true, false, false, false};
  at(RecordType::kRestorePoint) = {kOneWord + 1, kMaxRestorePointName - 1, false, false, true, true};
  at(RecordType::kCheckpoint) = {kOneWord + 8, 0, false, false, true, false};
  at(RecordType::kBackupStart) = {kOneWord, 0, false, false, true, false};
  at(RecordType::kBackupEnd) = {kOneWord, 0, false, false, true, false};
  return rules;
}
constexpr std::array<TypeRule, 256> kTypeRules = make_type_rules();

template <typename T>
T load(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// Records per CRC window: enough to keep four CRC lanes busy per length group, few enough that
// a reader stopping early (a recovery target, a standby's flush point) wastes little.
constexpr size_t kWindowRecords = 64;
// How far ahead of the scan to prefetch: about one window (64 records of ~60 bytes is ~4 KB).
constexpr uint64_t kPrefetchDistance = 4096;

}  // namespace

// Every check decode_record() makes, in straight-line form for the records it accepts (the CRC
// was checked when the window was filled): any record it does not accept goes through the
// general path, which reports exactly why.
[[gnu::always_inline]] inline bool WalReader::next_verified(Record* out) {
  const char* p = window_bytes_ + (pos_.value - window_start_);
  const uint32_t length = peek_length(p);
  const uint64_t lsn = load<uint64_t>(p + kLsnOffset);
  const uint64_t prev = load<uint64_t>(p + kPrevLsnOffset);
  const uint32_t xid = load<uint32_t>(p + kXidOffset);
  const uint8_t raw_type = static_cast<uint8_t>(p[kTypeOffset]);
  const TypeRule& rule = kTypeRules[raw_type];
  // prev_ is empty only before the first record of a reader started without expected_prev.
  const bool ok = (lsn == pos_.value) & (p[kFlagsOffset] == 0) & (length - rule.min_length <= rule.extra_length) &
                  ((xid != 0) == rule.transactional) & (prev == prev_.value_or(Lsn{prev}).value);
  if (!ok) return false;
  // Every accepted type has at least one word of payload: the key, or the time of a commit or
  // abort, stored in both fields rather than chosen by type (a branch the CPU would mispredict).
  const uint64_t word = load<uint64_t>(p + kHeaderSize);
  out->lsn = pos_;
  out->prev_lsn = Lsn{prev};
  out->end_lsn = Lsn{pos_.value + align_up(length)};
  out->xid = xid;
  out->type = static_cast<RecordType>(raw_type);
  out->table_id = load<uint16_t>(p + kTableIdOffset);
  out->key = word;
  out->commit_time_us = static_cast<int64_t>(word);
  // A mask, not `has_row ? n : 0`, which the compiler turns into a branch on the record type.
  const size_t row_mask = size_t{0} - size_t{rule.has_row};
  out->row = std::string_view(p + kHeaderSize + 8, (length - (kHeaderSize + 8)) & row_mask);
  if (rule.rare) {  // Checkpoints, backup records, restore points: a well-predicted branch.
    out->ref_lsn = Lsn{word};
    if (out->type == RecordType::kCheckpoint) out->commit_time_us = load<int64_t>(p + kHeaderSize + 8);
    if (rule.has_name) out->name = std::string_view(p + kHeaderSize + 8, length - (kHeaderSize + 8));
  }
  prev_ = pos_;
  pos_ = out->end_lsn;
  return true;
}

void WalReader::fill_window() {
  window_start_ = window_end_ = pos_.value;
  window_version_ = store_->version();
  const char* p = nullptr;
  const uint64_t avail = store_->contiguous(pos_, &p);
  window_bytes_ = p;
  // The scan below chases lengths (each record's position depends on the one before), so the
  // CPU cannot run ahead to the next cache lines itself: fetch the bytes the next window will
  // read (WAL is read once, usually from memory rather than cache) while this one is checked.
  const char* records[kWindowRecords];
  uint32_t lengths[kWindowRecords];
  size_t n = 0;
  uint64_t offset = 0;
  while (n < kWindowRecords && avail - offset >= kHeaderSize) {
    const uint32_t length = peek_length(p + offset);
    if (length < kHeaderSize || length > kMaxRecordLength || align_up(length) > avail - offset) break;
    __builtin_prefetch(p + offset + kPrefetchDistance);
    records[n] = p + offset;
    lengths[n] = static_cast<uint32_t>(align_up(length));
    offset += lengths[n];
    ++n;
  }
  if (n == 0) return;
  const uint64_t bad = crc32c_check_records(records, lengths, n);
  window_end_ += bad == 0 ? offset : static_cast<uint64_t>(records[std::countr_zero(bad)] - p);
}

ReadStatus WalReader::next(Record* out) {
  // The common case stays a small leaf: everything else is out of line.
  if (!corrupt_ && store_->version() == window_version_ &&
      pos_.value - window_start_ < window_end_ - window_start_ && next_verified(out)) {
    partial_ = false;
    return ReadStatus::kRecord;
  }
  return next_refill(out);
}

ReadStatus WalReader::next_refill(Record* out) {
  if (corrupt_) return ReadStatus::kCorrupt;
  partial_ = false;
  const bool in_window =
      store_->version() == window_version_ && pos_.value - window_start_ < window_end_ - window_start_;
  if (!in_window) {
    fill_window();
    if (window_end_ > window_start_ && next_verified(out)) return ReadStatus::kRecord;
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
