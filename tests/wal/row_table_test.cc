// RowTable against std::map under a long random mix of puts (short rows inline, long rows on
// the heap), erases (backward-shift deletion across wrapped probe runs) and clears.
#include "wal/row_table.h"

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
      case 0: case 1: case 2: case 3: case 4: case 5: case 6: {
        const size_t len = (r >> 40) % 3 == 0 ? 41 + (r >> 20) % 100 : (r >> 20) % 41;
        const std::string row(len, static_cast<char>('a' + step % 26));
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
      default:
        ASSERT_EQ(table.erase(key), model.erase(key) == 1) << "step " << step;
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

}  // namespace
}  // namespace replsim::wal
