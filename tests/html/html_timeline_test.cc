// The timeline page's content, without a browser: fates, escaping, bands, layout of runs.
#include "cli/html_timeline.h"

#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "drill_fixture.h"

namespace replsim::cli {
namespace {

using replsim::testing::drill_2_1_result;
using replsim::testing::drill_2_1_scenario;

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
  return n;
}

// The opening tag of the element carrying `attribute`, or "" if none does.
std::string tag_with(const std::string& html, const std::string& attribute) {
  const size_t at = html.find(attribute);
  if (at == std::string::npos) return "";
  const size_t open = html.rfind('<', at), close = html.find('>', at);
  return html.substr(open, close - open + 1);
}

TEST(HtmlTimelineTest, LostTransactionIsMarkedAcknowledgedAndLost) {
  const Scenario scenario = drill_2_1_scenario();
  const RunResult run = drill_2_1_result("simulator");
  const std::string html = render_timeline_html(scenario, &run, nullptr);
  const std::string mark = tag_with(html, R"(class="tx tip" data-run="predicted" data-label="charlie")");
  EXPECT_NE(mark.find(R"(data-fate="acknowledged-lost")"), std::string::npos) << mark;
  EXPECT_NE(mark.find(R"(data-lsn="0/3000200")"), std::string::npos) << mark;
  // The promoted replica's lane shows where charlie should have been.
  EXPECT_NE(html.find(R"(class="tx tip ghost" data-run="predicted" data-label="charlie" data-fate="missing")"),
            std::string::npos);
  EXPECT_NE(html.find("charlie — acknowledged, then LOST"), std::string::npos);
}

TEST(HtmlTimelineTest, FaultBandsFollowTheScenarioSteps) {
  const Scenario scenario = drill_2_1_scenario();
  const RunResult run = drill_2_1_result("simulator");
  const std::string html = render_timeline_html(scenario, &run, nullptr);
  // partition at step 2, heal at step 6: the replica is cut off after steps 2 to 5.
  EXPECT_NE(html.find("replica: partitioned after step 2 until step 6"), std::string::npos);
  EXPECT_NE(html.find("primary: crashed after step 5, to the end"), std::string::npos);
  EXPECT_NE(html.find("No primary: the cluster takes no writes (step 5 to step 7)"), std::string::npos);
}

TEST(HtmlTimelineTest, FateFollowsOutcomeAndTheFinalPrimary) {
  RunResult run = drill_2_1_result("simulator");
  TxRecord tx = run.transactions[0];
  EXPECT_EQ(tx_fate(run, tx), TxFate::kLost);
  run.nodes[1].presence["charlie"] = Presence::kPresent;
  EXPECT_EQ(tx_fate(run, tx), TxFate::kKept);
  run.nodes[1].presence["charlie"] = Presence::kEither;
  EXPECT_EQ(tx_fate(run, tx), TxFate::kEither);
  run.nodes[1].presence.clear();
  EXPECT_EQ(tx_fate(run, tx), TxFate::kAcknowledged);
  tx.outcomes = {TxOutcome::kAcknowledged, TxOutcome::kBlocked};
  EXPECT_EQ(tx_fate(run, tx), TxFate::kEither);
  const std::pair<TxOutcome, TxFate> plain[] = {{TxOutcome::kBlocked, TxFate::kBlocked},
                                                {TxOutcome::kCancelled, TxFate::kCancelled},
                                                {TxOutcome::kInDoubt, TxFate::kInDoubt},
                                                {TxOutcome::kFailed, TxFate::kFailed}};
  for (const auto& [outcome, fate] : plain) {
    tx.outcomes = {outcome};
    EXPECT_EQ(tx_fate(run, tx), fate) << to_string(outcome);
  }
  EXPECT_STREQ(fate_id(TxFate::kLost), "acknowledged-lost");
}

TEST(HtmlTimelineTest, FinalPrimaryIsThePrimaryOnTheHighestTimeline) {
  RunResult run = drill_2_1_result("simulator");
  EXPECT_EQ(final_primary(run)->name, "replica");
  run.nodes[0].state = NodeState::kPrimary;  // Split brain: the old primary came back on timeline 1.
  EXPECT_EQ(final_primary(run)->name, "replica");
  run.nodes[1].state = NodeState::kCrashed;
  EXPECT_EQ(final_primary(run)->name, "primary");
}

TEST(HtmlTimelineTest, EscapesEveryStringFromTheScenarioAndTheResults) {
  Scenario scenario = drill_2_1_scenario();
  scenario.name = "<script>alert('name')</script>";
  scenario.description = "a & b \"quoted\" </p>";
  scenario.steps[2].text = "insert: <img src=x onerror=alert(1)>";
  RunResult run = drill_2_1_result("simulator");
  run.transactions[0].label = "<b onmouseover=alert(2)>";
  run.notes.push_back("</script><script>alert(3)</script>");
  run.timeline[1].notes.push_back("<svg onload=alert(4)>");
  const std::string html = render_timeline_html(scenario, &run, nullptr);
  for (const char* raw : {"<script>alert", "<img", "<b onmouseover", "<svg onload", "\"quoted\""})
    EXPECT_EQ(html.find(raw), std::string::npos) << raw;
  EXPECT_NE(html.find("&lt;script&gt;alert(&#39;name&#39;)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(html.find("a &amp; b &quot;quoted&quot; &lt;/p&gt;"), std::string::npos);
  EXPECT_EQ(count(html, "<script"), 2u);  // The error hook and the page's own script, no more.
  EXPECT_EQ(html_escape("<a href='x'>&\"</a>"), "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;");
}

TEST(HtmlTimelineTest, PageIsSelfContained) {
  const Scenario scenario = drill_2_1_scenario();
  const RunResult run = drill_2_1_result("simulator");
  const std::string html = render_timeline_html(scenario, &run, &run);
  std::string without_svg_namespace = std::regex_replace(html, std::regex("xmlns=\"http://www.w3.org/2000/svg\""), "");
  EXPECT_EQ(without_svg_namespace.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(html.find(" src="), std::string::npos);
  EXPECT_EQ(html.find("@import"), std::string::npos);
}

TEST(HtmlTimelineTest, PredictedAndObservedGetTheirOwnLanesOnOneStepAxis) {
  const Scenario scenario = drill_2_1_scenario();
  const RunResult predicted = drill_2_1_result("simulator");
  const RunResult observed = drill_2_1_result("postgresql", 0x5000028, 40000);
  const std::string html = render_timeline_html(scenario, &predicted, &observed);
  EXPECT_EQ(count(html, R"(<g class="lane" data-run="predicted")"), 2u);
  EXPECT_EQ(count(html, R"(<g class="lane" data-run="observed")"), 2u);
  EXPECT_EQ(count(html, R"(<g class="tip" data-column=)"), scenario.steps.size());  // One shared axis.
  EXPECT_NE(html.find("Predicted (simulator)"), std::string::npos);
  EXPECT_NE(html.find("Observed (postgresql)"), std::string::npos);
  EXPECT_NE(html.find("t = 3.0 ms"), std::string::npos);    // Simulated time of charlie's step ...
  EXPECT_NE(html.find("t = 480.0 ms"), std::string::npos);  // ... and the observed wall-clock one.
}

TEST(HtmlTimelineTest, RendersWithoutAnyRunOrWithOnlyAnObservation) {
  const Scenario scenario = drill_2_1_scenario();
  const std::string empty = render_timeline_html(scenario, nullptr, nullptr);
  EXPECT_NE(empty.find("Nothing was simulated or observed yet"), std::string::npos);
  EXPECT_NE(empty.find("</html>"), std::string::npos);
  const RunResult observed = drill_2_1_result("postgresql");
  const std::string only = render_timeline_html(scenario, nullptr, &observed);
  EXPECT_EQ(count(only, R"(<g class="lane" data-run="observed")"), 2u);
  EXPECT_EQ(only.find(R"(data-run="predicted")"), std::string::npos);
}

TEST(HtmlTimelineTest, DisagreementBetweenPredictionAndObservationIsOutlined) {
  const Scenario scenario = drill_2_1_scenario();
  const RunResult predicted = drill_2_1_result("simulator");
  RunResult observed = drill_2_1_result("postgresql");
  observed.nodes[1].presence["charlie"] = Presence::kPresent;
  const std::string html = render_timeline_html(scenario, &predicted, &observed);
  EXPECT_EQ(count(html, "differs\""), 2u);  // The replica's cell, in both runs' columns.
}

TEST(HtmlTimelineTest, WritingToAnUnwritablePathIsAnIoError) {
  const Scenario scenario = drill_2_1_scenario();
  const Status s = write_timeline_html("/nonexistent-dir/page.html", scenario, nullptr, nullptr);
  EXPECT_EQ(s.code(), Status::Code::kIoError);
}

// What `replsim check --html` writes for a counterexample: the simulator's run of the shrunk
// scenario, headed by the broken property and the witness, escaped, with check's file name.
TEST(HtmlTimelineTest, CounterexamplePageNamesThePropertyAndTheWitness) {
  const Scenario scenario = drill_2_1_scenario();
  const RunResult run = drill_2_1_result("simulator");
  const std::string html = render_counterexample_html(
      "acknowledged_survives_failover", "charlie <acknowledged> & absent on replica",
      ".replsim/counterexamples/acknowledged_survives_failover-seed-1.yaml", scenario, run);
  const std::string banner = tag_with(html, R"(class="banner")");
  ASSERT_FALSE(banner.empty());
  const size_t at = html.find(banner);
  const std::string box = html.substr(at, html.find("</div>", at) - at);
  EXPECT_NE(box.find("Counterexample: acknowledged_survives_failover does not hold"), std::string::npos) << box;
  EXPECT_NE(box.find("charlie &lt;acknowledged&gt; &amp; absent on replica"), std::string::npos) << box;
  EXPECT_EQ(html.find("<acknowledged>"), std::string::npos);
  EXPECT_NE(html.find("<code>.replsim/counterexamples/acknowledged_survives_failover-seed-1.yaml</code>"),
            std::string::npos);
  // The run itself is drawn as for `replsim run`: charlie's mark, acknowledged and lost.
  EXPECT_NE(tag_with(html, R"(data-label="charlie" data-fate="acknowledged-lost")"), "");
  // A plain page has no banner.
  EXPECT_EQ(render_timeline_html(scenario, &run, nullptr).find(R"(class="banner")"), std::string::npos);
}

TEST(HtmlTimelineTest, CounterexamplePageToAnUnwritablePathIsAnIoError) {
  const Scenario scenario = drill_2_1_scenario();
  const RunResult run = drill_2_1_result("simulator");
  const Status s = write_counterexample_html("/nonexistent-dir/x.html", "p", "w", "x.yaml", scenario, run);
  EXPECT_EQ(s.code(), Status::Code::kIoError);
}

}  // namespace
}  // namespace replsim::cli
