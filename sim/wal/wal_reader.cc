#include "wal/wal_reader.h"

#include <fmt/format.h>

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

ReadStatus WalReader::next(Record* out) {
  if (corrupt_) return ReadStatus::kCorrupt;
  partial_ = false;
  // Fast path: the whole record lies in one segment (all but one record per segment).
  const char* p;
  const uint64_t avail = store_->contiguous(pos_, &p);
  if (avail >= kHeaderSize) {
    const uint32_t length = peek_length(p);
    if (length >= kHeaderSize && align_up(length) <= avail &&
        decode_record(std::string_view(p, align_up(length)), pos_, out).empty() &&
        (!prev_.has_value() || out->prev_lsn == *prev_) && out->type != RecordType::kSwitch) {
      prev_ = pos_;
      pos_ = out->end_lsn;
      return ReadStatus::kRecord;
    }
  }
  // Slow path: spanning records, end of WAL, errors, switch records, skippable types.
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
