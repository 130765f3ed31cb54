#include "vocab/dataset.h"

#include <strings.h>

#include <fmt/format.h>

#include <algorithm>

namespace replsim {
namespace {

using Type = ColumnSpec::Type;

ColumnSpec col(const char* name, Type type, bool not_null = false, const char* references = "") {
  return ColumnSpec{name, type, references, not_null};
}

std::vector<TableSpec> commerce_tables() {
  return {
      {"customers",
       {col("id", Type::kSerial), col("firstname", Type::kText, true), col("lastname", Type::kText, true),
        col("email", Type::kText)}},
      {"products",
       {col("id", Type::kSerial), col("name", Type::kText, true), col("price", Type::kNumeric, true),
        col("stock", Type::kInteger)}},
      {"orders",
       {col("id", Type::kSerial), col("customerid", Type::kInteger, true, "customers"), col("status", Type::kText)}},
      {"orderitems",
       {col("id", Type::kSerial), col("orderid", Type::kInteger, true, "orders"),
        col("productid", Type::kInteger, true, "products"), col("quantity", Type::kInteger, true)}},
  };
}

Dataset make_seed() {
  Dataset d{"seed", commerce_tables(), {}};
  d.rows = {
      {"customers",
       {{"Alice", "Smith", "alice.smith@example.com"},
        {"Bob", "Johnson", "bob.johnson@example.com"},
        {"Carol", "Johnson", "carol.johnson@example.com"},
        {"Dave", "Miller", "dave.miller@example.com"},
        {"Erin", "Garcia", "erin.garcia@example.com"},
        {"Frank", "Wilson", "frank.wilson@example.com"}}},
      {"products",
       {{"Laptop", "999.00", "10"},
        {"Mouse", "19.99", "200"},
        {"Keyboard", "49.50", "120"},
        {"Monitor", "189.00", "40"},
        {"USB cable", "5.25", "500"}}},
      {"orders", {{"1", "shipped"}, {"2", "shipped"}, {"3", "paid"}, {"4", "paid"}}},
      {"orderitems",
       {{"1", "1", "1"}, {"1", "2", "1"}, {"2", "3", "2"}, {"3", "4", "1"}, {"3", "5", "3"}, {"4", "2", "4"}}},
  };
  return d;
}

Dataset make_empty() { return Dataset{"empty", commerce_tables(), {}}; }

const char* sql_type(const ColumnSpec& column) {
  switch (column.type) {
    case Type::kSerial: return "serial PRIMARY KEY";
    case Type::kInteger: return "integer";
    case Type::kText: return "text";
    case Type::kNumeric: return "numeric(12,2)";
    case Type::kTimestamp: return "timestamptz";
  }
  return "text";
}

}  // namespace

const ColumnSpec* TableSpec::find_column(const std::string& column) const {
  for (const auto& c : columns)
    if (strcasecmp(c.name.c_str(), column.c_str()) == 0) return &c;
  return nullptr;
}

const TableSpec* Dataset::find_table(const std::string& table) const {
  for (const auto& t : tables)
    if (strcasecmp(t.name.c_str(), table.c_str()) == 0) return &t;
  return nullptr;
}

std::vector<std::string> Dataset::truncate_cascade(const std::string& table) const {
  std::vector<std::string> out;
  const TableSpec* root = find_table(table);
  if (root == nullptr) return out;
  out.push_back(root->name);
  // Tables are few: a fixed point over "references something already in the set".
  for (bool grew = true; grew;) {
    grew = false;
    for (const auto& t : tables) {
      if (std::find(out.begin(), out.end(), t.name) != out.end()) continue;
      for (const auto& c : t.columns) {
        if (!c.references.empty() && std::find(out.begin(), out.end(), c.references) != out.end()) {
          out.push_back(t.name);
          grew = true;
          break;
        }
      }
    }
  }
  return out;
}

const std::vector<Dataset>& all_datasets() {
  static const std::vector<Dataset> datasets = {make_seed(), make_empty()};
  return datasets;
}

const Dataset& seed_dataset() { return all_datasets().front(); }

const Dataset* find_dataset(const std::string& name) {
  for (const auto& d : all_datasets())
    if (d.name == name) return &d;
  return nullptr;
}

std::vector<std::string> dataset_names() {
  std::vector<std::string> names;
  for (const auto& d : all_datasets()) names.push_back(d.name);
  return names;
}

std::string schema_sql(const Dataset& dataset) {
  std::string sql;
  for (const auto& t : dataset.tables) {
    std::vector<std::string> cols;
    for (const auto& c : t.columns) {
      std::string col = fmt::format("{} {}", c.name, sql_type(c));
      if (c.not_null) col += " NOT NULL";
      if (!c.references.empty()) col += fmt::format(" REFERENCES {}(id)", c.references);
      cols.push_back(col);
    }
    sql += fmt::format("CREATE TABLE {} ({});\n", t.name, fmt::join(cols, ", "));
  }
  sql += fmt::format("CREATE TABLE {} (label text PRIMARY KEY);\n", kTxMarkerTable);
  return sql;
}

}  // namespace replsim
