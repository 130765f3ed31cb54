// verify_runs puts comparison, history checks and expectations together; the report
// prints both timelines side by side and the verdict; everything survives JSON.
#include "verifier/verification.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test_runs.h"
#include "verifier/report_text.h"

namespace replsim {
namespace {

using namespace replsim::testing;

Scenario drill() {
  return scenario(R"(name: drill-2.1-replication-lag
cluster:
  primary: primary
  standbys: [replica]
steps:
  - catchup
  - partition: replica
  - insert: charlie
    table: customers
    values: {firstName: Charlie, lastName: Davis}
  - crash: primary
  - heal: replica
  - promote: replica
expect:
  - acknowledged: charlie
  - lost: charlie
    on: replica
)");
}

RunResult run(const char* source, Presence charlie_on_replica) {
  RunResult r;
  r.scenario = "drill-2.1-replication-lag";
  r.source = source;
  r.seed = 7;
  r.transactions = {tx("charlie", 2, "primary", {kAck}, 0x3000148)};
  r.nodes = {node("primary", "crashed", {}), node("replica", "primary", {{"charlie", charlie_on_replica}})};
  TimelineEntry e;
  e.step = 2;
  e.text = "insert charlie: customers (firstname=Charlie, lastname=Davis)";
  NodePosition p;
  p.node = "primary";
  p.state = "primary";
  p.insert_lsn = p.flush_lsn = Lsn{0x3000148};
  e.positions = {p};
  e.notes = {"charlie acknowledged"};
  r.timeline = {e};
  return r;
}

TEST(VerificationTest, AgreeingDrillPasses) {
  Scenario s = drill();
  Verification v = verify_runs(s, run("simulator", kAbsent), run("postgresql", kAbsent));
  EXPECT_EQ(v.verdict, Verification::Verdict::kAgree);
  EXPECT_TRUE(v.history_findings.empty());
  ASSERT_EQ(v.observed_expectations.size(), 2u);
  EXPECT_EQ(v.observed_expectations[1].verdict, ExpectationResult::Verdict::kHeld)
      << v.observed_expectations[1].explanation;
  EXPECT_TRUE(v.passed());
  const std::string report = render_report(v, nullptr, nullptr);
  EXPECT_NE(report.find("verdict: AGREE"), std::string::npos) << report;
  EXPECT_NE(report.find("result: PASS"), std::string::npos) << report;
}

TEST(VerificationTest, WrongModelFailsWithTheDiffInTheReport) {
  Scenario s = drill();
  Prediction p = run("simulator", kPresent);
  History h = run("postgresql", kAbsent);
  Verification v = verify_runs(s, p, h);
  EXPECT_EQ(v.verdict, Verification::Verdict::kDisagree);
  EXPECT_FALSE(v.passed());
  const std::string report = render_report(v, &p, &h);
  EXPECT_NE(report.find("PREDICTED (simulator)"), std::string::npos) << report;
  EXPECT_NE(report.find("charlie on replica: predicted present, observed absent"), std::string::npos) << report;
  EXPECT_NE(report.find("result: FAIL"), std::string::npos) << report;
  EXPECT_NE(report.find("3. insert charlie"), std::string::npos) << report;
}

TEST(VerificationTest, SurvivesJson) {
  Scenario s = drill();
  Verification v = verify_runs(s, run("simulator", kPresent), run("postgresql", kAbsent));
  auto back = verification_from_json(to_json(v));
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(to_json(*back).dump(), to_json(v).dump());
}

// Verdicts are enums in memory and words in JSON; an unknown word is an error that says which.
TEST(VerificationTest, UnknownVerdictWordsAreErrorsNamingThem) {
  Scenario s = drill();
  const nlohmann::json j = to_json(verify_runs(s, run("simulator", kAbsent), run("postgresql", kAbsent)));
  EXPECT_EQ(j["verdict"], "agree");
  EXPECT_EQ(j["observed_expectations"][1]["verdict"], "held");
  nlohmann::json bad = j;
  bad["verdict"] = "maybe";
  auto back = verification_from_json(bad);
  ASSERT_FALSE(back.ok());
  EXPECT_NE(back.status().message().find("unknown verdict 'maybe'"), std::string::npos) << back.status().message();
  bad = j;
  bad["observed_expectations"][1]["verdict"] = "sort of";
  back = verification_from_json(bad);
  ASSERT_FALSE(back.ok());
  EXPECT_NE(back.status().message().find("unknown verdict 'sort of'"), std::string::npos) << back.status().message();
}

TEST(VerificationTest, ASideThatCouldNotRunIsAnError) {
  Verification v = verification_error(drill(), 1, "harness: postgres not found");
  EXPECT_FALSE(v.passed());
  EXPECT_NE(render_verdict(v).find("ERROR: harness: postgres not found"), std::string::npos);
}

}  // namespace
}  // namespace replsim
