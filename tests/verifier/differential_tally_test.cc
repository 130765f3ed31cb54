// The account of `replsim check --real --keep-going`: agreement rate, determinate share, and
// every disagreement and error kept (docs/properties.md).
#include "verifier/differential_tally.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace replsim {
namespace {

Verification judged(Verification::Verdict verdict, int determinate, int either) {
  Verification v;
  v.verdict = verdict;
  v.comparison.presence.determinate = determinate;
  v.comparison.presence.either = either;
  return v;
}

TEST(DifferentialTallyTest, CountsEveryRunAndThePresenceComparisonsOfTheJudgedOnes) {
  DifferentialTally t;
  t.add(judged(Verification::Verdict::kAgree, 10, 0));
  t.add(judged(Verification::Verdict::kAgree, 6, 2));
  t.add(judged(Verification::Verdict::kDisagree, 3, 1));
  t.add(judged(Verification::Verdict::kError, 50, 50));     // Nothing was compared: not counted.
  t.add(judged(Verification::Verdict::kIncomplete, 4, 0));  // Compared, not agreed: counted.
  EXPECT_EQ(t.runs(), 5);
  EXPECT_EQ(t.agreed(), 2);
  EXPECT_EQ(t.disagreed(), 1);
  EXPECT_EQ(t.incomplete(), 1);
  EXPECT_EQ(t.could_not_run(), 1);
  EXPECT_DOUBLE_EQ(t.agreement_percent(), 40.0);
  EXPECT_EQ(t.presence_determinate(), 23);
  EXPECT_EQ(t.presence_either(), 3);
  EXPECT_NEAR(t.determinate_percent(), 100.0 * 23 / 26, 1e-9);
  EXPECT_EQ(t.summary(),
            "agreed on 2 of 5 runs (40.0%); 1 disagreed, 1 incomplete, 1 could not run; presence predictions "
            "determinate: 23 of 26 (88.5%)");
}

TEST(DifferentialTallyTest, NoRunsIsZeroPercentNotADivisionByZero) {
  DifferentialTally t;
  EXPECT_DOUBLE_EQ(t.agreement_percent(), 0.0);
  EXPECT_DOUBLE_EQ(t.determinate_percent(), 0.0);
}

TEST(DifferentialTallyTest, JsonKeepsEveryDisagreementAndError) {
  DifferentialTally t;
  t.add(judged(Verification::Verdict::kDisagree, 4, 0));
  t.add(judged(Verification::Verdict::kDisagree, 2, 2));
  t.add(judged(Verification::Verdict::kError, 0, 0));
  RecordedDisagreement a;
  a.run = 0;
  a.scenario = "differential-11-0";
  a.differences = {"t1 on s1: predicted present, observed absent"};
  a.reproduced = true;
  a.original_steps = 9;
  a.steps = 3;
  a.yaml = "name: disagreement-11-0\n";
  t.add_disagreement(a);
  RecordedDisagreement b = a;
  b.run = 1;
  b.reproduced = false;
  t.add_disagreement(b);
  t.add_error({2, 77, "differential-11-2", "harness: server did not start"});
  const nlohmann::json j = to_json(t);
  const nlohmann::json back = nlohmann::json::parse(j.dump());  // One valid document.
  EXPECT_EQ(back["runs"], 3);
  EXPECT_EQ(back["agreed"], 0);
  EXPECT_EQ(back["disagreed"], 2);
  EXPECT_EQ(back["could_not_run"], 1);
  EXPECT_EQ(back["presence"]["determinate"], 6);
  EXPECT_EQ(back["presence"]["either"], 2);
  ASSERT_EQ(back["disagreements"].size(), 2u);
  EXPECT_EQ(back["disagreements"][0]["steps"], 3);
  EXPECT_EQ(back["disagreements"][0]["differences"][0], "t1 on s1: predicted present, observed absent");
  EXPECT_EQ(back["disagreements"][1]["reproduced"], false);
  ASSERT_EQ(back["errors"].size(), 1u);
  EXPECT_EQ(back["errors"][0]["error"], "harness: server did not start");
}

}  // namespace
}  // namespace replsim
