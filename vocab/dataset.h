// The statelessCommerce schema of the seed drills and the named data sets that
// scenarios load in one step. Both the simulator and the real cluster load exactly
// these rows, in this order, so serial ids agree (customers 1..n, and so on).
//
// Every scenario transaction also inserts its label into replsim_tx in the same
// transaction: that row is how any transaction's presence (even a DELETE's or a
// TRUNCATE's) is observed on any node, by the harness and the simulator alike.
#pragma once

#include <string>
#include <vector>

namespace replsim {

struct ColumnSpec {
  std::string name;  // Lower case, as PostgreSQL folds unquoted identifiers.
  enum class Type { kSerial, kInteger, kText, kNumeric, kTimestamp } type = Type::kText;
  std::string references;  // Table this column is a foreign key to, or "".
  bool not_null = false;
};

// The numeric columns' type modifier: schema_sql writes them numeric(12,2).
inline constexpr int kNumericPrecision = 12;
inline constexpr int kNumericScale = 2;

struct TableSpec {
  std::string name;                                              // Lower case: customers, products, orders, orderitems.
  std::vector<ColumnSpec> columns;                               // columns[0] is "id", the serial primary key.
  const ColumnSpec* find_column(const std::string& name) const;  // Case-insensitive.
};

struct Dataset {
  std::string name;
  std::vector<TableSpec> tables;  // In dependency order: referenced tables first.
  // Initial rows per table, values for every column but "id", in column order.
  struct TableRows {
    std::string table;
    std::vector<std::vector<std::string>> rows;
  };
  std::vector<TableRows> rows;
  const TableSpec* find_table(const std::string& name) const;  // Case-insensitive.
  // Tables TRUNCATE ... CASCADE on `table` empties with it (those referencing it, transitively).
  std::vector<std::string> truncate_cascade(const std::string& table) const;
};

// The marker table every scenario transaction writes its label into.
inline constexpr const char* kTxMarkerTable = "replsim_tx";

// The named data sets: "seed" (statelessCommerce with the Johnsons) and "empty" (schema only).
// Built once and never changed: a Dataset's address identifies it.
const std::vector<Dataset>& all_datasets();
// A scenario's data set is Scenario::dataset() (resolve_scenario looks it up once); these are
// for the vocabulary and for code that loads data without a scenario (benchmarks, tests).
const Dataset* find_dataset(const std::string& name);
const Dataset& seed_dataset();
std::vector<std::string> dataset_names();

// CREATE TABLE statements for the schema and the marker table. Fixed text from the
// schema above: no scenario value ever appears in it.
std::string schema_sql(const Dataset& dataset);

}  // namespace replsim
