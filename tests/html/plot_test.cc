// The plots (cli/plot_svg.h, cli/plot_timeline.h) and the --html DIR index (cli/html_index.h),
// without a browser: values, ticks, what each plot is built from, and how paths are chosen.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <string>

#include "cli/html_index.h"
#include "cli/html_timeline.h"
#include "cli/plot_svg.h"
#include "cli/plot_timeline.h"
#include "cli/timeline_layout.h"
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

TEST(PlotSvgTest, ValuesAreWrittenInTheirUnits) {
  EXPECT_EQ(format_plot_value(0, PlotUnit::kBytes), "0 B");
  EXPECT_EQ(format_plot_value(184, PlotUnit::kBytes), "184 B");
  EXPECT_EQ(format_plot_value(1536, PlotUnit::kBytes), "1.5 kB");
  EXPECT_EQ(format_plot_value(16 * 1024 * 1024, PlotUnit::kBytes), "16 MB");
  EXPECT_EQ(format_plot_value(0.25, PlotUnit::kMs), "0.25 ms");
  EXPECT_EQ(format_plot_value(20, PlotUnit::kMs), "20 ms");
  EXPECT_EQ(format_plot_value(0.5, PlotUnit::kFraction), "50 %");
  EXPECT_EQ(format_plot_value(1.5, PlotUnit::kSeconds), "1.5 s");
}

TEST(PlotSvgTest, ByteTicksAreRoundInKilobytes) {
  PlotSpec spec;
  spec.y_unit = PlotUnit::kBytes;
  spec.series.push_back(PlotSeries{"s", "#000", {{0, 0}, {1, 29000}}, false, false, ""});
  const std::string svg = render_plot_svg(spec);
  EXPECT_NE(svg.find(">10 kB</text>"), std::string::npos) << svg;
  EXPECT_EQ(svg.find("9.8 kB"), std::string::npos);
}

TEST(PlotSvgTest, TicksAreOneTwoFiveStepsOrDecades) {
  EXPECT_EQ(plot_ticks(0, 10, false, 5), (std::vector<double>{0, 2, 4, 6, 8, 10}));
  EXPECT_EQ(plot_ticks(0, 184, false, 4), (std::vector<double>{0, 50, 100, 150}));
  EXPECT_EQ(plot_ticks(0.1, 100, true), (std::vector<double>{0.1, 1, 10, 100}));
  EXPECT_EQ(plot_ticks(1, 50, true), (std::vector<double>{1, 2, 5, 10, 20, 50}));
}

TEST(PlotSvgTest, DrawsEverySeriesBandAndBarWithItsAttributes) {
  PlotSpec spec;
  spec.id = "demo";
  spec.y_unit = PlotUnit::kBytes;
  spec.series.push_back(PlotSeries{"r<1>", "#123456", {{0, 0}, {1, 2048}, {2, 0}}, true, true, ""});
  spec.bands.push_back(PlotBand{0.5, 1.5, "partition", "r<1>: partitioned", "#e08214", ""});
  spec.bars.push_back(PlotBar{0, 1, 3, "#4a6fa5", "3 commits", 0});
  const std::string svg = render_plot_svg(spec);
  EXPECT_EQ(svg.rfind(R"(<svg class="plot" data-plot="demo")", 0), 0u) << svg.substr(0, 200);
  EXPECT_EQ(count(svg, R"(class="plot-line" data-series="r&lt;1&gt;")"), 1u);
  EXPECT_EQ(count(svg, "class=\"plot-point tip\""), 3u);
  EXPECT_EQ(count(svg, R"(class="plot-band" data-band="partition")"), 1u);
  EXPECT_EQ(count(svg, "class=\"plot-bar tip\""), 1u);
  EXPECT_NE(svg.find(">2 kB</text>"), std::string::npos) << "a y tick in bytes";
  EXPECT_EQ(svg.find("<1>"), std::string::npos) << "every string escaped";
  EXPECT_EQ(svg.find("plot-empty"), std::string::npos);
  EXPECT_NE(render_plot_svg(PlotSpec{}).find("plot-empty"), std::string::npos);
}

TEST(PlotTimelineTest, LagPlotFollowsTheReplicaBehindThePrimaryWithThePartitionShaded) {
  const Scenario scenario = drill_2_1_scenario();
  const RunResult run = drill_2_1_result("simulator");
  const TimelineLayout layout(scenario, &run, nullptr);
  const PlotSpec lag = lag_plot(layout, layout.views()[0]);
  ASSERT_EQ(lag.series.size(), 1u);  // The replica; the primary has no lag.
  EXPECT_EQ(lag.series[0].name, "replica");
  double most = 0;
  for (const auto& p : lag.series[0].points) most = std::max(most, p.second);
  EXPECT_EQ(most, 184) << "charlie's commit, never replayed on the partitioned replica";
  EXPECT_EQ(lag.series[0].points.front().second, 0) << "caught up after step 1";
  ASSERT_EQ(lag.bands.size(), 1u);
  EXPECT_EQ(lag.bands[0].kind, "partition");
  EXPECT_LT(lag.bands[0].x0, lag.bands[0].x1);
  EXPECT_EQ(lag.y_unit, PlotUnit::kBytes);
}

