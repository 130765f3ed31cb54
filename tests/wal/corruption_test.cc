// Flipping any byte or cutting the WAL at any point must stop the reader exactly at the record
// affected, with every record before it intact, and never crash or read out of bounds (these
// tests also run under ASan/UBSan).
#include <gtest/gtest.h>

#include "sim/wal/wal_reader.h"
#include "sim/wal/wal_salvage.h"
#include "sim/wal/wal_writer.h"
#include "wal_test_util.h"

namespace replsim::wal {
namespace {

constexpr uint64_t kSegment = 128;  // Small, so many records straddle a boundary.

struct SampleWal {
  std::string bytes;
  Lsn start{kSegment * 2 + 8};
  std::vector<Appended> records;
};

SampleWal make_sample() {
  SampleWal w;
  SegmentStore s(kSegment);
  WalWriter writer(&s, w.start);
  w.records = testing::write_sample_wal(&writer);
  w.bytes = s.read(w.start, s.end_lsn().value - w.start.value);
  return w;
}

// Index of the record holding byte `lsn` (its aligned extent).
size_t record_at(const SampleWal& w, uint64_t lsn) {
  for (size_t i = 0; i < w.records.size(); ++i) {
    if (lsn < w.records[i].end_lsn.value) return i;
  }
  return w.records.size();
}

TEST(CorruptionTest, FlippingAnyByteStopsReplayAtTheRecordHoldingIt) {
  const SampleWal w = make_sample();
  for (size_t i = 0; i < w.bytes.size(); ++i) {
    for (unsigned char mask : {0x01, 0x80, 0xFF}) {
      std::string bad = w.bytes;
      bad[i] = static_cast<char>(bad[i] ^ mask);
      SegmentStore s(kSegment);
      s.write(w.start, bad);
      WalReader reader(&s, w.start, Lsn{0});
      Record r;
      size_t n = 0;
      ReadStatus st;
      while ((st = reader.next(&r)) == ReadStatus::kRecord) {
        ASSERT_LT(n, w.records.size());
        ASSERT_EQ(r.lsn, w.records[n].lsn);
        ++n;
      }
      const size_t hit = record_at(w, w.start.value + i);
      ASSERT_EQ(n, hit) << "byte " << i << " mask " << int{mask};
      ASSERT_EQ(reader.position(), w.records[hit].lsn) << "byte " << i;
      if (st == ReadStatus::kCorrupt) {
        EXPECT_EQ(reader.corruption().lsn, w.records[hit].lsn);
        EXPECT_EQ(reader.corruption().segment, s.segment_name(w.records[hit].lsn));
      }
    }
  }
}

TEST(CorruptionTest, TruncatingAtAnyPointEndsWalAfterTheLastCompleteRecord) {
  const SampleWal w = make_sample();
  for (size_t cut = 0; cut <= w.bytes.size(); ++cut) {
    SegmentStore s(kSegment);
    s.write(w.start, std::string_view(w.bytes).substr(0, cut));
    WalReader reader(&s, w.start);
    Record r;
    size_t n = 0;
    ReadStatus st;
    while ((st = reader.next(&r)) == ReadStatus::kRecord) ++n;
    ASSERT_EQ(st, ReadStatus::kEndOfWal) << "cut " << cut;
    size_t complete = 0;
    while (complete < w.records.size() && w.records[complete].end_lsn.value <= w.start.value + cut) ++complete;
    ASSERT_EQ(n, complete) << "cut " << cut;
    EXPECT_EQ(reader.partial_record(), w.start.value + cut > reader.position().value);
  }
}

TEST(CorruptionTest, TornRecordWithZeroTailIsReportedAsTorn) {
  // A crash part-way through writing the last record: its header made it to disk, the rest is
  // the pre-zeroed file.
  const SampleWal w = make_sample();
  const Appended& last = w.records.back();
  std::string bad = w.bytes;
  const size_t from = last.lsn.value - w.start.value + kHeaderSize;
  std::fill(bad.begin() + static_cast<std::ptrdiff_t>(from), bad.end(), '\0');
  SegmentStore s(kSegment);
  s.write(w.start, bad);
  WalReader reader(&s, w.start);
  Record r;
  while (reader.next(&r) == ReadStatus::kRecord) {
  }
  ASSERT_EQ(reader.next(&r), ReadStatus::kCorrupt);
  EXPECT_EQ(reader.corruption().lsn, last.lsn);
  EXPECT_NE(reader.corruption().reason.find("torn"), std::string::npos) << reader.corruption().reason;
}

TEST(CorruptionTest, StaleBytesOfARecycledSegmentAreNotMistakenForRecords) {
  // Valid records copied to a different position keep their old LSN field: the reader rejects them.
  const SampleWal w = make_sample();
  SegmentStore s(kSegment);
  s.write(Lsn{w.start.value + 4096}, w.bytes);
  WalReader reader(&s, Lsn{w.start.value + 4096});
  Record r;
  ASSERT_EQ(reader.next(&r), ReadStatus::kCorrupt);
  EXPECT_NE(reader.corruption().reason.find("LSN"), std::string::npos);
}

// Salvage reading (`wal dump`): flipping any byte of any record but the last loses exactly that
// record, reported at its LSN with its segment and offset; every other record is still read.
TEST(CorruptionTest, SalvageReportsExactlyTheDamagedRecordAndReadsEveryOther) {
  const SampleWal w = make_sample();
  ASSERT_GE(w.records.size(), 4u);
  const uint64_t last_start = w.records.back().lsn.value - w.start.value;
  for (size_t i = 0; i < last_start; ++i) {
    for (unsigned char mask : {0x01, 0x80, 0xFF}) {
      std::string bad = w.bytes;
      bad[i] = static_cast<char>(bad[i] ^ mask);
      SegmentStore s(kSegment);
      s.write(w.start, bad);
      const size_t hit = record_at(w, w.start.value + i);
      std::vector<Lsn> read;
      std::optional<Lsn> first;
      const auto damage = salvage_records(
          s, [&](const Record& r) { read.push_back(r.lsn); }, &first);
      ASSERT_TRUE(first.has_value()) << "byte " << i;
      ASSERT_EQ(damage.size(), 1u) << "byte " << i << " mask " << int{mask};
      EXPECT_EQ(damage[0].lsn, w.records[hit].lsn) << "byte " << i << " mask " << int{mask};
      EXPECT_EQ(damage[0].resumed, w.records[hit + 1].lsn) << "byte " << i;
      EXPECT_EQ(damage[0].segment, s.segment_name(w.records[hit].lsn));
      EXPECT_EQ(damage[0].offset, w.records[hit].lsn.value % kSegment);
      ASSERT_EQ(read.size(), w.records.size() - 1) << "byte " << i << " mask " << int{mask};
      for (size_t k = 0, j = 0; k < w.records.size(); ++k) {
        if (k != hit) {
          EXPECT_EQ(read[j++], w.records[k].lsn) << "byte " << i;
        }
      }
    }
  }
}

TEST(CorruptionTest, SalvageCallsZerosBeforeValidRecordsDamageButNotAZeroTail) {
  const SampleWal w = make_sample();
  const Appended& mid = w.records[w.records.size() / 2];
  std::string bad = w.bytes;
  std::fill_n(bad.begin() + static_cast<std::ptrdiff_t>(mid.lsn.value - w.start.value), kHeaderSize, '\0');
  SegmentStore s(kSegment);
  s.write(w.start, bad);
  s.append_zeros(3 * kSegment);  // A zero tail after the last record: the end, not damage.
  std::optional<Lsn> first;
  size_t n = 0;
  const auto damage = salvage_records(
      s, [&](const Record&) { ++n; }, &first);
  ASSERT_EQ(damage.size(), 1u);
  EXPECT_EQ(damage[0].lsn, mid.lsn);
  EXPECT_NE(damage[0].reason.find("zero record length"), std::string::npos) << damage[0].reason;
  EXPECT_EQ(n, w.records.size() - 1);

  SegmentStore intact(kSegment);
  intact.write(w.start, w.bytes);
  intact.append_zeros(3 * kSegment);
  n = 0;
  EXPECT_TRUE(salvage_records(
                  intact, [&](const Record&) { ++n; }, &first)
                  .empty());
  EXPECT_EQ(n, w.records.size());
  EXPECT_EQ(first, w.start);
}

}  // namespace
}  // namespace replsim::wal
