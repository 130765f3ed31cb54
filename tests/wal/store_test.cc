// Both stores behave the same behind the Store interface, and RocksDbStore keeps its state and
// its applied LSN across a reopen.
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>

#include "sim/wal/memory_store.h"
#include "sim/wal/replay_engine.h"
#include "sim/wal/wal_generator.h"
#include "storage/rocksdb_store.h"

namespace replsim::wal {
namespace {

std::vector<std::pair<uint64_t, std::string>> dump(const Store& s, TableId t) {
  std::vector<std::pair<uint64_t, std::string>> out;
  EXPECT_TRUE(s.for_each(t, [&](uint64_t k, std::string_view row) { out.emplace_back(k, std::string(row)); }).ok());
  return out;
}

void exercise(Store& s) {
  s.begin_batch();
  s.put(1, 5, "five");
  s.put(1, 2, "two");
  s.put(2, 5, "other table");
  s.put(0xFFFF, 1, "last table id");
  ASSERT_TRUE(s.commit_batch(10, Lsn{100}).ok());
  s.begin_batch();
  s.put(1, 5, "FIVE");
  s.erase(1, 2);
  s.erase(1, 999);
  ASSERT_TRUE(s.commit_batch(11, Lsn{200}).ok());
  std::string row;
  ASSERT_TRUE(s.get(1, 5, &row).ok());
  EXPECT_EQ(row, "FIVE");
  EXPECT_EQ(s.get(1, 2, &row).code(), Status::Code::kNotFound);
  EXPECT_EQ(s.count(1), 1u);
  EXPECT_EQ(s.count(0xFFFF), 1u);
  s.begin_batch();
  s.truncate(1);
  s.put(1, 7, "after truncate");
  ASSERT_TRUE(s.commit_batch(12, Lsn{300}).ok());
  EXPECT_EQ(dump(s, 1), (std::vector<std::pair<uint64_t, std::string>>{{7, "after truncate"}}));
  EXPECT_EQ(dump(s, 2), (std::vector<std::pair<uint64_t, std::string>>{{5, "other table"}}));
  EXPECT_EQ(s.count(3), 0u);
}

TEST(StoreTest, MemoryStoreFollowsTheStoreContract) {
  MemoryStore s;
  exercise(s);
}

TEST(StoreTest, RocksDbStoreFollowsTheStoreContractAndSurvivesReopen) {
  const auto dir = std::filesystem::temp_directory_path() / ("replsim_rocks_test_" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  {
    auto s = storage::RocksDbStore::open(dir.string());
    ASSERT_TRUE(s.ok()) << s.status().message();
    exercise(**s);
    EXPECT_EQ((*s)->applied_lsn(), Lsn{300});
  }
  auto s = storage::RocksDbStore::open(dir.string());
  ASSERT_TRUE(s.ok());
  EXPECT_EQ((*s)->applied_lsn(), Lsn{300});
  EXPECT_EQ(dump(**s, 1), (std::vector<std::pair<uint64_t, std::string>>{{7, "after truncate"}}));
  std::filesystem::remove_all(dir);
}

TEST(StoreTest, ReplayIntoRocksDbEqualsReplayIntoMemory) {
  SegmentStore wal(1 << 16);
  WalWriter writer(&wal, Lsn{1 << 16});
  GeneratorOptions o;
  o.keys_per_table = 200;
  WalGenerator(o).generate(&writer, 5000);
  MemoryStore mem;
  const auto dir = std::filesystem::temp_directory_path() / ("replsim_rocks_replay_" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  auto rocks = storage::RocksDbStore::open(dir.string());
  ASSERT_TRUE(rocks.ok());
  for (Store* s : {static_cast<Store*>(&mem), static_cast<Store*>(rocks->get())}) {
    ReplayEngine engine(s);
    WalReader reader(&wal, Lsn{1 << 16});
    EXPECT_EQ(engine.replay(reader), ReplayStop::kEndOfWal);
  }
  for (TableId t = 1; t <= o.tables; ++t) {
    EXPECT_GT(mem.count(t), 0u);
    EXPECT_EQ(dump(mem, t), dump(**rocks, t));
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace replsim::wal