TEST(PlotTimelineTest, ThroughputPlotCountsEveryCommitOnceByOutcomeWithEveryFaultShaded) {
  const Scenario scenario = drill_2_1_scenario();
  RunResult run = drill_2_1_result("simulator");
  TxRecord blocked = run.transactions.front();
  blocked.label = "dora";
  blocked.outcomes = {TxOutcome::kBlocked};
  run.transactions.push_back(blocked);
  const TimelineLayout layout(scenario, &run, nullptr);
  const PlotSpec tp = throughput_plot(layout, layout.views()[0]);
  double acked = 0, waiting = 0;
  for (const auto& b : tp.bars) (b.color == "#4a6fa5" ? acked : waiting) += b.y;
  size_t acknowledged = 0;
  for (const auto& t : run.transactions)
    acknowledged += t.outcomes.size() == 1 && t.outcomes[0] == TxOutcome::kAcknowledged ? 1 : 0;
  EXPECT_EQ(acked, static_cast<double>(acknowledged));
  EXPECT_EQ(waiting, 1) << "dora, still blocked";
  for (const auto& b : tp.bars) {
    if (b.color != "#4a6fa5") {
      EXPECT_EQ(b.y0, 1) << "stacked on charlie's bar, in the same interval";
    }
  }
  EXPECT_EQ(tp.bands.size(), layout.bands().size());
  std::set<std::string> kinds;
  for (const auto& b : tp.bands) kinds.insert(b.kind);
  EXPECT_TRUE(kinds.count("partition") && kinds.count("crash") && kinds.count("noprimary"));
}

TEST(PlotTimelineTest, ThePageHasBothPlotsForEachRunBelowTheLanes) {
  const Scenario scenario = drill_2_1_scenario();
  const RunResult predicted = drill_2_1_result("simulator");
  const RunResult observed = drill_2_1_result("postgresql", 0x4000000, 900);
  const std::string html = render_timeline_html(scenario, &predicted, &observed);
  for (const char* id : {"lag-predicted", "throughput-predicted", "lag-observed", "throughput-observed"})
    EXPECT_EQ(count(html, std::string("data-plot=\"") + id + "\""), 1u) << id;
  EXPECT_LT(html.find("class=\"lane"), html.find("data-plot=\"lag-predicted\""));
}

TEST(HtmlIndexTest, DirectoryOrFile) {
  const std::string tmp = std::filesystem::temp_directory_path().string();
  EXPECT_TRUE(html_is_directory("out/", 1));
  EXPECT_TRUE(html_is_directory(tmp, 1)) << "an existing directory";
  EXPECT_TRUE(html_is_directory("pages", 3)) << "several scenarios, no .html";
  EXPECT_FALSE(html_is_directory("pages", 1));
  EXPECT_FALSE(html_is_directory("report.html", 3)) << "several scenarios into report-<name>.html";
  EXPECT_FALSE(html_is_directory("REPORT.HTM", 3));
  EXPECT_FALSE(html_is_directory("", 3));
}

TEST(HtmlIndexTest, PagesAreNamedAfterTheirFilesAndNeverClash) {
  std::set<std::string> taken;
  EXPECT_EQ(html_page_in_directory("d", "scenarios/drill-2.1-sync.yaml", &taken), "d/drill-2.1-sync.html");
  EXPECT_EQ(html_page_in_directory("d", "other/drill-2.1-sync.yaml", &taken), "d/drill-2.1-sync-2.html");
  EXPECT_EQ(html_page_in_directory("d", "x/index.yaml", &taken), "d/scenario-index.html");
  EXPECT_EQ(html_page_in_directory("d", "a b&c.yaml", &taken), "d/a_b_c.html");
}

TEST(HtmlIndexTest, IndexLinksEveryPageWithItsVerdictEscaped) {
  const std::string h = render_index_html(
      "t<1>", {IndexEntry{"drill <2.1>", "scenarios/a.yaml", "out/a.html", "agree", true, ""},
               IndexEntry{"b", "scenarios/b.yaml", "out/b.html", "disagree", false, "x & y"}});
  EXPECT_NE(h.find(R"(<a href="a.html">drill &lt;2.1&gt;</a>)"), std::string::npos);
  EXPECT_NE(h.find(R"(<a href="b.html">b</a>)"), std::string::npos);
  EXPECT_NE(h.find("<b>1 of 2</b> passed, 1 failed"), std::string::npos);
  EXPECT_EQ(count(h, "class=\"pass\">pass<"), 1u);
  EXPECT_EQ(count(h, "class=\"fail\">FAIL<"), 1u);
  EXPECT_NE(h.find("x &amp; y"), std::string::npos);
  EXPECT_EQ(h.find("<1>"), std::string::npos);
  EXPECT_EQ(h.find("http"), std::string::npos);
}

}  // namespace
}  // namespace replsim::cli
