// Bursts (`repeat`, `load`), count expectations (`lost_count`, `present_count`), the shipped
// timing profile compiled into the binary, and merging two profiles.
#include <gtest/gtest.h>

#include "verifier/expectations.h"
#include "vocab/default_timing.h"
#include "vocab/scenario_parser.h"

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

TEST(BurstTest, RepeatExpandsToNumberedInsertsWithTheirNumberInValues) {
  auto s = parse(R"(  - insert: burst
    table: customers
    values: {firstName: "B{n}", lastName: Burst, email: "b{n}@x.org"}
    repeat: 3
  - crash: primary
)");
  ASSERT_TRUE(s.ok()) << s.status().message();
  ASSERT_EQ(s->steps.size(), 4u);
  for (int i = 0; i < 3; ++i) {
    const Step& st = s->steps[static_cast<size_t>(i)];
    EXPECT_EQ(st.kind, StepKind::kInsert);
    EXPECT_EQ(st.label, "burst_" + std::to_string(i + 1));
    EXPECT_EQ(st.group, "burst");
    EXPECT_EQ(st.pace_us, 0);
    EXPECT_EQ(st.values[0].second, "B" + std::to_string(i + 1));
    EXPECT_EQ(st.values[2].second, "b" + std::to_string(i + 1) + "@x.org");
  }
  EXPECT_EQ(s->steps[3].kind, StepKind::kCrash);
  EXPECT_TRUE(s->steps[3].group.empty());
}

TEST(BurstTest, LoadExpandsToRateTimesDurationPacedInserts) {
  auto s = parse(R"(  - insert: l
    table: customers
    values: {firstName: L, lastName: Load}
    load: {rate: 200/s, duration: 2s}
)");
  ASSERT_TRUE(s.ok()) << s.status().message();
  ASSERT_EQ(s->steps.size(), 400u);
  EXPECT_EQ(s->steps[0].pace_us, 0);  // The first starts at once.
  EXPECT_EQ(s->steps[1].pace_us, 5000);
  EXPECT_EQ(s->steps[399].label, "l_400");
  EXPECT_EQ(s->steps[399].pace_us, 5000);
}

TEST(BurstTest, BadBurstsAreErrorsWithTheirLine) {
  const char* insert = "  - insert: b\n    table: customers\n    values: {firstName: B, lastName: B}\n";
  expect_error(parse(std::string(insert) + "    repeat: 0\n"), 9, "between 1 and 10000 inserts");
  expect_error(parse(std::string(insert) + "    repeat: 20000\n"), 9, "between 1 and 10000 inserts");
  expect_error(parse(std::string(insert) + "    load: {rate: fast, duration: 1s}\n"), 9, "a rate such as 200/s");
  expect_error(parse(std::string(insert) + "    load: {rate: 10/s}\n"), 9, "{rate: N/s, duration: D}");
  expect_error(parse(std::string(insert) + "    repeat: 2\n    load: {rate: 10/s, duration: 1s}\n"), 6,
               "'repeat' or 'load', not both");
  // The numbered labels are ordinary labels: b_2 written again is a label used twice.
  expect_error(parse(std::string(insert) + "    repeat: 2\n  - insert: b_2\n    table: customers\n"
                                           "    values: {firstName: B, lastName: B}\n"),
               10, "b_2");
  // repeat belongs to insert only.
  expect_error(parse("  - crash: primary\n    repeat: 2\n"), 7, "unknown key 'repeat'");
}

TEST(BurstTest, CountExpectationsParseAndCheckTheirBoundsAndGroup) {
  const char* steps = "  - insert: b\n    table: customers\n    values: {firstName: B, lastName: B}\n    repeat: 2\n";
  auto ok = parse(steps,
                  "  - lost_count: {min: 0, max: 2, label: b}\n    on: replica\n  - present_count: {min: 1, max: 2}\n");
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  ASSERT_EQ(ok->expectations.size(), 2u);
  EXPECT_EQ(ok->expectations[0].kind, ExpectKind::kLostCount);
  EXPECT_EQ(ok->expectations[0].label, "b");
  EXPECT_EQ(ok->expectations[0].node, "replica");
  EXPECT_EQ(ok->expectations[0].count_max, 2);
  EXPECT_EQ(ok->expectations[1].kind, ExpectKind::kPresentCount);
  EXPECT_EQ(ok->expectations[1].count_min, 1);
  expect_error(parse(steps, "  - lost_count: {min: 3, max: 2}\n"), 11, "0 <= min <= max");
  expect_error(parse(steps, "  - lost_count: {min: 0, max: 2, label: nope}\n"), 11, "no repeat or load step");
  expect_error(parse(steps, "  - lost_count: 3\n"), 11, "{min: N, max: M}");
}

