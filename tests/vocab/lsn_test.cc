#include "vocab/lsn.h"

#include <gtest/gtest.h>

namespace replsim {
namespace {

TEST(LsnTest, PrintsLikePostgres) {
  EXPECT_EQ(Lsn{0x3000148}.to_string(), "0/3000148");
  EXPECT_EQ(Lsn{(uint64_t{0x1A} << 32) | 0xB}.to_string(), "1A/B");
  EXPECT_EQ(Lsn{0}.to_string(), "0/0");
}

TEST(LsnTest, ParsesWhatItPrints) {
  for (uint64_t v : {uint64_t{0}, uint64_t{0x3000148}, uint64_t{0xFFFFFFFFFFFFFFFF}, uint64_t{1} << 32}) {
    auto parsed = Lsn::parse(Lsn{v}.to_string());
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(parsed->value, v);
  }
}

TEST(LsnTest, RejectsMalformedText) {
  for (const char* bad : {"", "/", "0/", "/1", "0x1/2", "1/2/3", "G/1", "123456789/0", "1 /2"}) {
    EXPECT_FALSE(Lsn::parse(bad).has_value()) << bad;
  }
}

TEST(LsnTest, DiffIsSignedLikePgWalLsnDiff) {
  EXPECT_EQ(lsn_diff(Lsn{0x3000148}, Lsn{0x3000100}), 0x48);
  EXPECT_EQ(lsn_diff(Lsn{0x100}, Lsn{0x200}), -0x100);
}

TEST(LsnTest, SegmentNamesMatchXLogFileName) {
  // 16 MB segments: 0/3000148 is in segment 3 of timeline 1.
  EXPECT_EQ(wal_segment_name(1, Lsn{0x3000148}, 16 << 20), "000000010000000000000003");
  // 1 MB segments: 4096 segments per 4 GB "log" id.
  EXPECT_EQ(wal_segment_name(2, Lsn{(uint64_t{1} << 32) + (5 << 20)}, 1 << 20), "000000020000000100000005");
}

}  // namespace
}  // namespace replsim
