// Waits, grouping and the axis of the timeline page, without a browser: how long a commit
// waited (from a history's events, whoever recorded them), its band and the page's table,
// repeated steps in one column, notes said once with a count, and when the axis is time.
#include "cli/timeline_waits.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cli/html_timeline.h"
#include "drill_fixture.h"
#include "vocab/scenario_parser.h"

namespace replsim::cli {
namespace {

using replsim::testing::drill_2_1_result;
using replsim::testing::drill_2_1_scenario;
using Type = HistoryEvent::Type;

HistoryEvent at(Type type, int64_t time_us, const std::string& label) {
  return {type, time_us, "client", "primary", label, 0, Lsn{}, 0, ""};
}

// Drill 2.1's observed run with two commits that waited: "slow", released 5 s after its
// invocation (the harness saw it blocked on the way), and "stuck", still waiting at the end.
RunResult with_waits() {
  RunResult run = drill_2_1_result("postgresql", 0x3000148, 1000000);  // Steps 4 s apart.
  TxRecord slow = run.transactions[0];
  slow.label = "slow";
  slow.step = 3;
  slow.waited_for_sync = true;
  TxRecord stuck = slow;
  stuck.label = "stuck";
  stuck.step = 5;
  stuck.outcomes = {TxOutcome::kBlocked};
  run.transactions.push_back(slow);
  run.transactions.push_back(stuck);
  run.events.push_back(at(Type::kInvoke, 12000000, "slow"));
  run.events.push_back(at(Type::kBlocked, 13000000, "slow"));  // Not an end: the harness goes on.
  run.events.push_back(at(Type::kOk, 17000000, "slow"));
  run.events.push_back(at(Type::kInvoke, 21000000, "stuck"));
  run.events.push_back(at(Type::kBlocked, 22000000, "stuck"));
  return run;  // Its last timeline entry is at 28 s.
}

TEST(TimelineWaitsTest, AWaitRunsFromTheInvocationToItsAnswerOrTheEnd) {
  const std::vector<CommitWait> waits = commit_waits(with_waits());
  ASSERT_EQ(waits.size(), 2u);  // charlie did not wait.
  EXPECT_EQ(waits[0].label, "slow");
  EXPECT_EQ(waits[0].waited_us(), 5000000);
  EXPECT_FALSE(waits[0].open);
  EXPECT_EQ(waits[0].ended, "acknowledged");
  EXPECT_EQ(waits[0].end_step, 4);  // 17 s falls in step 5 (entries at 16 s and 20 s, stamped after each step).
  EXPECT_EQ(wait_line(waits[0]), "slow         waited 5.0 s     on primary, from step 4 to step 5: acknowledged");
  EXPECT_EQ(waits[1].label, "stuck");
  EXPECT_TRUE(waits[1].open);
  EXPECT_EQ(waits[1].waited_us(), 7000000);
  EXPECT_NE(wait_line(waits[1]).find("waited 7.0 s"), std::string::npos);
  EXPECT_NE(wait_line(waits[1]).find("still waiting at the end"), std::string::npos);
  EXPECT_EQ(fmt_wait(303000), "303 ms");
  EXPECT_EQ(fmt_wait(12400), "12.4 ms");
}

TEST(TimelineWaitsTest, ThePageDrawsEachWaitAsALabelledBandAndListsIt) {
  const RunResult run = with_waits();
  const std::string html = render_timeline_html(drill_2_1_scenario(), nullptr, &run);
  EXPECT_NE(html.find(R"(class="tip wait" data-wait="slow" data-node="primary" data-open="no" data-us="5000000")"),
            std::string::npos);
  EXPECT_NE(html.find(R"(class="tip wait" data-wait="stuck" data-node="primary" data-open="yes")"), std::string::npos);
  EXPECT_NE(html.find(">slow waited 5.0 s<"), std::string::npos);
  EXPECT_NE(html.find("<h2>Commit waits</h2>"), std::string::npos);
  EXPECT_NE(html.find(R"(data-wait-us="5000000">5.0 s</td>)"), std::string::npos);
  // A commit that waited only for an ordinary round trip gets no band.
  RunResult quick = run;
  quick.events[quick.events.size() - 3].time_us = 12050000;  // slow's ok, 50 ms after its invocation.
  EXPECT_EQ(render_timeline_html(drill_2_1_scenario(), nullptr, &quick).find(R"(data-wait="slow")"), std::string::npos);
}

TEST(TimelineWaitsTest, RepeatedStepsShareAColumnAndTheirMarksSpreadOverIt) {
  std::string yaml =
      "name: burst\ncluster:\n  primary: primary\n  standbys: [replica]\n  data: seed\nsteps:\n  - catchup\n"
      "  - insert: b\n    table: customers\n    values: {firstName: B, lastName: B, email: b@example.com}\n"
      "    repeat: 5\n  - catchup\n";
  auto scenario = parse_scenario_text(yaml, "burst.yaml");
  ASSERT_TRUE(scenario.ok()) << scenario.status().message();
  ASSERT_EQ(scenario->steps.size(), 7u);
  RunResult run;
  run.source = "simulator";
  for (int i = 0; i < 5; ++i) {
    TxRecord tx;
    tx.label = "b_" + std::to_string(i + 1);
    tx.step = i + 1;
    tx.node = "primary";
    tx.outcomes = {TxOutcome::kAcknowledged};
    run.transactions.push_back(tx);
    run.notes.push_back(tx.label + " was acknowledged on primary at 0/30001" + std::to_string(i) +
                        "0 but never reached replica");
  }
  const std::string html = render_timeline_html(*scenario, &run, nullptr);
  EXPECT_NE(html.find("steps 2–6: 5 × insert customers"), std::string::npos);
  EXPECT_EQ(html.find("step 3:"), std::string::npos);  // No column of its own.
  std::vector<std::string> xs;
  for (size_t at = html.find("class=\"halo\" cx=\""); at != std::string::npos;
       at = html.find("class=\"halo\" cx=\"", at + 1))
    xs.push_back(html.substr(at + 17, html.find('"', at + 17) - at - 17));
  ASSERT_EQ(xs.size(), 5u);
  for (size_t i = 1; i < xs.size(); ++i) EXPECT_LT(std::stod(xs[i - 1]), std::stod(xs[i]));
  EXPECT_NE(html.find("5 of these (b_1 … b_5), the first: b_1 was acknowledged"), std::string::npos);
}

TEST(TimelineWaitsTest, NotesAlikeAreSaidOnceWithACount) {
  std::vector<std::string> notes, labels;
  for (int i = 1; i <= 20; ++i) {
    labels.push_back("a_" + std::to_string(i));
    notes.push_back("a_" + std::to_string(i) + " was acknowledged on primary at 0/30" + std::to_string(100 + i) +
                    " but never reached replica (partitioned since step 2); promoting replica lost it");
  }
  notes.push_back("split brain risk: replica was promoted while primary still runs");
  notes.insert(notes.begin(), "x_1 failed: it is paused");
  labels.push_back("x_1");
  const std::vector<std::string> grouped = group_notes(notes, labels);
  ASSERT_EQ(grouped.size(), 3u);
  EXPECT_EQ(grouped[0], "x_1 failed: it is paused");
  EXPECT_EQ(grouped[1].rfind("20 of these (a_1 … a_20), the first: a_1 was acknowledged", 0), 0u) << grouped[1];
  EXPECT_EQ(grouped[2], notes.back());
}

TEST(TimelineWaitsTest, TheAxisIsTimeWhenDurationsDifferTenfoldOrWhenAsked) {
  const Scenario scenario = drill_2_1_scenario();
  const RunResult even = drill_2_1_result("postgresql");  // Every step as long as the others.
  EXPECT_NE(render_timeline_html(scenario, nullptr, &even).find(R"(data-axis="steps")"), std::string::npos);
  EXPECT_NE(
      render_timeline_html(scenario, nullptr, &even, PageBanner{}, TimelineAxis::kTime).find(R"(data-axis="time")"),
      std::string::npos);
  RunResult uneven = even;
  for (size_t i = 3; i < uneven.timeline.size(); ++i) uneven.timeline[i].time_us += 5000000;  // Step 4 takes 5 s.
  EXPECT_NE(render_timeline_html(scenario, nullptr, &uneven).find(R"(data-axis="time")"), std::string::npos);
  EXPECT_NE(
      render_timeline_html(scenario, nullptr, &uneven, PageBanner{}, TimelineAxis::kSteps).find(R"(data-axis="steps")"),
      std::string::npos);
  EXPECT_EQ(parse_timeline_axis("time"), TimelineAxis::kTime);
  EXPECT_EQ(parse_timeline_axis("steps"), TimelineAxis::kSteps);
  EXPECT_FALSE(parse_timeline_axis("columns").has_value());
}

}  // namespace
}  // namespace replsim::cli
