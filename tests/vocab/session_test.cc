// Named sessions in the scenario language (docs/scenario.md, "Sessions"): begin, inserts with
// `session`, commit and rollback, and the checker's rules for them.
#include <gtest/gtest.h>

#include "vocab/scenario_parser.h"
#include "vocab/scenario_walk.h"

namespace replsim {
namespace {

const char* kHeader = R"yaml(name: t
cluster:
  primary: primary
  standbys: [replica]
steps:
)yaml";

Result<Scenario> parse(const std::string& steps, const std::string& expect = "") {
  return parse_scenario_text(std::string(kHeader) + steps + (expect.empty() ? "" : "expect:\n" + expect), "t.yaml");
}

void expect_error(const Result<Scenario>& r, int line, const std::string& words) {
  ASSERT_FALSE(r.ok());
  const std::string& m = r.status().message();
  EXPECT_EQ(m.rfind("t.yaml:" + std::to_string(line) + ":", 0), 0u) << m;
  EXPECT_NE(m.find(words), std::string::npos) << m;
}

std::string statement(const std::string& label, const std::string& session) {
  return "  - insert: " + label + "\n    session: " + session +
         "\n    table: customers\n    values: {firstName: A, lastName: B, email: " + label + "@x}\n";
}

TEST(SessionTest, BeginStatementsAndCommitParseWithTheSessionOnTheInsert) {
  auto s = parse("  - begin: a\n    node: primary\n" + statement("a1", "a") + "  - begin: b\n" + statement("b1", "b") +
                     "  - commit: b\n  - rollback: a\n",
                 "  - acknowledged: b\n  - failed: a\n  - error: 25P02\n    step: a1\n");
  ASSERT_TRUE(s.ok()) << s.status().message();
  ASSERT_EQ(s->steps.size(), 6u);
  EXPECT_EQ(s->steps[0].kind, StepKind::kBegin);
  EXPECT_EQ(s->steps[0].label, "a");
  EXPECT_EQ(s->steps[0].node, "primary");
  EXPECT_EQ(s->steps[1].kind, StepKind::kInsert);
  EXPECT_EQ(s->steps[1].session, "a");
  EXPECT_FALSE(is_own_transaction(s->steps[1]));
  EXPECT_EQ(s->steps[4].kind, StepKind::kCommit);
  EXPECT_EQ(s->steps[5].kind, StepKind::kRollback);
  EXPECT_EQ(s->steps[1].text, "insert a1: customers (firstname=A, lastname=B, email=a1@x) in session a");
  EXPECT_EQ(s->steps[0].text, "begin a on primary");
  // A session's transaction stands where it ends: b at its commit (4), a at its rollback (5).
  const ScenarioWalk walk(*s);
  EXPECT_EQ(walk.step_of_label("b"), 4);
  EXPECT_EQ(walk.step_of_label("a"), 5);
  EXPECT_EQ(s->expectations[2].step, 1);  // A statement's label names the statement.
}

TEST(SessionTest, TheCheckerRefusesWhatCannotHappen) {
  expect_error(parse(statement("x1", "x")), 6, "no session 'x' is open here");
  expect_error(parse("  - commit: x\n"), 6, "cannot commit 'x': no session of that name is open");
  expect_error(parse("  - begin: a\n  - commit: a\n  - rollback: a\n"), 8, "cannot rollback 'a'");
  expect_error(parse("  - begin: a\n" + statement("a1", "a")), 6, "session 'a' never ends");
  expect_error(parse("  - begin: a\n  - begin: a\n  - commit: a\n"), 7, "used twice");
  expect_error(parse("  - begin: a\n" + statement("a", "a") + "  - commit: a\n"), 7, "used twice");
  expect_error(
      parse("  - begin: a\n  - pause: primary\n" + statement("a1", "a") + "  - resume: primary\n  - commit: a\n"), 8,
      "its node 'primary' is paused");
  expect_error(parse("  - pause: primary\n  - begin: a\n  - resume: primary\n  - commit: a\n"), 7,
               "cannot begin a session on a paused node");
  expect_error(parse("  - begin: a\n" + statement("a1", "a") + "  - commit: a\n", "  - present: a1\n"), 13,
               "'a1' is a statement of session 'a'");
  expect_error(parse("  - begin: a\n  - insert: a1\n    session: a\n    node: replica\n    table: customers\n"
                     "    values: {firstName: A}\n  - commit: a\n"),
               9, "runs on the session's node");
  expect_error(parse("  - begin: a\n  - update: a1\n    session: a\n    table: customers\n    set: {email: x}\n"
                     "  - commit: a\n"),
               8, "unknown key 'session'");
}

TEST(SessionTest, RecoveryTargetsNameTheSessionsTransaction) {
  auto s = parse("  - base_backup: b\n  - begin: a\n" + statement("a1", "a") +
                 "  - commit: a\n  - switch_wal\n  - restore: x\n    from: b\n    target: {xid: a}\n");
  ASSERT_TRUE(s.ok()) << s.status().message();
  expect_error(parse("  - base_backup: b\n  - begin: a\n" + statement("a1", "a") +
                     "  - commit: a\n  - restore: x\n    from: b\n    target: {xid: a1}\n"),
               13, "recovery target xid 'a1' is not a transaction");
}

}  // namespace
}  // namespace replsim
