// Steps PostgreSQL refuses, in the model (docs/model.md "Steps PostgreSQL refuses"): the input
// rules for column values, calls on the wrong role, a column named twice, and the recovery
// settings the server judges only at run time. Each refusal is a step result with its SQLSTATE.
#include <gtest/gtest.h>

#include "sim/value_input.h"
#include "sim_test_util.h"

namespace replsim::sim::testing {
namespace {

std::string refusal(const Prediction& p, int step) {
  const StepResult* s = p.find_step(step);
  if (s == nullptr) return "no record";
  return s->refused ? s->sqlstate : "accepted";
}

std::string error_of(const Prediction& p, const std::string& node) {
  const NodeFinal* n = p.find_node(node);
  return n == nullptr ? "?" : n->error;
}

TEST(ValueInputTest, IntegerFollowsPgStrtoint32) {
  EXPECT_EQ(int4_input(" 5 ").value, "5");
  EXPECT_EQ(int4_input("+5").value, "5");
  EXPECT_EQ(int4_input("-0").value, "0");
  EXPECT_EQ(int4_input("-2147483648").value, "-2147483648");
  EXPECT_EQ(int4_input("2147483648").sqlstate, "22003");
  EXPECT_EQ(int4_input("99999999999").sqlstate, "22003");
  EXPECT_EQ(int4_input("99999999999").message, "value \"99999999999\" is out of range for type integer");
  EXPECT_EQ(int4_input("99999999999x").sqlstate, "22003");  // Out of range before the bad character.
  for (const char* bad : {"", " ", "abc", "1.5", "0x10", "1_000", "+", "5 5", "--5"}) {
    const InputValue v = int4_input(bad);
    EXPECT_FALSE(v.ok) << bad;
    EXPECT_EQ(v.sqlstate, "22P02") << bad;
  }
  EXPECT_EQ(int4_input("").message, "invalid input syntax for type integer: \"\"");
}

TEST(ValueInputTest, NumericFollowsNumericInAndApplyTypmod) {
  EXPECT_EQ(numeric_input(" 1.005 ", 12, 2).value, "1.01");  // Half away from zero.
  EXPECT_EQ(numeric_input("-1.005", 12, 2).value, "-1.01");
  EXPECT_EQ(numeric_input("+5", 12, 2).value, "5.00");
  EXPECT_EQ(numeric_input(".5", 12, 2).value, "0.50");
  EXPECT_EQ(numeric_input("5.", 12, 2).value, "5.00");
  EXPECT_EQ(numeric_input("-0.001", 12, 2).value, "0.00");
  EXPECT_EQ(numeric_input("1e2", 12, 2).value, "100.00");
  EXPECT_EQ(numeric_input("nan", 12, 2).value, "NaN");
  EXPECT_EQ(numeric_input("9999999999.99", 12, 2).value, "9999999999.99");
  for (const char* over : {"1e20", "9999999999.995", "10000000000", "Infinity", "-inf"}) {
    const InputValue v = numeric_input(over, 12, 2);
    EXPECT_EQ(v.sqlstate, "22003") << over;
    EXPECT_EQ(v.message, "numeric field overflow") << over;
  }
  for (const char* bad : {"abc", "", ".", "1e", "1.2.3", "1_000", "1e2000", "NaNx"}) {
    const InputValue v = numeric_input(bad, 12, 2);
    EXPECT_EQ(v.sqlstate, "22P02") << bad;
  }
  // Without a type modifier (a WHERE value) there is no overflow to find.
  EXPECT_EQ(numeric_input("1e20").value, "100000000000000000000");
  EXPECT_EQ(numeric_input("Infinity").value, "Infinity");
  EXPECT_EQ(numeric_input("abc").sqlstate, "22P02");
}

TEST(ValueInputTest, TextTakesAnythingAndEmptyIsNotNull) {
  const ColumnSpec text{"email", ColumnSpec::Type::kText, "", false};
  EXPECT_EQ(column_input(text, "", InputUse::kStored).value, kEmptyText);
  EXPECT_EQ(column_input(text, " x ", InputUse::kStored).value, " x ");
  EXPECT_FALSE(column_equal(text, "", kEmptyText));  // NULL equals nothing.
  const ColumnSpec price{"price", ColumnSpec::Type::kNumeric, "", true};
  EXPECT_TRUE(column_equal(price, "1.01", "1.010"));
  EXPECT_TRUE(column_equal(price, "NaN", "NaN"));
  EXPECT_FALSE(column_equal(price, "1.01", "1.005"));
}

// Writes: the value errors, a column named twice, a write on a standby; accepted values as
// PostgreSQL stores them (a WHERE on the rounded price finds the row).
TEST(StepResultTest, WritesAreRefusedWithPostgresqlsSqlstate) {
  const std::string steps =
      "  - insert: empty_text\n    table: customers\n    values: {firstName: \"\", lastName: D, email: \"\"}\n"
      "  - insert: spaced\n    table: products\n    values: {name: C, price: \" 1.005 \", stock: \" 5 \"}\n"
      "  - insert: huge_stock\n    table: products\n    values: {name: H, price: 1, stock: \"99999999999\"}\n"
      "  - insert: word_price\n    table: products\n    values: {name: H, price: abc}\n"
      "  - insert: huge_price\n    table: products\n    values: {name: H, price: 1e20}\n"
      "  - insert: empty_stock\n    table: products\n    values: {name: H, price: 1, stock: \"\"}\n"
      "  - insert: twice\n    table: customers\n    values: {firstName: A, firstname: B, lastName: L}\n"
      "  - update: twice_set\n    table: customers\n    set: {email: a, EMAIL: b}\n    where: {id: 1}\n"
      "  - update: bad_where\n    table: customers\n    set: {email: a}\n    where: {id: x}\n"
      "  - delete: rounded\n    table: products\n    where: {price: \"1.010\"}\n"
      "  - insert: on_standby\n    table: customers\n    values: {firstName: S, lastName: S}\n    node: r\n";
  const Prediction p = run_yaml(scenario("r", "on", "", steps));
  const std::vector<std::string> expected = {"accepted", "accepted", "22003", "22P02",    "22003", "22P02",
                                             "42701",    "42601",    "22P02", "accepted", "25006"};
  ASSERT_EQ(p.steps.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(refusal(p, static_cast<int>(i)), expected[i]) << i;
  EXPECT_EQ(outcome(p, "empty_text"), "acknowledged");
  EXPECT_EQ(outcome(p, "word_price"), "failed");
  EXPECT_EQ(p.find_step(6)->message, "column \"firstname\" specified more than once");
  // The delete found the row stored as 1.01: products are back to the seed's five.
  EXPECT_EQ(p.find_node("p")->row_counts.at("products"), 5);
  EXPECT_NE(all_notes(p).find("ERROR:  invalid input syntax for type numeric: \"abc\" (SQLSTATE 22P02)"),
            std::string::npos)
      << all_notes(p);
}

// pg_switch_wal() and pg_create_restore_point() in recovery, pg_promote() on a primary: 55000,
// and nothing changes (the primary stays the primary, no segment is switched).
TEST(StepResultTest, CallsOnTheWrongRoleAreRefused) {
  const Prediction p = run_yaml(scenario("r", "on", "",
                                         "  - switch_wal: r\n  - restore_point: rp\n    node: r\n  - promote: p\n" +
                                             insert("after") + "  - switch_wal\n"));
  EXPECT_EQ(refusal(p, 0), "55000");
  EXPECT_EQ(p.find_step(0)->message, "recovery is in progress");
  EXPECT_EQ(refusal(p, 1), "55000");
  EXPECT_EQ(refusal(p, 2), "55000");
  EXPECT_EQ(p.find_step(2)->message, "recovery is not in progress");
  EXPECT_EQ(refusal(p, 3), "accepted");
  EXPECT_EQ(refusal(p, 4), "accepted");
  EXPECT_EQ(outcome(p, "after"), "acknowledged");
  EXPECT_EQ(to_string(p.find_node("p")->state), std::string("primary"));
  EXPECT_EQ(p.find_node("p")->timeline, 1u);
}

// A restore point name never created runs and is never reached; a name used twice stops at the
// first; two targets at once refuse to start.
TEST(StepResultTest, RecoverySettingsTheServerJudgesWhileRunning) {
  const std::string steps = "  - base_backup: b\n" + insert("a") + "  - restore_point: rp\n" + insert("c") +
                            "  - restore_point: rp\n" + insert("d") + "  - stop: p\n" +
                            "  - restore: missing\n    from: b\n    target: {name: never_made}\n"
                            "  - restore: first\n    from: b\n    target: {name: rp}\n    action: promote\n"
                            "  - restore: two\n    from: b\n    target: {name: rp, xid: a}\n";
  const Prediction p = run_yaml("name: t\ncluster:\n  primary: p\n  standbys: [r]\n  archive_mode: true\nsteps:\n" +
                                steps);
  EXPECT_EQ(error_of(p, "missing"), "recovery_target_not_reached");
  EXPECT_EQ(error_of(p, "first"), "");
  EXPECT_EQ(presence(p, "first", "a"), "present") << all_notes(p);
  EXPECT_EQ(presence(p, "first", "c"), "absent");
  EXPECT_EQ(error_of(p, "two"), "refuses_to_start");
  EXPECT_EQ(p.find_node("two")->error_detail, "FATAL:  multiple recovery targets specified");
  EXPECT_EQ(to_string(p.find_node("two")->state), std::string("stopped"));
}

}  // namespace
}  // namespace replsim::sim::testing
