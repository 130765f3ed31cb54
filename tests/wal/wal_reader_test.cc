#include "sim/wal/wal_reader.h"

#include <gtest/gtest.h>

#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "sim/wal/crc32c.h"
#include "sim/wal/row_image.h"
#include "sim/wal/wal_generator.h"
#include "sim/wal/wal_writer.h"
#include "wal_test_util.h"

namespace replsim::wal {
namespace {

// A record with its views copied out: the reader's views only last until its next call.
struct OwnedRecord {
  Record rec;
  std::string name;
  std::string tables;
  Record view() const {
    Record r = rec;
    r.row = {};
    r.name = name;
    r.truncated_tables = tables;
    return r;
  }
};

std::vector<OwnedRecord> read_all(const SegmentStore& s, Lsn start, ReadStatus* last) {
  WalReader reader(&s, start);
  std::vector<OwnedRecord> out;
  Record r;
  while ((*last = reader.next(&r)) == ReadStatus::kRecord) {
    out.push_back(OwnedRecord{r, std::string(r.name), std::string(r.truncated_tables)});
  }
  return out;
}

// next_batch() is how replay reads: every record it returns must be the record next() returns
// at that position, field for field, and put_back() must leave the reader exactly where the
// consumer stopped. The stream crosses many 4 KiB segments, so batches end at segment ends and at
// records next() has to decode (spanning records, checkpoints, restore points).
TEST(WalReaderTest, BatchesReturnWhatNextReturnsAndPutBackUnreadsExactly) {
  SegmentStore s(4096);
  WalWriter w(&s, Lsn{4096});
  GeneratorOptions options;
  options.keys_per_table = 100;
  const uint64_t written = WalGenerator(options).generate(&w, 20000);
  ReadStatus last;
  const std::vector<OwnedRecord> expected = read_all(s, Lsn{4096}, &last);
  ASSERT_EQ(expected.size(), written);
  std::vector<std::string> rows;  // The expected row images (read_all's views are gone).
  {
    WalReader reader(&s, Lsn{4096});
    Record r;
    while (reader.next(&r) == ReadStatus::kRecord) rows.emplace_back(r.row);
  }

  WalReader reader(&s, Lsn{4096});
  Record r;
  size_t i = 0, batches = 0, step = 0;
  while (i < expected.size()) {
    ++step;
    const std::span<const RecordView> batch = reader.next_batch();
    if (batch.empty()) {
      ASSERT_EQ(reader.next(&r), ReadStatus::kRecord) << i;
      EXPECT_EQ(r.lsn, expected[i].rec.lsn);
      ++i;
      continue;
    }
    ++batches;
    for (size_t k = 0; k < batch.size(); ++k) {
      const RecordView& v = batch[k];
      const Record& e = expected[i + k].rec;
      ASSERT_EQ(v.lsn, e.lsn) << i + k;
      EXPECT_EQ(v.end_lsn(), e.end_lsn);
      EXPECT_EQ(v.xid, e.xid);
      EXPECT_EQ(v.type, e.type);
      if (v.type == RecordType::kCommit || v.type == RecordType::kAbort) {
        EXPECT_EQ(v.time_us(), e.commit_time_us);
      } else {
        EXPECT_EQ(v.table_id, e.table_id);
        EXPECT_EQ(v.key(), e.key);
        EXPECT_EQ(v.row(), rows[i + k]);
      }
    }
    // Every third batch, hand back all but its first record (or all of it), then take one
    // record with next(): it must be the first one handed back.
    if (step % 3 == 0) {
      const size_t back = batch.size() > 1 ? batch.size() - 1 : 1;
      const size_t kept = batch.size() - back;
      reader.put_back(back);
      EXPECT_EQ(reader.position(), expected[i + kept].rec.lsn);
      EXPECT_EQ(reader.last_lsn(), i + kept == 0 ? std::nullopt : std::optional<Lsn>(expected[i + kept - 1].rec.lsn));
      i += kept;
      ASSERT_EQ(reader.next(&r), ReadStatus::kRecord);
      EXPECT_EQ(r.lsn, expected[i].rec.lsn);
      EXPECT_EQ(r.row, rows[i]);
      ++i;
      continue;
    }
    i += batch.size();
    EXPECT_EQ(reader.position(), i < expected.size() ? expected[i].rec.lsn : expected.back().rec.end_lsn);
  }
  EXPECT_GT(batches, written / 64);
  EXPECT_TRUE(reader.next_batch().empty());
  EXPECT_EQ(reader.next(&r), ReadStatus::kEndOfWal);
}

TEST(WalReaderTest, BatchesStopBeforeUpTo) {
  SegmentStore s;
  WalWriter w(&s, Lsn{4096});
  std::vector<Appended> a;
  for (uint64_t k = 0; k < 10; ++k) a.push_back(w.insert(7, 1, k, "row"));
  WalReader reader(&s, Lsn{4096});
  std::span<const RecordView> batch = reader.next_batch(a[4].lsn);
  ASSERT_EQ(batch.size(), 4u);
  EXPECT_EQ(reader.position(), a[4].lsn);
  EXPECT_TRUE(reader.next_batch(a[4].lsn).empty());
  batch = reader.next_batch(Lsn{a[6].lsn.value + 1});
  ASSERT_EQ(batch.size(), 3u);
  EXPECT_EQ(batch.back().lsn, a[6].lsn);
  EXPECT_EQ(reader.next_batch().size(), 3u);
}

TEST(WalReaderTest, RoundTripsEveryRecordTypeAcrossSmallSegments) {
  SegmentStore s(64);  // Most records span two or more segments.
  WalWriter w(&s, Lsn{64 * 5});
  auto appended = testing::write_sample_wal(&w);
  WalReader reader(&s, Lsn{64 * 5}, Lsn{0});
  Record r;
  for (size_t i = 0; i < appended.size(); ++i) {
    ASSERT_EQ(reader.next(&r), ReadStatus::kRecord) << i;
    EXPECT_EQ(r.lsn, appended[i].lsn);
    EXPECT_EQ(r.end_lsn, appended[i].end_lsn);
    EXPECT_EQ(r.prev_lsn, i == 0 ? Lsn{0} : appended[i - 1].lsn);
  }
  EXPECT_EQ(reader.next(&r), ReadStatus::kEndOfWal);
  EXPECT_FALSE(reader.partial_record());

  // Field-level checks on a few records.
  ReadStatus last;
  auto records = read_all(s, Lsn{64 * 5}, &last);
  ASSERT_EQ(records.size(), appended.size());
  EXPECT_EQ(records[0].rec.type, RecordType::kInsert);
  EXPECT_EQ(records[0].rec.xid, 100u);
  EXPECT_EQ(records[0].rec.table_id, 1);
  EXPECT_EQ(records[0].rec.key, 1u);
  EXPECT_EQ(records[2].rec.type, RecordType::kCommit);
  EXPECT_EQ(records[2].rec.commit_time_us, 1000);
  EXPECT_EQ(records[3].rec.ref_lsn, appended[0].lsn);
  EXPECT_EQ(records[8].rec.type, RecordType::kTruncate);
  ASSERT_EQ(records[8].view().truncated_count(), 2u);
  EXPECT_EQ(records[8].view().truncated_table(1), 2);
  EXPECT_EQ(records[9].name, "before_load");
}

// With records that fit their segment, next() decodes from its CRC window (checked a run at a
// time) instead of the general decoder: both must yield the same fields for every type.
TEST(WalReaderTest, WindowDecodingAgreesWithTheGeneralDecoderForEveryType) {
  SegmentStore s;  // 16 MB segments: every record lies in one.
  const Lsn start{kDefaultSegmentSize + 40};
  WalWriter w(&s, start);
  auto appended = testing::write_sample_wal(&w);
  WalReader reader(&s, start, Lsn{0});
  Record r;
  for (size_t i = 0; i < appended.size(); ++i) {
    ASSERT_EQ(reader.next(&r), ReadStatus::kRecord) << i;
    Record g;
    const std::string bytes = s.read(r.lsn, r.end_lsn.value - r.lsn.value);
    ASSERT_EQ(decode_record(bytes, r.lsn, &g), "") << i;
    EXPECT_EQ(r.lsn, appended[i].lsn);
    EXPECT_EQ(r.end_lsn, appended[i].end_lsn);
    EXPECT_EQ(r.prev_lsn, g.prev_lsn);
    EXPECT_EQ(r.xid, g.xid);
    EXPECT_EQ(r.type, g.type) << i;
    switch (g.type) {
      case RecordType::kInsert:
      case RecordType::kUpdate: EXPECT_EQ(r.row, g.row) << i; [[fallthrough]];
      case RecordType::kDelete:
        EXPECT_EQ(r.table_id, g.table_id) << i;
        EXPECT_EQ(r.key, g.key) << i;
        break;
      case RecordType::kTruncate: EXPECT_EQ(r.truncated_tables, g.truncated_tables) << i; break;
      case RecordType::kRestorePoint: EXPECT_EQ(r.name, g.name) << i; [[fallthrough]];
      case RecordType::kCommit:
      case RecordType::kAbort: EXPECT_EQ(r.commit_time_us, g.commit_time_us) << i; break;
      case RecordType::kCheckpoint: EXPECT_EQ(r.commit_time_us, g.commit_time_us) << i; [[fallthrough]];
      case RecordType::kBackupStart:
      case RecordType::kBackupEnd: EXPECT_EQ(r.ref_lsn, g.ref_lsn) << i; break;
      case RecordType::kSwitch: break;
    }
  }
  EXPECT_EQ(reader.next(&r), ReadStatus::kEndOfWal);
}

// The reader checks CRCs ahead of what it has returned; bytes overwritten after that check (a
// walreceiver rewriting WAL, a truncation) must be checked again, not trusted.
TEST(WalReaderTest, BytesOverwrittenAfterTheyWereCheckedAreCheckedAgain) {
  SegmentStore s;
  const Lsn start{kDefaultSegmentSize + 40};
  WalWriter w(&s, start);
  auto appended = testing::write_sample_wal(&w);
  WalReader reader(&s, start);
  Record r;
  ASSERT_EQ(reader.next(&r), ReadStatus::kRecord);  // Checked the CRCs of every record.
  std::string third = s.read(appended[2].lsn, 1);
  third[0] = static_cast<char>(third[0] ^ 0x40);  // The third record's CRC field.
  const uint64_t version = s.version();
  s.write(appended[2].lsn, third);
  EXPECT_NE(s.version(), version);
  ASSERT_EQ(reader.next(&r), ReadStatus::kRecord);
  ASSERT_EQ(reader.next(&r), ReadStatus::kCorrupt);
  EXPECT_EQ(reader.corruption().lsn, appended[2].lsn);
  EXPECT_EQ(reader.corruption().reason, "bad CRC");
}

TEST(WalReaderTest, RowImageSurvivesTheRoundTrip) {
  SegmentStore s(128);
  WalWriter w(&s, Lsn{0});
  w.insert(5, 3, 42, encode_row(std::vector<std::string>{"42", "Johnson", ""}));
  WalReader reader(&s, Lsn{0});
  Record r;
  ASSERT_EQ(reader.next(&r), ReadStatus::kRecord);
  // The view must stay valid even though the record spans segments (it lives in scratch).
  auto cols = decode_row(r.row);
  ASSERT_TRUE(cols.ok());
  ASSERT_EQ(cols->size(), 3u);
  EXPECT_EQ((*cols)[1], "Johnson");
  EXPECT_EQ((*cols)[2], "");
}

TEST(WalReaderTest, SwitchRecordEndsAtTheNextSegment) {
  SegmentStore s(256);
  WalWriter w(&s, Lsn{256});
  w.commit(9, 1);
  const Appended sw = w.switch_segment();
  EXPECT_EQ(sw.end_lsn, Lsn{512});
  EXPECT_EQ(w.switch_segment().lsn, Lsn{512});  // Already at a boundary: nothing written.
  EXPECT_EQ(s.end_lsn(), Lsn{512});
  const Appended after = w.commit(10, 2);
  EXPECT_EQ(after.lsn, Lsn{512});
  ReadStatus last;
  auto records = read_all(s, Lsn{256}, &last);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[1].rec.type, RecordType::kSwitch);
  EXPECT_EQ(records[1].rec.end_lsn, Lsn{512});
  EXPECT_EQ(records[2].rec.lsn, Lsn{512});
  EXPECT_EQ(records[2].rec.prev_lsn, sw.lsn);
}

TEST(WalReaderTest, IncrementalReadsResumeAfterMoreBytesArrive) {
  // A standby receives the primary's WAL a few bytes at a time and replays what is complete.
  SegmentStore primary(64);
  WalWriter w(&primary, Lsn{0});
  auto appended = testing::write_sample_wal(&w);
  SegmentStore standby(64);
  WalReader reader(&standby, Lsn{0});
  size_t got = 0;
  Record r;
  for (uint64_t pos = 0; pos < primary.end_lsn().value; pos += 13) {
    const uint64_t n = std::min<uint64_t>(13, primary.end_lsn().value - pos);
    standby.write(Lsn{pos}, primary.read(Lsn{pos}, n));
    ReadStatus st;
    while ((st = reader.next(&r)) == ReadStatus::kRecord) {
      ASSERT_EQ(r.lsn, appended[got].lsn);
      ++got;
    }
    ASSERT_EQ(st, ReadStatus::kEndOfWal);
  }
  EXPECT_EQ(got, appended.size());
}

TEST(WalReaderTest, UnknownSkippableTypeIsSkippedAndUnknownTypeIsCorrupt) {
  for (uint8_t type : {uint8_t{0x80 | 42}, uint8_t{42}}) {
    SegmentStore s(256);
    WalWriter w(&s, Lsn{0});
    const Appended first = w.commit(7, 1);
    w.commit(8, 2);
    // Rewrite the first record's type and CRC in place, as a newer writer would have produced it.
    std::string rec = s.read(first.lsn, first.end_lsn.value - first.lsn.value);
    rec[kTypeOffset] = static_cast<char>(type);
    rec[kXidOffset] = rec[kXidOffset + 1] = rec[kXidOffset + 2] = rec[kXidOffset + 3] = 0;
    const uint32_t crc = crc32c(rec.data() + kCrcStart, rec.size() - kCrcStart);
    std::memcpy(rec.data() + kCrcOffset, &crc, 4);
    s.write(first.lsn, rec);
    ReadStatus last;
    auto records = read_all(s, Lsn{0}, &last);
    if (type & kSkippableTypeBit) {
      ASSERT_EQ(records.size(), 1u);
      EXPECT_EQ(records[0].rec.xid, 8u);
      EXPECT_EQ(last, ReadStatus::kEndOfWal);
    } else {
      EXPECT_TRUE(records.empty());
      EXPECT_EQ(last, ReadStatus::kCorrupt);
    }
  }
}

TEST(WalReaderTest, PrevLinkMismatchIsCorruption) {
  SegmentStore s(256);
  WalWriter w(&s, Lsn{0});
  w.commit(7, 1);
  WalReader reader(&s, Lsn{0}, Lsn{8});  // Claims the record before it was at 0/8.
  Record r;
  ASSERT_EQ(reader.next(&r), ReadStatus::kCorrupt);
  EXPECT_NE(reader.corruption().reason.find("prev_lsn mismatch"), std::string::npos);
  EXPECT_EQ(reader.corruption().segment, "000000010000000000000000");
  EXPECT_EQ(reader.next(&r), ReadStatus::kCorrupt);  // Sticky.
}

TEST(WalReaderTest, FindsTheFirstRecordOfALoneSegment) {
  SegmentStore s(128);
  WalWriter w(&s, Lsn{0});
  auto appended = testing::write_sample_wal(&w);
  // The first record starting in segment 2 (LSN 256..383).
  Lsn expected{0};
  for (const auto& a : appended) {
    if (a.lsn.value >= 256) {
      expected = a.lsn;
      break;
    }
  }
  auto found = WalReader::find_first_record(s, Lsn{256}, 128);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(*found, expected);
}

}  // namespace
}  // namespace replsim::wal
