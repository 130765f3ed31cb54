#include "sim/wal/crc32c.h"

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "sim/wal/log_format.h"

namespace replsim::wal {
namespace {

TEST(Crc32cTest, MatchesKnownCheckValue) {
  // The CRC-32C check value of "123456789" (RFC 3720 / the CRC catalogue).
  EXPECT_EQ(crc32c("123456789", 9), 0xE3069283u);
  EXPECT_EQ(crc32c_extend_portable(0, "123456789", 9), 0xE3069283u);
}

// On a CPU without SSE4.2 the dispatching crc32c() is compared with the portable path instead,
// so the test checks the path this machine really uses.
TEST(Crc32cTest, HardwareAndPortableAgreeOnEveryLengthAndAlignment) {
  std::string data(70000, '\0');
  uint64_t x = 12345;
  for (char& c : data) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    c = static_cast<char>(x >> 56);
  }
  for (size_t len : {0ul, 1ul, 7ul, 8ul, 9ul, 63ul, 64ul, 1000ul, 12287ul, 12288ul, 12289ul, 40000ul, 69990ul}) {
    for (size_t off = 0; off < 9; ++off) {
      const uint32_t fast = crc32c_hardware_available() ? crc32c_extend_hardware(0, data.data() + off, len)
                                                        : crc32c_extend(0, data.data() + off, len);
      ASSERT_EQ(fast, crc32c_extend_portable(0, data.data() + off, len)) << "len " << len << " offset " << off;
    }
  }
}

TEST(Crc32cTest, ExtendEqualsWholeBuffer) {
  const std::string a = "replsim WAL ", b = "record payload bytes";
  EXPECT_EQ(crc32c_extend(crc32c(a.data(), a.size()), b.data(), b.size()), crc32c((a + b).data(), a.size() + b.size()));
}

// crc32c_check_records groups records by length and checks four at a time: every record must
// get its own verdict, whatever the mix of lengths (including groups that are not a multiple of
// four, and records too long to be grouped).
TEST(Crc32cTest, CheckRecordsFlagsExactlyTheRecordsWhoseCrcIsWrong) {
  std::vector<std::string> records;
  uint64_t x = 99;
  for (size_t i = 0; i < 64; ++i) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    const size_t aligned = kHeaderSize + 8 * ((x >> 33) % 20);  // 32..184 bytes.
    std::string rec(aligned, '\0');
    for (size_t k = 4; k < aligned; ++k) rec[k] = static_cast<char>((x >> (k % 56)) + k);
    const uint32_t crc = crc32c(rec.data() + kCrcStart, aligned - kCrcStart);
    std::memcpy(rec.data(), &crc, 4);
    records.push_back(std::move(rec));
  }
  const uint64_t corrupt = 0x8000'0010'0400'2001ull;
  for (size_t i = 0; i < 64; ++i) {
    if (corrupt >> i & 1) records[i][4 + i % (records[i].size() - 4)] ^= 0x10;
  }
  std::vector<const char*> ptrs;
  std::vector<uint32_t> lengths;
  for (const std::string& r : records) {
    ptrs.push_back(r.data());
    lengths.push_back(static_cast<uint32_t>(r.size()));
  }
  EXPECT_EQ(crc32c_check_records(ptrs.data(), lengths.data(), 64), corrupt);
  EXPECT_EQ(crc32c_check_records(ptrs.data() + 1, lengths.data() + 1, 5), 0u);  // Records 1..5 are intact.
  EXPECT_EQ(crc32c_check_records(ptrs.data(), lengths.data(), 0), 0u);
}

// Every implementation of crc32c_check_records this CPU can run must give the verdict of the
// portable one, for every record length the carry-less path handles (1..16 words: its masks and
// multipliers differ per length) and beyond it (the crc32 fallback), with any one bit flipped:
// the stored CRC, the length field, the payload, the padding, the last byte.
TEST(Crc32cTest, EveryCheckRecordsImplementationAgreesWithThePortableOneOnEveryLengthAndBit) {
  uint64_t x = 7;
  auto next = [&x] {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    return x >> 24;
  };
  for (size_t round = 0; round < 200; ++round) {
    std::vector<std::string> records;
    uint64_t expected = 0;
    for (size_t i = 0; i < 64; ++i) {
      const size_t aligned = 8 * (4 + (i + round) % 21);  // 32..192 bytes: every length in turn.
      std::string rec(aligned, '\0');
      for (size_t k = 4; k < aligned; ++k) rec[k] = static_cast<char>(next());
      const uint32_t crc = crc32c_extend_portable(0, rec.data() + kCrcStart, aligned - kCrcStart);
      std::memcpy(rec.data(), &crc, 4);
      if (next() % 3 == 0) {
        const size_t bit = next() % (8 * aligned);
        rec[bit / 8] = static_cast<char>(rec[bit / 8] ^ (1 << (bit % 8)));
        expected |= uint64_t{1} << i;
      }
      records.push_back(std::move(rec));
    }
    std::vector<const char*> ptrs;
    std::vector<uint32_t> lengths;
    for (const std::string& r : records) {
      ptrs.push_back(r.data());
      lengths.push_back(static_cast<uint32_t>(r.size()));
    }
    const size_t n = 1 + round % 64;
    const uint64_t want = n == 64 ? expected : expected & ((uint64_t{1} << n) - 1);
    ASSERT_EQ(crc32c_check_records_portable(ptrs.data(), lengths.data(), n), want) << "round " << round;
    ASSERT_EQ(crc32c_check_records(ptrs.data(), lengths.data(), n), want) << "round " << round;
    if (crc32c_hardware_available()) {
      ASSERT_EQ(crc32c_check_records_hardware(ptrs.data(), lengths.data(), n), want) << "round " << round;
    }
    if (crc32c_clmul_available()) {
      ASSERT_EQ(crc32c_check_records_clmul(ptrs.data(), lengths.data(), n), want) << "round " << round;
    }
  }
}

// The carry-less path loads a record with masked loads: a record that ends exactly at the end
// of its allocation (the last record of a segment) must be read without touching the bytes
// after it, which AddressSanitizer would report, and must still be checked right.
TEST(Crc32cTest, CheckRecordsReadsNothingPastARecordAtTheEndOfItsBuffer) {
  for (size_t words = 4; words <= 20; ++words) {
    const size_t aligned = 8 * words;
    auto buffer = std::make_unique<char[]>(aligned);  // Exactly the record: ASan guards what follows.
    for (size_t k = 4; k < aligned; ++k) buffer[k] = static_cast<char>(k * 37 + words);
    const uint32_t crc = crc32c_extend_portable(0, buffer.get() + kCrcStart, aligned - kCrcStart);
    std::memcpy(buffer.get(), &crc, 4);
    const char* ptr = buffer.get();
    const uint32_t length = static_cast<uint32_t>(aligned);
    EXPECT_EQ(crc32c_check_records(&ptr, &length, 1), 0u) << words << " words";
    buffer[aligned - 1] ^= 1;
    EXPECT_EQ(crc32c_check_records(&ptr, &length, 1), 1u) << words << " words";
  }
}

}  // namespace
}  // namespace replsim::wal
