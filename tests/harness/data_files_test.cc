// The servers' configuration makes data files change only at checkpoints, which the
// simulator's naive-copy model assumes: a data file on disk holds exactly what the last
// checkpoint wrote (a page added since reads as all zeros: PostgreSQL extends a relation by
// writing a zero page, its contents follow at the next checkpoint).
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>

#include "harness/cluster.h"
#include "harness_test_util.h"
#include "vocab/dataset.h"

namespace replsim::harness {
namespace {

constexpr size_t kPage = 8192;

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string page(const std::string& file, size_t index) { return file.substr(index * kPage, kPage); }

bool all_zero(const std::string& bytes) { return bytes.find_first_not_of('\0') == std::string::npos; }

std::string query(PgConnection& c, const std::string& sql, const std::vector<std::string>& params = {}) {
  PgReply r = c.exec(sql, params, 10000);
  EXPECT_TRUE(r.ok) << sql << ": " << r.error;
  return r.ok && !r.rows.empty() && !r.null_at(0, 0) ? r.at(0, 0) : "";
}

// Writes that dirty the table's first page and add new ones, then longer than several rounds
// of the background writer (bgwriter_delay 200 ms): on disk the old pages are unchanged and
// the new ones are zeros. CHECKPOINT then writes them (the check can see a change at all).
TEST(HarnessDataFilesTest, DataFilesChangeOnlyAtCheckpoints) {
  ClusterSpec spec;
  NodeSpec primary;
  primary.name = "primary";
  primary.role = NodeRole::kPrimary;
  spec.nodes = {primary};
  auto cluster = Cluster::create(testing::test_options(), spec);
  ASSERT_TRUE(cluster.ok()) << cluster.status().message();
  Cluster& c = **cluster;
  ASSERT_TRUE(c.init_primary("primary").ok());
  ASSERT_TRUE(c.load_dataset("primary", seed_dataset()).ok());
  ClusterNode* n = c.node("primary");
  auto conn = c.connect(*n);
  ASSERT_TRUE(conn.ok()) << conn.status().message();
  PgConnection& pg = **conn;

  EXPECT_EQ(query(pg, "SHOW bgwriter_lru_maxpages"), "0");
  EXPECT_EQ(query(pg, "SHOW checkpoint_timeout"), "1d");
  // Every relation of the database (tables, indexes, TOAST, catalogs, all forks) fits in
  // shared_buffers at once: no backend ever has to evict, and so write, a dirty page.
  const int64_t relations_bytes = std::stoll(
      query(pg,
            "SELECT sum(pg_relation_size(oid, 'main') + pg_relation_size(oid, 'fsm') + pg_relation_size(oid, 'vm'))"
            "::text FROM pg_class"));
  const int64_t shared_buffers_bytes = std::stoll(
      query(pg, "SELECT pg_size_bytes(current_setting('shared_buffers'))::text"));
  RecordProperty("relations_bytes", std::to_string(relations_bytes));
  EXPECT_LT(relations_bytes, shared_buffers_bytes / 2);

  const std::string path = n->data_dir + "/" + query(pg, "SELECT pg_relation_filepath('customers')");
  const std::string stats_sql =
      "SELECT (checkpoints_timed + checkpoints_req)::text || ' ' || buffers_clean::text FROM pg_stat_bgwriter";
  const std::string stats_initially = query(pg, stats_sql);
  query(pg, "CHECKPOINT");
  // The checkpointer reports its counters after CHECKPOINT returns: wait until this one is in.
  std::string stats_before = query(pg, stats_sql);
  for (int i = 0; i < 100 && stats_before == stats_initially; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    stats_before = query(pg, stats_sql);
  }
  ASSERT_NE(stats_before, stats_initially) << "the CHECKPOINT never showed in pg_stat_bgwriter";
  const std::string checkpointed = read_file(path);
  ASSERT_EQ(checkpointed.size(), kPage);  // Six customers: one page.

  query(pg, "UPDATE customers SET email = $1 WHERE id = 1", {"changed@example.com"});
  for (int i = 0; i < 200; ++i) {
    query(pg, "INSERT INTO customers (firstname, lastname) VALUES ($1, $2)", {"Row", std::to_string(i)});
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));

  const std::string dirty = read_file(path);
  ASSERT_GT(dirty.size(), kPage) << "the inserts extended the table";
  EXPECT_EQ(page(dirty, 0), page(checkpointed, 0)) << "page 0 written before a checkpoint";
  for (size_t p = 1; p < dirty.size() / kPage; ++p) {
    EXPECT_TRUE(all_zero(page(dirty, p))) << "page " << p << " holds data before a checkpoint";
  }
  EXPECT_EQ(query(pg, stats_sql), stats_before) << "a checkpoint or a background-writer write happened";

  query(pg, "CHECKPOINT");
  const std::string written = read_file(path);
  EXPECT_NE(page(written, 0), page(checkpointed, 0));
  EXPECT_FALSE(all_zero(page(written, 1)));
}

// The harness writes wal_keep_size and max_slot_wal_keep_size in bytes, as the scenario
// gives them, and PostgreSQL rounds them to its MB unit (nearest, ties to even): the
// simulator's size_setting_segments counts the same whole MBs.
TEST(HarnessDataFilesTest, SizeSettingsAreRoundedByPostgresToWholeMegabytes) {
  ClusterSpec spec;
  NodeSpec primary;
  primary.name = "primary";
  primary.role = NodeRole::kPrimary;
  spec.nodes = {primary};
  spec.wal_keep_size = 1536 * 1024;
  spec.max_slot_wal_keep_size = 1200 * 1024;
  auto cluster = Cluster::create(testing::test_options(), spec);
  ASSERT_TRUE(cluster.ok()) << cluster.status().message();
  Cluster& c = **cluster;
  ASSERT_TRUE(c.init_primary("primary").ok());
  auto conn = c.connect(*c.node("primary"));
  ASSERT_TRUE(conn.ok()) << conn.status().message();
  EXPECT_EQ(query(**conn, "SHOW wal_keep_size"), "2MB");
  EXPECT_EQ(query(**conn, "SHOW max_slot_wal_keep_size"), "1MB");
}

}  // namespace
}  // namespace replsim::harness
