#include "sim/wal/segment_store.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>

#include "storage/segment_files.h"

namespace replsim::wal {
namespace {

TEST(SegmentStoreTest, NamesSegmentsLikePostgres) {
  // 16 MB segments: 0/3000148 lives in the fourth segment of timeline 1.
  SegmentStore s;
  EXPECT_EQ(s.segment_name(Lsn{0x3000148}), "000000010000000000000003");
  EXPECT_EQ(wal_segment_name(2, Lsn{0x1FF000000ull}, 16u << 20), "0000000200000001000000FF");
  TimelineId tli;
  Lsn start;
  ASSERT_TRUE(parse_segment_name("0000000200000001000000FF", 16u << 20, &tli, &start));
  EXPECT_EQ(tli, 2u);
  EXPECT_EQ(start, Lsn{0x1FF000000ull});
  EXPECT_FALSE(parse_segment_name("00000002000000010000010", 16u << 20, &tli, &start));   // 23 digits.
  EXPECT_FALSE(parse_segment_name("000000020000000100000100", 16u << 20, &tli, &start));  // Segment 0x100.
  EXPECT_FALSE(parse_segment_name("00000002000000010000000g", 16u << 20, &tli, &start));
}

TEST(SegmentStoreTest, WriteReadAcrossSegmentBoundaries) {
  SegmentStore s(64);
  std::string data;
  for (int i = 0; i < 300; ++i) data.push_back(static_cast<char>(i));
  s.write(Lsn{100}, data);
  EXPECT_EQ(s.oldest_lsn(), Lsn{100});
  EXPECT_EQ(s.end_lsn(), Lsn{400});
  EXPECT_EQ(s.read(Lsn{120}, 150), data.substr(20, 150));
  std::string scratch;
  std::string_view view;
  EXPECT_FALSE(s.read(Lsn{399}, 2, &scratch, &view));
  EXPECT_FALSE(s.read(Lsn{99}, 1, &scratch, &view));
  EXPECT_TRUE(s.read(Lsn{400}, 0, &scratch, &view));
  EXPECT_EQ(s.segment_names().size(), 6u);  // Segments 1..6 of 64 bytes hold [100, 400).
}

TEST(SegmentStoreTest, TruncateFromLosesTheTailAndZeroesIt) {
  SegmentStore s(64);
  s.write(Lsn{0}, std::string(200, 'x'));
  s.truncate_from(Lsn{130});
  EXPECT_EQ(s.end_lsn(), Lsn{130});
  EXPECT_EQ(s.segment_names().size(), 3u);
  s.append(std::string(10, 'y'));
  EXPECT_EQ(s.read(Lsn{125}, 15), std::string(5, 'x') + std::string(10, 'y'));
  s.truncate_from(Lsn{128});  // At a boundary: the third segment goes entirely.
  EXPECT_EQ(s.segment_names().size(), 2u);
  s.truncate_from(Lsn{0});
  EXPECT_TRUE(s.empty());
}

TEST(SegmentStoreTest, RemoveBeforeRecyclesWholeSegmentsOnly) {
  SegmentStore s(64);
  s.write(Lsn{0}, std::string(300, 'x'));
  s.remove_before(Lsn{150});
  EXPECT_EQ(s.oldest_lsn(), Lsn{128});
  EXPECT_EQ(s.segment_names().front(), "000000010000000000000002");
  std::string scratch;
  std::string_view view;
  EXPECT_FALSE(s.read(Lsn{127}, 1, &scratch, &view));
  EXPECT_EQ(s.read(Lsn{128}, 172), std::string(172, 'x'));
}

TEST(SegmentStoreTest, SaveAndLoadRoundTripWithFullSizeFilesAndTimelines) {
  const auto dir = std::filesystem::temp_directory_path() / ("replsim_wal_test_" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  SegmentStore s(128);
  s.write(Lsn{128}, std::string(200, 'a'));
  s.set_timeline(2);
  s.append(std::string(100, 'b'));  // Relabels the segment it writes into, as promotion does.
  ASSERT_TRUE(storage::save_segments(s, dir).ok());
  EXPECT_TRUE(std::filesystem::exists(dir / "000000010000000000000001"));
  EXPECT_TRUE(std::filesystem::exists(dir / "000000020000000000000002"));
  EXPECT_TRUE(std::filesystem::exists(dir / "000000020000000000000003"));
  EXPECT_EQ(std::filesystem::file_size(dir / "000000020000000000000003"), 128u);
  auto loaded = storage::load_segments(dir, 128);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ(loaded->oldest_lsn(), Lsn{128});
  EXPECT_EQ(loaded->end_lsn(), Lsn{512});  // Whole files; readers stop at the zero tail.
  EXPECT_EQ(loaded->read(Lsn{128}, 300), std::string(200, 'a') + std::string(100, 'b'));
  EXPECT_EQ(loaded->read(Lsn{428}, 84), std::string(84, '\0'));
  auto one = storage::load_segment_file(dir / "000000020000000000000002");
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->oldest_lsn(), Lsn{256});
  std::filesystem::remove(dir / "000000020000000000000002");
  EXPECT_EQ(storage::load_segments(dir, 128).status().code(), Status::Code::kCorruption);  // A gap.
  EXPECT_EQ(storage::load_segments(dir / "nope", 128).status().code(), Status::Code::kNotFound);
  EXPECT_FALSE(storage::load_segment_file(dir / "000000020000000000000099").ok());
  std::filesystem::remove_all(dir);
}

// Segments are allocated without zero-filling; what was never written must still read as the
// end of WAL: unreadable in memory, and zeros in saved files.
TEST(SegmentStoreTest, UnwrittenBytesAreNeverReadAndAreSavedAsZeros) {
  const auto dir = std::filesystem::temp_directory_path() / ("replsim_wal_zero_test_" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  SegmentStore s(128);
  s.write(Lsn{128 + 40}, std::string(100, 'a'));  // Starts mid-segment.
  s.truncate_from(Lsn{128 + 90});                 // Ends mid-segment.
  std::string scratch;
  std::string_view view;
  EXPECT_FALSE(s.read(Lsn{128 + 90}, 1, &scratch, &view));
  const char* p = nullptr;
  EXPECT_EQ(s.contiguous(Lsn{128 + 40}, &p), 50u);
  ASSERT_TRUE(storage::save_segments(s, dir).ok());
  auto loaded = storage::load_segments(dir, 128);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ(loaded->read(Lsn{128}, 128), std::string(40, '\0') + std::string(50, 'a') + std::string(38, '\0'));
  std::filesystem::remove_all(dir);
}

TEST(SegmentStoreTest, VersionChangesWhenReadableBytesMayChangeButNotOnAppend) {
  SegmentStore s(64);
  s.write(Lsn{0}, std::string(200, 'x'));
  uint64_t v = s.version();
  s.append(std::string(10, 'y'));
  s.append_zeros(6);
  EXPECT_EQ(s.version(), v);
  s.write(Lsn{100}, "z");
  EXPECT_NE(s.version(), v);
  v = s.version();
  s.truncate_from(Lsn{150});
  EXPECT_NE(s.version(), v);
  v = s.version();
  s.remove_before(Lsn{70});
  EXPECT_NE(s.version(), v);
  v = s.version();
  SegmentStore moved = std::move(s);
  EXPECT_NE(moved.version(), v);
  EXPECT_EQ(moved.read(Lsn{100}, 1), "z");
}

}  // namespace
}  // namespace replsim::wal
