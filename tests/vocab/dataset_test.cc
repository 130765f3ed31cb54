#include "vocab/dataset.h"

#include <gtest/gtest.h>

namespace replsim {
namespace {

TEST(DatasetTest, TruncateProductsCascadeEmptiesOrderItemsButNotOrders) {
  const Dataset* seed = find_dataset("seed");
  ASSERT_NE(seed, nullptr);
  EXPECT_EQ(seed->truncate_cascade("products"), (std::vector<std::string>{"products", "orderitems"}));
  EXPECT_EQ(seed->truncate_cascade("customers"), (std::vector<std::string>{"customers", "orders", "orderitems"}));
}

TEST(DatasetTest, SeedHasTheJohnsons) {
  const Dataset* seed = find_dataset("seed");
  ASSERT_NE(seed, nullptr);
  int johnsons = 0;
  for (const auto& table : seed->rows)
    if (table.table == "customers")
      for (const auto& row : table.rows) johnsons += row[1] == "Johnson";
  EXPECT_EQ(johnsons, 2);
}

TEST(DatasetTest, TablesAndColumnsMatchCaseInsensitively) {
  const Dataset* seed = find_dataset("seed");
  const TableSpec* items = seed->find_table("orderItems");
  ASSERT_NE(items, nullptr);
  EXPECT_NE(items->find_column("productId"), nullptr);
  EXPECT_EQ(items->find_column("price"), nullptr);
  EXPECT_EQ(find_dataset("nope"), nullptr);
}

TEST(DatasetTest, SchemaSqlCreatesEveryTableAndTheMarker) {
  const std::string sql = schema_sql(*find_dataset("seed"));
  for (const char* t : {"customers", "products", "orders", "orderitems", "replsim_tx"})
    EXPECT_NE(sql.find(std::string("CREATE TABLE ") + t + " "), std::string::npos) << t;
  EXPECT_NE(sql.find("REFERENCES products(id)"), std::string::npos);
}

}  // namespace
}  // namespace replsim