// A prediction's range: certain losses at least, possible ones at most; a real run's is exact.
TEST(BurstTest, CountRangesFollowEitherAndGroups) {
  RunResult r;
  for (const char* label : {"b_1", "b_2", "b_3", "other"}) {
    TxRecord tx;
    tx.label = label;
    tx.outcomes = {TxOutcome::kAcknowledged};
    r.transactions.push_back(tx);
  }
  NodeFinal replica;
  replica.name = "replica";
  replica.presence = {{"b_1", Presence::kPresent},
                      {"b_2", Presence::kEither},
                      {"b_3", Presence::kAbsent},
                      {"other", Presence::kAbsent}};
  r.nodes.push_back(replica);
  const CountRange lost = lost_range(r, "replica", "b");
  EXPECT_TRUE(lost.observable);
  EXPECT_EQ(lost.min, 1);
  EXPECT_EQ(lost.max, 2);
  EXPECT_EQ(lost.of, 3);
  const CountRange all = lost_range(r, "replica", "");
  EXPECT_EQ(all.min, 2);
  EXPECT_EQ(all.max, 3);
  EXPECT_EQ(all.of, 4);
  const CountRange present = present_range(r, "replica", "b");
  EXPECT_EQ(present.min, 1);
  EXPECT_EQ(present.max, 2);
  EXPECT_FALSE(lost_range(r, "nowhere", "b").observable);
  EXPECT_TRUE(in_group("b_12", "b"));
  EXPECT_FALSE(in_group("b_x", "b"));
  EXPECT_FALSE(in_group("bb_1", "b"));
  EXPECT_FALSE(in_group("b_", "b"));
}

TEST(BurstTest, LostCountVerdictIsHeldFailedOrUndeterminedByRange) {
  auto s = parse("  - insert: b\n    table: customers\n    values: {firstName: B, lastName: B}\n    repeat: 3\n",
                 "  - lost_count: {min: 1, max: 2, label: b}\n    on: replica\n");
  ASSERT_TRUE(s.ok()) << s.status().message();
  auto run = [](std::vector<Presence> p) {
    RunResult r;
    NodeFinal replica;
    replica.name = "replica";
    for (size_t i = 0; i < p.size(); ++i) {
      TxRecord tx;
      tx.label = "b_" + std::to_string(i + 1);
      tx.outcomes = {TxOutcome::kAcknowledged};
      r.transactions.push_back(tx);
      replica.presence[tx.label] = p[i];
    }
    r.nodes.push_back(replica);
    return r;
  };
  using V = ExpectationResult::Verdict;
  const auto verdict = [&](const RunResult& r) { return check_expectations(*s, r).at(0).verdict; };
  EXPECT_EQ(verdict(run({Presence::kPresent, Presence::kAbsent, Presence::kAbsent})), V::kHeld);
  EXPECT_EQ(verdict(run({Presence::kAbsent, Presence::kAbsent, Presence::kAbsent})), V::kFailed);
  EXPECT_EQ(verdict(run({Presence::kPresent, Presence::kPresent, Presence::kPresent})), V::kFailed);
  EXPECT_EQ(verdict(run({Presence::kEither, Presence::kAbsent, Presence::kPresent})), V::kHeld);
  EXPECT_EQ(verdict(run({Presence::kEither, Presence::kEither, Presence::kAbsent})), V::kUndetermined);
}

TEST(BurstTest, ShippedTimingProfileIsCompiledInAndValid) {
  const MeasuredTiming& p = default_timing_profile();
  EXPECT_EQ(p.steps.size(), calibrated_steps().size());
  auto again = parse_timing_profile(default_timing_profile_json(), "default");
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ(*again, p);
  for (const auto& [name, s] : p.steps) EXPECT_LE(s.min_us, s.max_us) << name;
}

TEST(BurstTest, MergedProfileKeepsBothSpreads) {
  MeasuredTiming a = default_timing_profile();
  MeasuredTiming b = a;
  b.steps["insert"].min_us = 1;
  b.steps["insert"].max_us = 999'999;
  b.steps["insert"].p50_us = 2;
  b.created = "older";
  const MeasuredTiming m = merge_timing_profiles(a, b);
  EXPECT_EQ(m.steps.at("insert").min_us, 1);
  EXPECT_EQ(m.steps.at("insert").max_us, 999'999);
  EXPECT_EQ(m.steps.at("insert").p50_us, a.steps.at("insert").p50_us);
  EXPECT_EQ(m.steps.at("insert").count, 2 * a.steps.at("insert").count);
  EXPECT_EQ(m.created, a.created);
  auto round = parse_timing_profile(timing_profile_json(m), "m");
  ASSERT_TRUE(round.ok()) << round.status().message();
}

}  // namespace
}  // namespace replsim
