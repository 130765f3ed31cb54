// RowTable against std::map under a long random mix of puts (short rows inline, long rows on
// the heap), erases (backward-shift deletion across wrapped probe runs) and clears.
#include "sim/wal/row_table.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace replsim::wal {
namespace {

TEST(RowTableTest, MatchesAStdMapUnderRandomPutsErasesAndClears) {
  RowTable table;
  std::map<uint64_t, std::string> model;
  uint64_t x = 88172645463325252ull;  // xorshift64: fixed sequence.
  auto next = [&] {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  for (int step = 0; step < 200000; ++step) {
    const uint64_t r = next();
    const uint64_t key = (r >> 8) % 3000 * 1024;  // Multiples of 1024: stresses the hash's spread.
    switch (r % 16) {
      case 0:
      case 1:
      case 2:
      case 3:
      case 4:
      case 5:
      case 6: {
        const size_t len = (r >> 40) % 3 == 0 ? 41 + (r >> 20) % 100 : (r >> 20) % 41;
        std::string row(len, '\0');
        for (size_t i = 0; i < len; ++i) row[i] = static_cast<char>('a' + (step + 7 * i) % 26);
        table.put(key, row);
        model[key] = row;
        break;
      }
      case 15:
        if ((r >> 32) % 500 == 0) {
          table.clear();
          model.clear();
        }
        break;
      default: ASSERT_EQ(table.erase(key), model.erase(key) == 1) << "step " << step;
    }
    if (step % 997 == 0) {
      ASSERT_EQ(table.size(), model.size());
      for (const auto& [k, v] : model) {
        std::string_view got;
        ASSERT_TRUE(table.find(k, &got)) << "key " << k << " step " << step;
        ASSERT_EQ(got, v);
      }
      size_t visited = 0;
      table.for_each([&](uint64_t k, std::string_view v) {
        ++visited;
        ASSERT_EQ(model.at(k), v);
      });
      ASSERT_EQ(visited, model.size());
    }
  }
}

// Rows are copied in place with fixed-size, overlapping moves: every length, inline or not,
// written over every other length, must read back byte for byte.
TEST(RowTableTest, EveryRowLengthOverwritesEveryOtherExactly) {
  auto row = [](size_t len, int salt) {
    std::string r(len, '\0');
    for (size_t i = 0; i < len; ++i) r[i] = static_cast<char>(salt * 31 + i * 7 + 1);
    return r;
  };
  constexpr size_t kMax = RowTable::kInline + 9;
  RowTable table;
  for (size_t first = 0; first <= kMax; ++first) {
    for (size_t second = 0; second <= kMax; ++second) {
      const uint64_t key = first * 100 + second;
      table.put(key, row(first, 1));
      table.put(key, row(second, 2));
      std::string_view got;
      ASSERT_TRUE(table.find(key, &got));
      ASSERT_EQ(got, row(second, 2)) << first << " then " << second << " bytes";
    }
  }
  EXPECT_EQ(table.size(), (kMax + 1) * (kMax + 1));
}

}  // namespace
}  // namespace replsim::wal
