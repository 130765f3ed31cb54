#include "wal/crc32c.h"

#include <gtest/gtest.h>

#include <string>

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

}  // namespace
}  // namespace replsim::wal
